// Consume-authorization latency with 10k people and 100k role assignments.
//   npm run bench:authorize [-- --users 10000 --per-user 10 --samples 5000 --set-samples 200 --db postgresql|embedded]
// Measures AccessService.authorizeView, the call every consume makes before any media flows:
// "cold" forgets the cached person and camera first (one database round trip each), "warm"
// is the steady state (cache hit; a change to the person invalidates it). Prints p50/p99.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { AccessRepository } from '../server/access/access.repository.js';
import { createAccessRoom } from '../server/access/access-room.js';
import { RateCounters } from '../server/access/rate-counters.js';
import { TokenService } from '../server/access/tokens.js';
import { AuditLog } from '../server/audit/AuditLog.js';
import { AuditKey } from '../server/audit/AuditKey.js';
import { Database } from '../server/db/database.js';
import { SecretBox } from '../server/util/SecretBox.js';
import { createTestDatabase } from '../tests/support/postgres.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    'per-user': { type: 'string', default: '10' },
    samples: { type: 'string', default: '5000' },
    'set-samples': { type: 'string', default: '200' },
    db: { type: 'string', default: 'postgresql' },
  },
});
const USERS = Number(args.users);
const PER_USER = Number(args['per-user']);
const SAMPLES = Number(args.samples);
const SET_SAMPLES = Number(args['set-samples']);
const PROVINCES = 63;
const DISTRICTS_PER_PROVINCE = 10;
const FACILITIES_PER_DISTRICT = 8;
const CAMERAS_PER_FACILITY = 4;

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-bench-'));
const pgdb = args.db === 'postgresql' ? await createTestDatabase() : undefined;
const db = await Database.open({ url: pgdb?.url, dataDir });
const audit = new AuditLog(db.prisma, { key: AuditKey.ephemeral() });
try {
  const t0 = Date.now();
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => undefined); // the database is dropped at the end, even after a failure
  await client.connect();
  // Places, cameras, people and assignments with set-based SQL (fast to seed).
  // The bench's own places (the start imported the default province list: replace it).
  await client.query(`DELETE FROM "AdminUnit"`);
  // Each row's id is made once and used twice (its own path ends with it).
  await client.query(`WITH x AS (SELECT gen_random_uuid() AS id, i FROM generate_series(1, ${PROVINCES}) i)
    INSERT INTO "AdminUnit"(id, code, name, level, path, depth) SELECT x.id, 'P' || i, 'Tỉnh ' || i, 'Tỉnh', ARRAY[x.id], 1 FROM x`);
  await client.query(`WITH x AS (SELECT gen_random_uuid() AS id, p.id AS parent, p.code, j FROM "AdminUnit" p, generate_series(1, ${DISTRICTS_PER_PROVINCE}) j WHERE p.depth = 1)
    INSERT INTO "AdminUnit"(id, code, name, level, "parentId", path, depth) SELECT x.id, x.code || '-D' || j, 'Huyện ' || j, 'Huyện', x.parent, ARRAY[x.parent, x.id], 2 FROM x`);
  await client.query(`INSERT INTO "Facility"(id, "unitId", name, kind) SELECT gen_random_uuid(), d.id, 'Cơ sở ' || d.code || '-' || k,
    (ARRAY['MILITARY_QUARANTINE','CIVILIAN_QUARANTINE','CHECKPOINT'])[1 + (k % 3)]::"FacilityKind" FROM "AdminUnit" d, generate_series(1, ${FACILITIES_PER_DISTRICT}) k WHERE d.depth = 2`);
  await client.query(`INSERT INTO "Camera"(id, name, "mainUrlEnc", "facilityId", "updatedAt") SELECT gen_random_uuid(), f.name || ' cam ' || c, 'v1.x.y.z', f.id, now() FROM "Facility" f, generate_series(1, ${CAMERAS_PER_FACILITY}) c`);
  const org = randomUUID();
  await client.query(`INSERT INTO "Organization"(id, name, kind) VALUES ($1, 'Bench', 'MOH_IT_DEPARTMENT')`, [org]);
  await client.query(`INSERT INTO "User"(id, username, "fullName", position, phone, email, "organizationId", status, "updatedAt")
    SELECT gen_random_uuid(), 'u' || i, 'Người ' || i, 'Chuyên viên', '0900000000', 'u' || i || '@bench', $1, 'ACTIVE', now() FROM generate_series(1, ${USERS}) i`, [org]);
  // Per person: mostly facility-leader grants at random facilities, some provincial monitor
  // roles, a few denies and expired or revoked rows, as a long-running deployment accumulates.
  await client.query(`
    WITH f AS (SELECT array_agg(id) AS ids FROM "Facility"), p AS (SELECT array_agg(id) AS ids FROM "AdminUnit" WHERE depth = 1)
    INSERT INTO "RoleAssignment"(id, "userId", role, "scopeType", "scopeId", effect, "expiresAt", "revokedAt")
    SELECT gen_random_uuid(), u.id,
      CASE WHEN j % 10 = 0 THEN 'PROVINCIAL_HEALTH_MONITOR'::"Role" ELSE 'FACILITY_LEADER'::"Role" END,
      CASE WHEN j % 10 = 0 THEN 'UNIT'::"ScopeType" ELSE 'FACILITY'::"ScopeType" END,
      CASE WHEN j % 10 = 0 THEN p.ids[1 + (abs(hashtext(u.id::text || j)) % cardinality(p.ids))]
           ELSE f.ids[1 + (abs(hashtext(u.id::text || j)) % cardinality(f.ids))] END,
      CASE WHEN j % 17 = 0 THEN 'DENY'::"Effect" ELSE 'ALLOW'::"Effect" END,
      CASE WHEN j % 7 = 0 THEN now() - interval '1 day' ELSE NULL END,
      CASE WHEN j % 11 = 0 THEN now() ELSE NULL END
    FROM "User" u, generate_series(1, ${PER_USER}) j, f, p`);
  // A national monitor and a provincial health monitor, for the set measures.
  await client.query(`INSERT INTO "User"(id, username, "fullName", position, phone, email, "organizationId", status, "updatedAt") VALUES
    ('00000000-0000-4000-8000-00000000a001', 'national', 'Giám sát toàn quốc', 'Chuyên viên', '0900000000', 'n@bench', $1, 'ACTIVE', now()),
    ('00000000-0000-4000-8000-00000000a002', 'provincial', 'Giám sát Sở Y tế', 'Chuyên viên', '0900000000', 'p@bench', $1, 'ACTIVE', now())`, [org]);
  await client.query(`INSERT INTO "RoleAssignment"(id, "userId", role, "scopeType", "scopeId", effect) VALUES
    (gen_random_uuid(), '00000000-0000-4000-8000-00000000a001', 'NATIONAL_MONITOR', 'NATION', NULL, 'ALLOW'),
    (gen_random_uuid(), '00000000-0000-4000-8000-00000000a002', 'PROVINCIAL_HEALTH_MONITOR', 'UNIT', (SELECT id FROM "AdminUnit" WHERE code = 'P7'), 'ALLOW')`);
  await client.query('ANALYZE');
  const users = (await client.query<{ id: string }>('SELECT id FROM "User"')).rows.map((r) => r.id);
  const cameras = (await client.query<{ id: string }>('SELECT id FROM "Camera"')).rows.map((r) => r.id);
  const assignments = Number((await client.query('SELECT count(*) FROM "RoleAssignment"')).rows[0].count);
  await client.end();
  console.log(`seeded ${users.length} people, ${assignments} assignments, ${cameras.length} cameras in ${((Date.now() - t0) / 1000).toFixed(1)} s (${args.db})`);

  const room = createAccessRoom({ repo: new AccessRepository(db.prisma, db.reader), tokens: new TokenService(Buffer.alloc(32, 1), { accessTtlSeconds: 600, refreshTtlSeconds: 3600 }), audit, box: new SecretBox(Buffer.alloc(32, 2)), counters: new RateCounters(db.prisma), options: { totp: 'required' } });
  const access = room.decisions;
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const viewer = (id: string) => ({ id, displayName: 'bench', address: '127.0.0.1', userAgent: 'bench' });
  let allowed = 0;
  const measure = async (cold: boolean) => {
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const u = pick(users);
      const c = pick(cameras);
      if (cold) {
        access.invalidate(u);
        access.invalidateCamera(c);
      }
      const s = process.hrtime.bigint();
      // mayStillView is authorizeView without the denial's audit append (most random pairs are
      // denials; the audit write is measured separately below).
      if (await access.mayStillView(viewer(u), c)) allowed++;
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    return times.sort((a, b) => a - b);
  };
  const warmUsers = users.slice(0, 200);
  // Warm: a working set of 200 people watching.
  for (const u of warmUsers) await access.subject(u);
  const cold = await measure(true);
  const warmTimes: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const u = pick(warmUsers);
    const c = pick(cameras);
    const s = process.hrtime.bigint();
    await access.mayStillView(viewer(u), c);
    warmTimes.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  warmTimes.sort((a, b) => a - b);
  const denial: number[] = [];
  for (let i = 0; i < Math.min(SAMPLES, 1000); i++) {
    const s = process.hrtime.bigint();
    await access.authorizeView(viewer(pick(warmUsers)), pick(cameras)).catch(() => undefined);
    denial.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  denial.sort((a, b) => a - b);
  // Sets: a national monitor's visible cameras (every camera), a provincial monitor's tree.
  const allCameras = cameras.map((id) => ({ id }) as never);
  const setTimes = async (fn: () => Promise<unknown>, n: number) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      await fn();
      xs.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    return xs.sort((a, b) => a - b);
  };
  const national = viewer('00000000-0000-4000-8000-00000000a001');
  const nationalCount = (await access.visibleCameras(national, allCameras)).length;
  const nationalList = await setTimes(() => access.visibleCameras(national, allCameras), SET_SAMPLES);
  const provincialCaller = { userId: '00000000-0000-4000-8000-00000000a002', address: '127.0.0.1' };
  const tree = await room.screens.placesTree(provincialCaller);
  const treeCameras = JSON.stringify(tree).split('"cameras"').length - 1;
  const provincialTree = await setTimes(() => room.screens.placesTree(provincialCaller), SET_SAMPLES);
  const provincialSet = await setTimes(() => access.visibleSet(provincialCaller.userId), SET_SAMPLES);
  const row = (name: string, xs: number[]) => console.log(`${name.padEnd(34)} p50 ${pct(xs, 50).toFixed(3)} ms   p99 ${pct(xs, 99).toFixed(3)} ms   (n=${xs.length})`);
  row('authorize, cold (database)', cold);
  row('authorize, warm (cached person)', warmTimes);
  row('authorizeView incl. denial audit', denial);
  row(`national monitor's list (${nationalCount} cameras)`, nationalList);
  row(`provincial monitor's tree (${treeCameras} facilities)`, provincialTree);
  row(`  of which the set decision`, provincialSet);
  console.log(`allowed ${allowed} of ${SAMPLES} random (person, camera) pairs`);
} finally {
  await audit.drain();
  await db.close();
  await pgdb?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
