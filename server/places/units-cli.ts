// `npm run units:import -- <list.csv> [--dry-run]`: imports the official list of
// administrative units (columns code, name, parent_code, level; any depth) into the configured
// database, all or nothing, as the places page does. Units keep their ids by code, so
// facilities, assignments and the audit trail stay attached; a unit missing from the list is
// retired while anything hangs on it. Works on DATABASE_URL, else the embedded database in
// DATA_DIR (stop the server first when it is embedded). Exit codes: 0 done, 1 failed, 2 refused.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditLog } from '../audit/AuditLog.js';
import { auditOptions } from '../audit/audit-config.js';
import { loadConfig } from '../config.js';
import { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { UnitRegistry } from './UnitRegistry.js';
import { UnitsRepository } from './units.repository.js';

const USAGE = 'usage: npm run units:import -- <list.csv> [--dry-run]';

function fail(code: 1 | 2, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let parsed: ReturnType<typeof parseArgs<{ options: { 'dry-run': { type: 'boolean'; default: false } }; allowPositionals: true }>>;
try {
  parsed = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
} catch (err) {
  fail(2, `${(err as Error).message}\n${USAGE}`);
}
const [file, ...extra] = parsed.positionals;
if (!file || extra.length) fail(2, USAGE);
let csv: string;
try {
  csv = fs.readFileSync(file, 'utf8');
} catch (err) {
  fail(2, `cannot read ${file}: ${(err as Error).message}`);
}

const config = loadConfig();
const db = await Database.open({ url: config.databaseUrl, dataDir: config.dataDir });
let code = 0;
const audit = new AuditLog(db.prisma, auditOptions(config));
try {
  const units = new UnitRegistry(new UnitsRepository(db.prisma), audit, { administers: async () => false, placesChanged: () => undefined });
  const dryRun = parsed.values['dry-run'];
  const o = await units.import({ csv, dryRun, source: 'cli' });
  process.stdout.write(`${dryRun ? 'Dry run (nothing stored): would import' : 'Imported'} ${o.total} units: ${o.created} new, ${o.updated} changed, ${o.unchanged} unchanged, ${o.restored} back from retirement, ${o.retired} retired (still in use), ${o.deleted} removed.\n`);
} catch (err) {
  if (err instanceof AppError) {
    const problems = (err.details as { problems?: Array<{ line: number; column: string; message: string }> } | undefined)?.problems ?? [];
    process.stderr.write(`refused, nothing changed: ${problems.length ? `${problems.length} problem(s) in ${file}` : err.message}\n`);
    for (const p of problems) process.stderr.write(`  line ${p.line}, ${p.column}: ${p.message}\n`);
    code = 2;
  } else {
    process.stderr.write(`cannot import the unit list: ${(err as Error).message}\n`);
    code = 1;
  }
} finally {
  await audit.drain();
  await db.close();
}
process.exitCode = code;
