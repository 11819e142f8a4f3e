// `npm run db:migrate`: applies pending migrations to the PostgreSQL at DATABASE_URL (the
// server also does this at every start; this is for deployments that migrate first).
import { applyMigrations } from './migrations.js';
import { MIGRATIONS_DIR } from './database.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (the embedded database is migrated when the server starts).');
  process.exit(2);
}
const applied = await applyMigrations(url, MIGRATIONS_DIR);
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
