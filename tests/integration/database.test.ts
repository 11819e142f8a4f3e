// The same schema and repository on both databases: embedded PGlite and a real PostgreSQL.
// parallel-safe: the database only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { CameraRepository } from '../../server/cameras/camera.repository.js';
import { Database, MIGRATIONS_DIR } from '../../server/db/database.js';
import { applyMigrations } from '../../server/db/migrations.js';
import { SecretBox } from '../../server/util/SecretBox.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';

const SECRET_URL = 'rtsp://admin:Kh0ng-L0-Ra@10.20.30.40:554/Streaming/Channels/101';

for (const kind of ['embedded', 'postgresql'] as const) {
  describe(`database (${kind})`, { timeout: 120_000 }, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-db-'));
    let pgdb: TestPostgres | undefined;
    const open = async () => {
      if (kind === 'postgresql') pgdb ??= await createTestDatabase();
      return Database.open({ url: pgdb?.url, dataDir });
    };
    after(async () => {
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('migrations apply once, and the data survives a reopen', async () => {
      const box = new SecretBox(Buffer.alloc(32, 1));
      let db = await open();
      assert.equal(db.embedded, kind === 'embedded');
      const repo = new CameraRepository(db.prisma, box);
      const cam = await repo.create({ name: 'Cổng chính', mainUrl: SECRET_URL, alwaysOn: false, transcode: 'auto', ingest: 'auto', rtspTransport: 'tcp', rtspBasicAuth: false });
      await db.close();

      db = await open();
      try {
        assert.deepEqual(await applyMigrations(db.url, MIGRATIONS_DIR), [], 'nothing left to apply');
        const again = await new CameraRepository(db.prisma, box).list();
        assert.equal(again.length, 1);
        assert.equal(again[0]!.id, cam.id);
        assert.equal(again[0]!.name, 'Cổng chính');
        assert.equal(again[0]!.mainUrl, SECRET_URL);

        // At rest, the URL (and so the camera's credentials) is not readable.
        const raw = new pg.Client({ connectionString: db.url });
        await raw.connect();
        const { rows } = await raw.query('SELECT * FROM "Camera"');
        await raw.end();
        const dump = JSON.stringify(rows);
        assert.doesNotMatch(dump, /Kh0ng-L0-Ra|admin|10\.20\.30\.40/);
        // Another key cannot open it.
        await assert.rejects(new CameraRepository(db.prisma, new SecretBox(Buffer.alloc(32, 2))).list());
      } finally {
        await db.close();
      }
    });

    test('a failed write changes nothing already stored', async () => {
      const db = await open();
      try {
        const repo = new CameraRepository(db.prisma, new SecretBox(Buffer.alloc(32, 1)));
        await assert.rejects(repo.create({ name: 'Cổng chính', mainUrl: 'rtsp://other/x', alwaysOn: true, transcode: 'auto', ingest: 'auto', rtspTransport: 'tcp', rtspBasicAuth: false }), { code: 'P2002' });
        const all = await repo.list();
        assert.equal(all.length, 1);
        assert.equal(all[0]!.mainUrl, SECRET_URL);
        assert.equal(all[0]!.alwaysOn, false);
      } finally {
        await db.close();
      }
    });

    test('an applied migration that was edited stops the start', async () => {
      const db = await open();
      await db.close();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-mig-'));
      fs.cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      const first = fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory()).sort()[0]!;
      fs.appendFileSync(path.join(dir, first, 'migration.sql'), '\n-- edited\n');
      if (kind === 'postgresql') {
        await assert.rejects(applyMigrations(pgdb!.url, dir), /was modified after it was applied/);
      } else {
        // The embedded database is reachable only while open: check through a running one.
        const again = await open();
        try {
          await assert.rejects(applyMigrations(again.url, dir), /was modified after it was applied/);
        } finally {
          await again.close();
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    if (kind === 'postgresql') {
      test('an existing deployment\'s provinces and districts become units with the same ids, and its grants follow', async () => {
        const old = await createTestDatabase();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-mig-'));
        try {
          // The schema as it was before the unit registry, with a province, a district, a
          // facility, an organization and grants at each level.
          for (const m of fs.readdirSync(MIGRATIONS_DIR).filter((d) => d < '20261201010000')) fs.cpSync(path.join(MIGRATIONS_DIR, m), path.join(dir, m), { recursive: true });
          await applyMigrations(old.url, dir);
          const c = new pg.Client({ connectionString: old.url });
          await c.connect();
          const [p, d, f, o, u] = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000021', '00000000-0000-4000-8000-000000000031', '00000000-0000-4000-8000-000000000041'];
          await c.query(`INSERT INTO "Province"(id, code, name) VALUES ($1, '64', 'Gia Lai')`, [p]);
          await c.query(`INSERT INTO "District"(id, "provinceId", code, name) VALUES ($1, $2, '622', 'TP. Pleiku')`, [d, p]);
          await c.query(`INSERT INTO "Facility"(id, "districtId", name, kind) VALUES ($1, $2, 'Khách sạn', 'CIVILIAN_QUARANTINE')`, [f, d]);
          await c.query(`INSERT INTO "Organization"(id, name, kind, "provinceId") VALUES ($1, 'Sở Y tế Gia Lai', 'PROVINCIAL_HEALTH_DEPARTMENT', $2)`, [o, p]);
          await c.query(`INSERT INTO "User"(id, username, "fullName", position, phone, email, "organizationId", "updatedAt") VALUES ($1, 'soyte', 'A', 'B', '0900000000', 'a@b.vn', $2, now())`, [u, o]);
          await c.query(`INSERT INTO "RoleAssignment"(id, "userId", role, "scopeType", "scopeId") VALUES (gen_random_uuid(), $1, 'PROVINCIAL_HEALTH_MONITOR', 'PROVINCE', $2), (gen_random_uuid(), $1, 'INSTALLER', 'DISTRICT', $3), (gen_random_uuid(), $1, 'FACILITY_LEADER', 'FACILITY', $4)`, [u, p, d, f]);
          await c.end();

          await applyMigrations(old.url, MIGRATIONS_DIR);
          const after = new pg.Client({ connectionString: old.url });
          await after.connect();
          const units = (await after.query(`SELECT id, code, name, "parentId", path::text[] AS path, depth FROM "AdminUnit" ORDER BY depth`)).rows;
          assert.deepEqual(units, [
            { id: p, code: '64', name: 'Gia Lai', parentId: null, path: [p], depth: 1 },
            { id: d, code: '622', name: 'TP. Pleiku', parentId: p, path: [p, d], depth: 2 },
          ]);
          assert.deepEqual((await after.query(`SELECT "unitId" FROM "Facility"`)).rows, [{ unitId: d }]);
          assert.deepEqual((await after.query(`SELECT "unitId" FROM "Organization"`)).rows, [{ unitId: p }]);
          const byRole = Object.fromEntries((await after.query(`SELECT role::text AS role, "scopeType"::text AS t, "scopeId" FROM "RoleAssignment"`)).rows.map((r) => [r.role, `${r.t}:${r.scopeId}`]));
          assert.deepEqual(byRole, { PROVINCIAL_HEALTH_MONITOR: `UNIT:${p}`, INSTALLER: `UNIT:${d}`, FACILITY_LEADER: `FACILITY:${f}` });
          await after.end();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
          await old.drop();
        }
      });

      test('several nodes starting at once apply each migration exactly once', async () => {
        const fresh = await createTestDatabase();
        try {
          const results = await Promise.all([1, 2, 3].map(() => applyMigrations(fresh.url, MIGRATIONS_DIR)));
          const total = results.flat();
          assert.equal(total.length, fs.readdirSync(MIGRATIONS_DIR).filter((d) => !d.endsWith('.toml')).length);
          assert.equal(new Set(total).size, total.length);
        } finally {
          await fresh.drop();
        }
      });
    }
  });
}
