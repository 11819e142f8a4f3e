// Prisma CLI configuration: the pg driver adapter and the bundled WASM schema engine, so
// `prisma generate` and `prisma migrate diff` (to write a new migration) need no native
// engine download. Migrations are applied by server/db/migrations.ts, not by
// `prisma migrate deploy` (see there why).
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' }),
});
