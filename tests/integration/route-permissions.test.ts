// Every HTTP route declares the permission it needs, and that declaration is what is enforced:
// the API document is built from it, a person without the permission gets "no such route"
// (recorded, at a bounded rate) before anything of the route runs, one with it gets past the
// guard, and an upload from a person without it is refused before its body is read.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Permission } from '../../server/access/permissions.js';
import { apiCall, login, startTestServer, type TestServer } from '../support/server.js';

/** Demo people: one who holds each permission, and one who does not. */
const HOLDER: Record<Exclude<Permission, Permission.Public | Permission.SignedIn>, string> = {
  [Permission.Watch]: 'khachsan',
  [Permission.Registry]: 'quantri',
  [Permission.AdministerPeople]: 'quantri',
  [Permission.AccountLists]: 'soyte',
  [Permission.ConnectionReport]: 'vanhanh',
  [Permission.Operations]: 'vanhanh',
};
const LACKER: Record<keyof typeof HOLDER, string> = {
  [Permission.Watch]: 'vanhanh',
  [Permission.Registry]: 'khachsan',
  [Permission.AdministerPeople]: 'soyte',
  [Permission.AccountLists]: 'khachsan',
  [Permission.ConnectionReport]: 'khachsan',
  [Permission.Operations]: 'khachsan',
};
const SOME_ID = '00000000-0000-4000-8000-00000000abcd';

describe('route permissions', { timeout: 120_000 }, () => {
  let server: TestServer;
  const tokens = new Map<string, { token: string; userId: string }>();
  const as = async (username: string) => {
    if (!tokens.has(username)) {
      const s = await login(server, username);
      tokens.set(username, { token: s.accessToken, userId: s.userId });
    }
    return tokens.get(username)!;
  };

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('the API document is the declared routes: the same operations, each with its permission', async () => {
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json() as { paths: Record<string, Record<string, { 'x-permission': string; security: unknown[] }>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => ({ key: `${m} ${p.replace(/\{(\w+)\}/g, ':$1')}`, op })));
    const declared = server.routes.map((r) => `${r.method} ${r.path}`);
    assert.equal(new Set(declared).size, declared.length, 'no route is declared twice');
    assert.deepEqual(documented.map((d) => d.key).sort(), [...declared].sort(), 'every declared route is documented, and nothing else is');
    for (const { key, op } of documented) {
      const route = server.routes.find((r) => `${r.method} ${r.path}` === key)!;
      assert.equal(op['x-permission'], route.permission, key);
      assert.equal(op.security.length === 0, route.permission === Permission.Public, `${key}: a token is asked for unless public`);
    }
    assert.ok(Object.values(Permission).every((p) => server.routes.some((r) => r.permission === p)), 'every permission guards some route');
  });

  test('without the permission, every guarded route is "no such route", recorded once a minute; with it, the guard lets the request through', async () => {
    const guarded = server.routes.filter((r) => r.permission !== Permission.Public && r.permission !== Permission.SignedIn);
    assert.ok(guarded.length >= 50, `${guarded.length} guarded routes`);
    for (const route of guarded) {
      const permission = route.permission as keyof typeof HOLDER;
      const url = route.path.replace(/:\w+/g, SOME_ID);
      const body = route.method === 'get' || route.method === 'delete' ? undefined : {};
      const lacker = await as(LACKER[permission]);
      const before = await server.db.prisma.auditEntry.count({ where: { action: 'route.denied', actorId: lacker.userId } });
      const refused = await apiCall(server, lacker.token, route.method.toUpperCase(), url, body);
      assert.equal(refused.status, 404, `${route.method} ${route.path} for ${LACKER[permission]}`);
      assert.deepEqual(refused.json.error, { code: 'NOT_FOUND', message: 'no such route' }, `${route.method} ${route.path}`);
      await server.audit.drain(5000);
      const records = await server.db.prisma.auditEntry.findMany({ where: { action: 'route.denied', actorId: lacker.userId }, orderBy: { seq: 'desc' }, take: 1 });
      assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'route.denied', actorId: lacker.userId } }), before + 1, `${route.method} ${route.path}: the refusal is recorded`);
      assert.equal(records[0]!.target, `route:${route.method.toUpperCase()} ${route.path}`);
      assert.deepEqual(records[0]!.details, { permission, path: url });

      // The holder passes the guard: whatever the route then answers, it is not the guard's refusal.
      const holder = await as(HOLDER[permission]);
      const passed = await apiCall(server, holder.token, route.method.toUpperCase(), url, body).catch(() => ({ status: 0, json: undefined }));
      assert.notEqual(passed.json?.error?.message, 'no such route', `${route.method} ${route.path} for ${HOLDER[permission]}`);
    }
    // The same refusal again within the minute is counted, not recorded again.
    const lacker = await as('khachsan');
    const count = () => server.db.prisma.auditEntry.count({ where: { action: 'route.denied', actorId: lacker.userId, target: 'route:GET /api/people' } });
    const none = await count();
    for (let i = 0; i < 5; i++) assert.equal((await apiCall(server, lacker.token, 'GET', '/api/people?q=a')).status, 404);
    await server.audit.drain(5000);
    assert.equal(await count(), none + 1, 'five refusals in a minute, one record');
  });

  test('a signed-in route asks only for an active account; a public one for nothing; an unknown token is Unauthenticated, not a refusal', async () => {
    const idle = await server.db.prisma.user.create({
      data: { username: 'khong-vai-tro-2', fullName: 'Không Vai Trò', position: 'x', phone: '0900000001', email: 'k2@example.vn', status: 'ACTIVE', organizationId: (await server.db.prisma.organization.findFirstOrThrow()).id, passwordHash: (await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'khachsan' } })).passwordHash },
    });
    const none = await login(server, idle.username);
    assert.equal((await apiCall(server, none.accessToken, 'GET', '/api/me')).status, 200, 'a person with no role still has their account page');
    assert.equal((await apiCall(server, none.accessToken, 'GET', '/api/incidents')).status, 404, 'but nothing a role gives');
    assert.equal((await apiCall(server, undefined, 'GET', '/api/info')).status, 200);
    assert.equal((await apiCall(server, undefined, 'GET', '/api/incidents')).status, 401);
    assert.equal((await apiCall(server, 'not-a-token', 'GET', '/api/people?q=a')).status, 401);
  });

  test('an upload from a person without the permission is refused before its body is read', async () => {
    const lacker = await as('khachsan');
    // Larger than the upload limit: read, it would be "too large"; refused first, it is never read.
    const big = Buffer.alloc(12 * 1024 * 1024, 0x41);
    const res = await fetch(`${server.url}/api/account-lists/upload?name=a.csv`, { method: 'POST', headers: { authorization: `Bearer ${lacker.token}`, 'content-type': 'text/csv' }, body: big });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.message, 'no such route');
  });
});
