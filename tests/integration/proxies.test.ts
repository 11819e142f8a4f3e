// Which client address the server believes: X-Forwarded-For only from the proxies the
// configuration trusts. Sign-in throttling per address and the audit trail depend on it.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

async function failedLoginAddress(server: TestServer, forwardedFor: string): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username: 'soyte', password: 'wrong-password' }),
  });
  assert.equal(res.status, 401);
  await server.audit.drain();
  const e = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'login.failure' }, orderBy: { seq: 'desc' } });
  return e.address ?? '';
}

describe('trusted proxies', { timeout: 90_000 }, () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  test('a proxy on this host (the default) tells the client address; an untrusted sender cannot', async () => {
    const byDefault = await startTestServer();
    servers.push(byDefault);
    assert.equal(await failedLoginAddress(byDefault, '203.0.113.7'), '203.0.113.7');

    // Behind a load balancer at 10.0.0.0/8 the test's loopback connection is not that balancer:
    // its X-Forwarded-For is ignored, and the connection's own address is recorded.
    const behindBalancer = await startTestServer({ trustProxy: ['10.0.0.0/8'] });
    servers.push(behindBalancer);
    assert.equal(await failedLoginAddress(behindBalancer, '203.0.113.7'), '127.0.0.1');
  });
});
