// The audit chain on both databases: a burst of appends stays one chain, the database refuses
// edits, and verification finds an edited, re-sealed or deleted row (made by someone able to
// switch the refusal off, as a database superuser could) and, through the signed checkpoints
// kept outside the database, a removed tail and an emptied table.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { plainRowHash, rowSeal } from '../../server/audit/audit-chain.js';
import { AuditKey } from '../../server/audit/AuditKey.js';
import { AuditLog } from '../../server/audit/AuditLog.js';
import { checkpointValid, type SignedCheckpoint } from '../../server/audit/checkpoints.js';
import { Database } from '../../server/db/database.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';

for (const kind of ['embedded', 'postgresql'] as const) {
  describe(`audit chain (${kind})`, { timeout: 90_000 }, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-audit-'));
    const checkpointFile = path.join(dataDir, 'checkpoints.jsonl');
    const key = AuditKey.ephemeral();
    let pgdb: TestPostgres | undefined;
    let db: Database;
    const logs: AuditLog[] = [];
    const open = () => {
      const log = new AuditLog(db.prisma, { key, checkpointFile, node: 'test-node' });
      logs.push(log);
      return log;
    };
    const run = (sql: string, ...params: unknown[]) => db.prisma.$executeRawUnsafe(sql, ...params);
    after(async () => {
      for (const l of logs) await l.close();
      await db?.close();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('a burst of appends and reads forms one intact chain, sealed with the audit key', async () => {
      if (kind === 'postgresql') pgdb = await createTestDatabase();
      db = await Database.open({ url: pgdb?.url, dataDir });
      const audit = open();
      const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => i % 3 === 2
        ? db.prisma.auditEntry.count()
        : audit.append({ action: 'view.start', actorId: null, target: `camera:${i}`, details: { n: i, tags: ['a', 'b'], nested: null } })));
      assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
      // Fire-and-forget entries in a burst the embedded database's single connection could not
      // take one transaction each: every one is stored.
      for (let i = 0; i < 400; i++) audit.record({ action: 'view.end', target: `camera:${i}`, details: { n: i } });
      await audit.drain();
      assert.equal(audit.state().buffered, 0);
      assert.deepEqual(await audit.verify(), { ok: true, checked: 440, checkpoint: null });
      const first = (await db.prisma.auditEntry.findUnique({ where: { seq: 1n } }))!;
      assert.equal(first.hash, rowSeal(key.chainKey, first.prevHash, first), 'keyed seal');
      assert.notEqual(first.hash, plainRowHash(first.prevHash, first));
    });

    test('the database refuses to change or delete an entry', async () => {
      if (kind === 'embedded') {
        // PGlite runs the same trigger; through Prisma (one connection) to stay on its session.
        await assert.rejects(run(`UPDATE "AuditEntry" SET action = 'x' WHERE seq = 1`), /append-only/);
        await assert.rejects(run(`DELETE FROM "AuditEntry" WHERE seq = 1`), /append-only/);
      } else {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          await assert.rejects(c.query(`UPDATE "AuditEntry" SET action = 'x' WHERE seq = 1`), /append-only/);
          await assert.rejects(c.query(`DELETE FROM "AuditEntry" WHERE seq = 1`), /append-only/);
        } finally {
          await c.end();
        }
      }
      assert.equal((await open().verify()).ok, true);
    });

    test('verification names an edited row, a row re-sealed without the key, and a deleted row', async () => {
      const audit = open();
      const original = (await db.prisma.auditEntry.findUnique({ where: { seq: 17n } }))!;
      await run(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only"`);
      try {
        await run(`UPDATE "AuditEntry" SET target = 'camera:someone-else' WHERE seq = 17`);
        const sealProblem = 'row content does not match its seal (edited, or sealed without the audit key)';
        assert.deepEqual(await audit.verify(), { ok: false, checked: 16, broken: { seq: '17', kind: 'sealed', problem: sealProblem }, checkpoint: null });

        // Re-sealing the edited row and every row after it, as the unkeyed chain allowed: without
        // the key (plain SHA-256, or any other key) the first re-sealed row is found.
        const edited = (await db.prisma.auditEntry.findUnique({ where: { seq: 17n } }))!;
        for (const reseal of [(prev: string) => plainRowHash(prev, edited), (prev: string) => rowSeal(AuditKey.ephemeral().chainKey, prev, edited)]) {
          await run(`UPDATE "AuditEntry" SET hash = $1 WHERE seq = 17`, reseal(edited.prevHash));
          const v = await audit.verify();
          assert.deepEqual(v.broken, { seq: '17', kind: 'sealed', problem: sealProblem });
        }

        // Put the row back exactly: the chain is whole again.
        await run(`UPDATE "AuditEntry" SET target = $1, hash = $2 WHERE seq = 17`, original.target, original.hash);
        assert.equal((await audit.verify()).ok, true);

        const row25 = (await db.prisma.auditEntry.findUnique({ where: { seq: 25n } }))!;
        await run(`DELETE FROM "AuditEntry" WHERE seq = 25`);
        assert.deepEqual(await audit.verify(), { ok: false, checked: 24, broken: { seq: '26', kind: 'missing', problem: 'row 25 is missing' }, checkpoint: null });
        await db.prisma.auditEntry.create({ data: { ...row25, details: row25.details ?? {} } });
      } finally {
        await run(`ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only"`);
      }
      assert.equal((await audit.verify()).ok, true, 'row 25 restored');
    });
    test('a checkpoint file that was edited, or signed with another key, is reported and not written on', async () => {
      const audit = open();
      const cp = (await audit.checkpoint())!;
      assert.equal(cp.seq, '440');
      assert.equal(cp.keyedFrom, '1');
      assert.deepEqual((await audit.verify()).checkpoint, { seq: '440', at: cp.at });
      const good = fs.readFileSync(checkpointFile, 'utf8');

      fs.writeFileSync(checkpointFile, good.replace('"seq":"440"', '"seq":"430"'));
      let v = await audit.verify();
      assert.equal(v.ok, false);
      assert.match(v.broken!.problem, /latest checkpoint is not signed with this system's audit key/);
      assert.equal(v.broken!.kind, 'checkpoint');
      assert.equal(await audit.checkpoint(), undefined, 'no checkpoint is written after a line that is not ours');
      assert.equal(audit.state().checkpointFailures, 1);

      // A forger with another key (or none) gets the same answer.
      const forged = new AuditLog(db.prisma, { key: AuditKey.ephemeral(), checkpointFile: path.join(dataDir, 'forged.jsonl') });
      await forged.checkpoint();
      fs.writeFileSync(checkpointFile, good + fs.readFileSync(path.join(dataDir, 'forged.jsonl'), 'utf8'));
      v = await audit.verify();
      assert.match(v.broken!.problem, /not signed with this system's audit key/);

      fs.writeFileSync(checkpointFile, good);
      assert.equal((await audit.verify()).ok, true);
    });

    test('signed checkpoints find a removed tail and an emptied table, and are not re-signed over them', async () => {
      const audit = open();
      await audit.append({ action: 'logout', target: 'user:x' });
      const cp = (await audit.checkpoint())!;
      assert.equal(cp.seq, '441');
      await run(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only"`);
      try {
        await run(`DELETE FROM "AuditEntry" WHERE seq > 430`);
      } finally {
        await run(`ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only"`);
      }
      const truncated = `truncated: the signed checkpoint of ${cp.at} counted 441 entries; the chain ends after 430`;
      assert.deepEqual(await audit.verify(), { ok: false, checked: 430, broken: { seq: '431', kind: 'truncated', problem: truncated }, checkpoint: { seq: '441', at: cp.at } });

      // The periodic checkpoint must not launder it: the chain no longer holds the last signed head.
      const failures = audit.state().checkpointFailures;
      assert.equal(await audit.checkpoint(), undefined);
      assert.equal(audit.state().checkpointFailures, failures + 1);
      // Appending rows after the cut does not make it whole either: row 441 differs from the signed one.
      await audit.append({ action: 'logout', target: 'user:y' });
      for (let i = 0; i < 10; i++) audit.record({ action: 'logout', target: `user:${i}` });
      await audit.drain();
      let v = await audit.verify();
      assert.equal(v.broken?.seq, '441', JSON.stringify(v));
      assert.match(v.broken!.problem, /differs here from the signed checkpoint/);
      assert.equal(v.broken!.kind, 'rewritten');

      // TRUNCATE skips row triggers altogether.
      await run(`TRUNCATE "AuditEntry"`);
      v = await audit.verify();
      assert.deepEqual(v, { ok: false, checked: 0, broken: { seq: '1', kind: 'truncated', problem: `truncated: the signed checkpoint of ${cp.at} counted 441 entries; the chain ends after 0` }, checkpoint: { seq: '441', at: cp.at } });
    });
  });
}

describe('audit log on PostgreSQL: an older unkeyed chain, an outage, checkpoints sent to syslog', { timeout: 90_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-audit-pg-'));
  const key = AuditKey.ephemeral();
  let pgdb: TestPostgres;
  let db: Database;
  const logs: AuditLog[] = [];
  const open = (o: Partial<ConstructorParameters<typeof AuditLog>[1]> = {}) => {
    const log = new AuditLog(db.prisma, { key, checkpointFile: path.join(dataDir, 'checkpoints.jsonl'), ...o });
    logs.push(log);
    return log;
  };
  after(async () => {
    await pgdb?.allowConnections().catch(() => undefined);
    for (const l of logs) await l.close();
    await db?.close();
    await pgdb?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('rows written before the chain was keyed stay verifiable; the first checkpoint says where the key starts', async () => {
    pgdb = await createTestDatabase();
    db = await Database.open({ url: pgdb.url, dataDir });
    // Five rows as the unkeyed chain wrote them (plain SHA-256).
    let prev = '0'.repeat(64);
    for (let seq = 1n; seq <= 5n; seq++) {
      const row = { seq, at: new Date(), actorId: null, action: 'login.failure', target: `username:u${seq}`, address: null, details: { reason: 'bad credentials' } };
      const hash = plainRowHash(prev, row);
      await db.prisma.auditEntry.create({ data: { ...row, prevHash: prev, hash } });
      prev = hash;
    }
    const audit = open();
    const first = (await audit.checkpoint())!;
    assert.deepEqual({ seq: first.seq, keyedFrom: first.keyedFrom }, { seq: '5', keyedFrom: '6' });
    for (let i = 0; i < 3; i++) await audit.append({ action: 'logout', target: `user:${i}` });
    assert.deepEqual((await audit.verify()).ok, true);
    assert.equal((await audit.checkpoint())!.keyedFrom, '6', 'carried from checkpoint to checkpoint');
    assert.equal((await audit.verify()).checked, 8);
    // Without the checkpoints every row must carry the keyed seal: the unkeyed rows are not trusted.
    const bare = new AuditLog(db.prisma, { key });
    assert.deepEqual((await bare.verify()).broken?.seq, '1');

    // Rewriting the unkeyed rows (which anyone can re-hash) breaks the first keyed row's link.
    await db.prisma.$executeRawUnsafe(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only"`);
    try {
      prev = (await db.prisma.auditEntry.findUnique({ where: { seq: 1n } }))!.hash;
      for (let seq = 2n; seq <= 5n; seq++) {
        const r = (await db.prisma.auditEntry.findUnique({ where: { seq } }))!;
        const row = { ...r, target: seq === 2n ? 'username:someone-else' : r.target };
        const hash = plainRowHash(prev, row);
        await db.prisma.auditEntry.update({ where: { seq }, data: { target: row.target, prevHash: prev, hash } });
        prev = hash;
      }
    } finally {
      await db.prisma.$executeRawUnsafe(`ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only"`);
    }
    const v = await audit.verify();
    assert.equal(v.broken?.seq, '6');
    assert.match(v.broken!.problem, /previous-hash link/);
    await db.prisma.$executeRawUnsafe(`TRUNCATE "AuditEntry"`);
    fs.rmSync(path.join(dataDir, 'checkpoints.jsonl'));
  });

  test('while the database refuses connections, entries wait in a bounded buffer, callers go on, and all are written after', async () => {
    const failures: Error[] = [];
    const audit = open({ writer: { holdMs: 300, backoffMs: 50, maxBackoffMs: 400, maxBuffered: 60 } });
    audit.observer.on('writeFailed', (err) => failures.push(err));
    await audit.append({ action: 'logout', target: 'user:before' });

    await pgdb.refuseConnections();
    const t0 = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 70 }, (_, i) => audit.append({ action: 'view.start', target: `camera:${i}` })));
    const waited = Date.now() - t0;
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 10, 'beyond the buffer an entry is refused, not dropped silently');
    assert.match(String((refused[0] as PromiseRejectedResult).reason.message), /cannot be written now/);
    assert.equal((refused[0] as PromiseRejectedResult).reason.code, 'UNAVAILABLE');
    assert.ok(waited < 5000, `callers were let go after their hold time (${waited} ms)`);
    const during = audit.state();
    assert.equal(during.buffered, 60);
    assert.ok(during.failingSince instanceof Date);
    assert.ok(during.writeFailures >= 1 && failures.length >= 1);
    assert.equal(during.refused, 10);

    await pgdb.allowConnections();
    await audit.drain();
    const after = audit.state();
    assert.deepEqual({ buffered: after.buffered, failingSince: after.failingSince }, { buffered: 0, failingSince: undefined });
    assert.equal(await db.prisma.auditEntry.count({ where: { action: 'view.start' } }), 60);
    assert.deepEqual(await audit.verify(), { ok: true, checked: 61, checkpoint: null });
  });

  test('each checkpoint also goes to a remote syslog over UDP and TCP, signed for an auditor holding only the public key', async () => {
    const udp = dgram.createSocket('udp4');
    const udpMessages: string[] = [];
    udp.on('message', (m) => udpMessages.push(m.toString()));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const tcpFrames: string[] = [];
    const tcp = net.createServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c) => chunks.push(c)).on('end', () => tcpFrames.push(Buffer.concat(chunks).toString()));
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    try {
      const auditor = createPublicKey(key.publicKeyPem());
      const parse = (message: string) => {
        const m = /^<109>1 \S+ \S+ giamsat \d+ audit-checkpoint - (\{.*\})$/.exec(message);
        assert.ok(m, message);
        return JSON.parse(m[1]!) as SignedCheckpoint;
      };
      for (const [url, received] of [[`udp://127.0.0.1:${(udp.address() as net.AddressInfo).port}`, udpMessages], [`tcp://127.0.0.1:${(tcp.address() as net.AddressInfo).port}`, tcpFrames]] as const) {
        const audit = open({ syslog: url, checkpointFile: path.join(dataDir, `cp-${url.slice(0, 3)}.jsonl`) });
        await audit.append({ action: 'logout', target: `user:${url}` });
        const cp = (await audit.checkpoint())!;
        await waitFor(() => received.length > 0);
        let text = received[0]!;
        if (url.startsWith('tcp')) {
          const [, length, rest] = /^(\d+) ([\s\S]*)$/.exec(text)!;
          assert.equal(Number(length), Buffer.byteLength(rest!), 'octet-counted frame (RFC 6587)');
          text = rest!;
        }
        const sent = parse(text);
        assert.deepEqual(sent, cp);
        assert.equal(checkpointValid(auditor, sent), true);
        assert.equal(checkpointValid(auditor, { ...sent, seq: String(Number(sent.seq) - 1) }), false);
      }

      // A syslog that is down: the file still gets the checkpoint, and the failure is counted.
      const closedPort = (tcp.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      const file = path.join(dataDir, 'cp-down.jsonl');
      const audit = open({ syslog: `tcp://127.0.0.1:${closedPort}`, checkpointFile: file });
      await audit.append({ action: 'logout', target: 'user:down' });
      assert.equal(await audit.checkpoint(), undefined);
      assert.equal(audit.state().checkpointFailures, 1);
      assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, 1);
    } finally {
      udp.close();
      tcp.close();
    }
  });
});

describe('npm run audit:verify', { timeout: 90_000 }, () => {
  test('checks the configured database against the audit key and the checkpoints; prints the public key for an auditor', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-audit-cli-'));
    const secret = randomBytes(32).toString('base64');
    const pgdb = await createTestDatabase();
    const db = await Database.open({ url: pgdb.url, dataDir });
    const key = AuditKey.load(secret, dataDir);
    const audit = new AuditLog(db.prisma, { key, checkpointFile: path.join(dataDir, 'audit-checkpoints.jsonl') });
    const cli = (...args: string[]) => new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'server/audit/verify-cli.ts', ...args], {
        env: { ...process.env, DATABASE_URL: pgdb.url, DATA_DIR: dataDir, AUDIT_KEY: secret, LOG_LEVEL: 'warn', GIAMSAT_CONFIG: '' },
      }, (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, out: stdout + stderr }));
    });
    try {
      for (let i = 0; i < 5; i++) await audit.append({ action: 'logout', target: `user:${i}` });
      const cp = (await audit.checkpoint())!;
      let r = await cli();
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`audit chain intact: 5 entries, checked against the signed checkpoint of ${cp.at}`));
      await db.prisma.$executeRawUnsafe(`TRUNCATE "AuditEntry"`);
      r = await cli();
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /audit chain BROKEN at entry 1: truncated: the signed checkpoint of .* counted 5 entries; the chain ends after 0/);
      r = await cli('--public-key');
      assert.equal(r.code, 0);
      assert.equal(r.out, key.publicKeyPem());
    } finally {
      await audit.close();
      await db.close();
      await pgdb.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function waitFor(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A network receiver has no event to await from here; poll briefly with a deadline.
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
