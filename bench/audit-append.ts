// Audit append throughput with several writers sharing one chain, as several nodes do.
//   npm run bench:audit [-- --writers 8 --entries 20000 --in-flight 32 --db postgresql|embedded]
// Each writer is its own AuditLog on its own database client (a node); each keeps
// `in-flight` appends waiting at once (people signing in, views starting). All writers share
// the chain's one advisory lock. Prints appends per second, the latency of one append
// (made → stored) at p50/p99, and how fast the whole chain then verifies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AuditKey } from '../server/audit/AuditKey.js';
import { AuditLog } from '../server/audit/AuditLog.js';
import { Database } from '../server/db/database.js';
import { createTestDatabase } from '../tests/support/postgres.js';

const { values: args } = parseArgs({
  options: {
    writers: { type: 'string', default: '8' },
    entries: { type: 'string', default: '20000' },
    'in-flight': { type: 'string', default: '32' },
    db: { type: 'string', default: 'postgresql' },
  },
});
const WRITERS = args.db === 'embedded' ? 1 : Number(args.writers);
const ENTRIES = Number(args.entries);
const IN_FLIGHT = Number(args['in-flight']);
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-bench-audit-'));
const pgdb = args.db === 'postgresql' ? await createTestDatabase() : undefined;
const key = AuditKey.ephemeral();
const dbs: Database[] = [];
for (let i = 0; i < WRITERS; i++) dbs.push(await Database.open({ url: pgdb?.url, dataDir }));
const logs = dbs.map((db) => new AuditLog(db.prisma, { key }));
try {
  const latencies: number[] = [];
  const perWriter = Math.ceil(ENTRIES / WRITERS);
  const writer = async (log: AuditLog, w: number) => {
    let next = 0;
    const lane = async () => {
      while (next < perWriter) {
        const n = next++;
        const t = performance.now();
        await log.append({ action: 'view.start', actorId: null, target: `camera:${w}-${n}`, address: '10.0.0.1', details: { stream: 'main', consumer: `c-${w}-${n}` } });
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  };
  const t0 = performance.now();
  await Promise.all(logs.map(writer));
  const seconds = (performance.now() - t0) / 1000;
  const stored = await dbs[0]!.prisma.auditEntry.count();
  latencies.sort((a, b) => a - b);
  const v0 = performance.now();
  const verified = await logs[0]!.verify();
  const verifySeconds = (performance.now() - v0) / 1000;
  console.log(`database: ${args.db}; writers: ${WRITERS}; ${IN_FLIGHT} appends waiting per writer; ${stored} entries stored`);
  console.log(`throughput: ${(stored / seconds).toFixed(0)} appends/s (${seconds.toFixed(2)} s)`);
  console.log(`one append, made to stored: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms`);
  console.log(`verify: ${verified.ok ? 'intact' : `BROKEN at ${verified.broken?.seq}`}, ${verified.checked} entries in ${verifySeconds.toFixed(2)} s (${(verified.checked / verifySeconds).toFixed(0)} entries/s)`);
  if (!verified.ok || stored !== perWriter * WRITERS) process.exitCode = 1;
} finally {
  for (const l of logs) await l.close();
  for (const db of dbs) await db.close();
  await pgdb?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
