// parallel-safe: an embedded database in a directory of its own, no ports of its own.
// The embedded database (PGlite) runs on a thread of its own: a long query no longer holds up
// the server's event loop, where the camera relays, the signaling and every request run.
// Before, a 0.7 s query was 0.7 s in which nothing else happened. Real PGlite, real Prisma.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Database } from '../../server/db/database.js';

describe('the embedded database on its own thread', { timeout: 120_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-embedded-'));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('a long query leaves the event loop free, and what was stored is there after a reopen', async () => {
    let db = await Database.open({ dataDir });
    try {
      assert.equal(db.embedded, true);
      // A 10 ms timer counts how often the event loop came round while the query ran.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const started = Date.now();
      const [row] = await db.prisma.$queryRawUnsafe<Array<{ n: number }>>('SELECT count(*)::int AS n FROM generate_series(1, 4000000)');
      const ms = Date.now() - started;
      clearInterval(timer);
      assert.equal(row!.n, 4_000_000);
      assert.ok(ms >= 200, `the query must be long enough to tell (${ms} ms)`);
      // On the server's thread the loop came round 0-2 times in such a query; on its own, about every 10 ms.
      assert.ok(ticks >= ms / 10 / 3, `the event loop came round ${ticks} times in a ${ms} ms query`);
      await db.prisma.user.count(); // the ORM's own path works as well
      await db.prisma.$executeRawUnsafe('CREATE TABLE kept (v text)');
      await db.prisma.$executeRawUnsafe(`INSERT INTO kept VALUES ('còn đây')`);
    } finally {
      await db.close();
    }
    db = await Database.open({ dataDir });
    try {
      assert.deepEqual(await db.prisma.$queryRawUnsafe('SELECT v FROM kept'), [{ v: 'còn đây' }]);
    } finally {
      await db.close();
    }
  });
});
