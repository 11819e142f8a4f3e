// Importing a national unit list: 63 provinces, ~700 districts and ~10,600 communes (the
// shape before 2025), then the same list again, then with a tenth renamed, then the 2025
// shape (provinces holding ~3,300 communes directly: every district retires or goes).
//   npm run bench:units [-- --db embedded|postgresql --districts 11 --communes 15]
// Prints the time of each step (parse and check included), on the chosen database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AuditLog } from '../server/audit/AuditLog.js';
import { AuditKey } from '../server/audit/AuditKey.js';
import { Database } from '../server/db/database.js';
import { UnitRegistry } from '../server/places/UnitRegistry.js';
import { UnitsRepository } from '../server/places/units.repository.js';
import { createTestDatabase } from '../tests/support/postgres.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'embedded' },
    /** Districts per province and communes per district (63 × 11 × 15 ≈ 10,400 communes). */
    districts: { type: 'string', default: '11' },
    communes: { type: 'string', default: '15' },
  },
});
const DISTRICTS = Number(args.districts);
const COMMUNES = Number(args.communes);

/** A three-level list; `rename` renames every n-th commune. */
function list2021(rename = 0): string {
  const lines = ['code,name,parent_code,level'];
  for (let p = 1; p <= 63; p++) {
    const pc = String(p).padStart(2, '0');
    lines.push(`${pc},Tỉnh ${p},,Tỉnh`);
    for (let d = 1; d <= DISTRICTS; d++) {
      const dc = `${pc}${String(d).padStart(3, '0')}`;
      lines.push(`${dc},Huyện ${p}-${d},${pc},Huyện`);
      for (let c = 1; c <= COMMUNES; c++) {
        const cc = `${dc}${String(c).padStart(3, '0')}`;
        const n = lines.length;
        lines.push(`${cc},Xã ${p}-${d}-${c}${rename && n % rename === 0 ? ' (mới)' : ''},${dc},Xã`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** The 2025 shape: a third of the communes, merged, directly under their province. */
function list2025(): string {
  const lines = ['code,name,parent_code,level'];
  for (let p = 1; p <= 63; p++) {
    const pc = String(p).padStart(2, '0');
    lines.push(`${pc},Tỉnh ${p},,Tỉnh`);
    for (let c = 1; c <= Math.round((DISTRICTS * COMMUNES) / 3); c++) lines.push(`${pc}9${String(c).padStart(4, '0')},Xã mới ${p}-${c},${pc},Xã`);
  }
  return lines.join('\n') + '\n';
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-bench-units-'));
const pgdb = args.db === 'postgresql' ? await createTestDatabase() : undefined;
const db = await Database.open({ url: pgdb?.url, dataDir });
try {
  const units = new UnitRegistry(new UnitsRepository(db.prisma), new AuditLog(db.prisma, { key: AuditKey.ephemeral() }), { administers: async () => true, placesChanged: () => undefined });
  const step = async (name: string, csv: string) => {
    const t0 = performance.now();
    const o = await units.import({ csv, source: 'bench' });
    const ms = performance.now() - t0;
    console.log(`${name.padEnd(34)} ${String(o.total).padStart(6)} units  ${(ms / 1000).toFixed(2).padStart(7)} s   (${o.created} new, ${o.updated} changed, ${o.unchanged} unchanged, ${o.retired} retired, ${o.deleted} removed)`);
  };
  console.log(`# unit list import on ${args.db}, ${os.cpus().length} cores, node ${process.version}`);
  await step('first import (three levels)', list2021());
  await step('the same list again', list2021());
  await step('a tenth of the communes renamed', list2021(10));
  await step('the 2025 shape (no districts)', list2025());
} finally {
  await db.close();
  await pgdb?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
