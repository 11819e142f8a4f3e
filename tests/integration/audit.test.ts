// The audit chain on both databases: concurrent appends stay one chain, the database refuses
// edits, and verification finds an edited or deleted row (made by someone able to switch
// the refusal off, as a database superuser could).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { AuditLog, rowHash } from '../../server/audit/AuditLog.js';
import { Database } from '../../server/db/database.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';

for (const kind of ['embedded', 'postgresql'] as const) {
  describe(`audit chain (${kind})`, { timeout: 60_000 }, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-audit-'));
    let pgdb: TestPostgres | undefined;
    let db: Database;
    after(async () => {
      await db?.close();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const raw = async (sql: string, params: unknown[] = []) => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    };

    test('concurrent appends and reads form one intact chain', async () => {
      if (kind === 'postgresql') pgdb = await createTestDatabase();
      db = await Database.open({ url: pgdb?.url, dataDir });
      const audit = new AuditLog(db.prisma);
      const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => i % 3 === 2
        ? db.prisma.auditEntry.count()
        : audit.append({ action: 'view.start', actorId: null, target: `camera:${i}`, details: { n: i, tags: ['a', 'b'], nested: null } })));
      assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
      const v = await audit.verify();
      assert.deepEqual(v, { ok: true, checked: 40 });
    });

    test('the database refuses to change or delete an entry', async () => {
      if (kind === 'embedded') {
        // PGlite runs the same trigger; through Prisma (one connection) to stay on its session.
        await assert.rejects(db.prisma.$executeRawUnsafe(`UPDATE "AuditEntry" SET action = 'x' WHERE seq = 1`), /append-only/);
        await assert.rejects(db.prisma.$executeRawUnsafe(`DELETE FROM "AuditEntry" WHERE seq = 1`), /append-only/);
      } else {
        await assert.rejects(raw(`UPDATE "AuditEntry" SET action = 'x' WHERE seq = 1`), /append-only/);
        await assert.rejects(raw(`DELETE FROM "AuditEntry" WHERE seq = 1`), /append-only/);
      }
      assert.equal((await new AuditLog(db.prisma).verify()).ok, true);
    });

    test('verification names the first edited row, a re-hashed row, and a deleted row', async () => {
      const audit = new AuditLog(db.prisma);
      const run = (sql: string, ...params: unknown[]) => db.prisma.$executeRawUnsafe(sql, ...params);
      const original = (await db.prisma.auditEntry.findUnique({ where: { seq: 17n } }))!;
      await run(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only"`);
      try {
        await run(`UPDATE "AuditEntry" SET target = 'camera:someone-else' WHERE seq = 17`);
        let v = await audit.verify();
        assert.deepEqual(v, { ok: false, checked: 16, broken: { seq: '17', problem: 'row content does not match its hash (edited)' } });

        // An editor who also recomputes the row's own hash breaks the next row's link.
        const edited = (await db.prisma.auditEntry.findUnique({ where: { seq: 17n } }))!;
        await run(`UPDATE "AuditEntry" SET hash = $1 WHERE seq = 17`, rowHash(edited.prevHash, edited));
        v = await audit.verify();
        assert.equal(v.broken?.seq, '18');
        assert.match(v.broken!.problem, /previous-hash link/);

        // Put the row back exactly: the chain is whole again.
        await run(`UPDATE "AuditEntry" SET target = $1, hash = $2 WHERE seq = 17`, original.target, original.hash);
        assert.equal((await audit.verify()).ok, true);

        await run(`DELETE FROM "AuditEntry" WHERE seq = 25`);
        v = await audit.verify();
        assert.deepEqual(v, { ok: false, checked: 24, broken: { seq: '26', problem: 'row 25 is missing' } });
      } finally {
        await run(`ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only"`);
      }
    });
  });
}
