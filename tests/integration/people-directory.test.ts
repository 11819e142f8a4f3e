// The people directory through the real server, on both databases: search inside the scope
// with or without diacritics, one person's profile with roles, open views and sign-ins, the
// second factor reset, reasons recorded with grants, revocations and status changes, and
// "not found" outside the scope.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../../server/access/totp.js';
import { DEMO_IDS, demoTotpSecret } from '../../server/demo/demo-province.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { apiCall, login, startTestServer, type TestServer } from '../support/server.js';

for (const kind of ['embedded', 'postgresql'] as const) describe(`people directory (${kind})`, { timeout: 120_000 }, () => {
  let server: TestServer;
  let pgdb: TestPostgres | undefined;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  before(async () => {
    if (kind === 'postgresql') pgdb = await createTestDatabase();
    server = await startTestServer(pgdb ? { databaseUrl: pgdb.url } : {});
    for (const u of ['quantri', 'quantri-tw', 'soyte', 'khachsan', 'quocgia']) {
      const s = await login(server, u);
      ids[u] = s.userId;
      tokens[u] = s.accessToken;
    }
  });
  after(async () => {
    await server?.stop();
    await pgdb?.drop();
  });

  const find = async (token: string, text: string) => {
    const res = await apiCall(server, token, 'GET', `/api/people?q=${encodeURIComponent(text)}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return (res.json as Array<{ username: string }>).map((p) => p.username);
  };

  test('people are found by name with or without diacritics, phone or email, inside the scope', async () => {
    assert.deepEqual(await find(tokens.quantri!, 'tran thi binh'), ['soyte']);
    assert.deepEqual(await find(tokens.quantri!, 'TRẦN THỊ'), ['soyte']);
    assert.deepEqual(await find(tokens.quantri!, 'soyte@demo'), ['soyte']);
    const phone = (await server.db.prisma.user.findUniqueOrThrow({ where: { id: ids.khachsan! } })).phone;
    assert.deepEqual(await find(tokens.quantri!, phone.replace(/^(\d{4})(\d{3})/, '$1 $2 ')), ['khachsan']);
    assert.deepEqual(await find(tokens.quantri!, 'nguyen van an'), [], 'a national body\'s person is outside Gia Lai');
    assert.deepEqual(await find(tokens['quantri-tw']!, 'nguyen van an'), ['quocgia']);
    assert.deepEqual(await find(tokens.quantri!, 'x'), [], 'one letter finds nobody');
    for (const u of ['soyte', 'khachsan']) assert.equal((await apiCall(server, tokens[u], 'GET', '/api/people?q=tran')).status, 404, `${u} is no administrator`);
    assert.equal((await apiCall(server, tokens.quantri, 'GET', `/api/people?q=${'x'.repeat(101)}`)).status, 400);
  });

  test('one person: profile, roles with scope and validity, views open now, recent sign-ins', async () => {
    await server.db.prisma.viewSession.create({ data: { userId: ids.soyte!, cameraId: '00000000-0000-4000-8000-00000000c0de', stream: 'main', address: '10.64.0.21', userAgent: 'Chrome' } });
    const res = await apiCall(server, tokens.quantri, 'GET', `/api/people/${ids.soyte}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const p = res.json;
    assert.equal(p.fullName, 'Trần Thị Bình');
    assert.equal(p.organization.name, 'Sở Y tế Gia Lai');
    assert.equal(p.status, 'ACTIVE');
    assert.equal(p.self, false);
    assert.equal('totpSecretEnc' in p, false, 'the secret never leaves the server');
    assert.deepEqual(p.roles.map((r: any) => `${r.role}@${r.scopeName}:${r.state}`).sort(), ['FOCAL_POINT@Tỉnh Gia Lai:active', 'PROVINCIAL_HEALTH_MONITOR@Tỉnh Gia Lai:active']);
    assert.deepEqual(p.liveViews.map((v: any) => v.address), ['10.64.0.21']);
    assert.ok(p.signIns.some((e: any) => e.action === 'login.success'), 'her sign-in in before()');
    // Outside the scope, or not an administrator: not found.
    assert.equal((await apiCall(server, tokens.quantri, 'GET', `/api/people/${ids.quocgia}`)).status, 404);
    assert.equal((await apiCall(server, tokens['quantri-tw'], 'GET', `/api/people/${ids.quocgia}`)).status, 200);
    assert.equal((await apiCall(server, tokens.soyte, 'GET', `/api/people/${ids.khachsan}`)).status, 404);
    assert.equal((await apiCall(server, tokens.quantri, 'GET', '/api/people/not-a-uuid')).status, 404);
  });

  test('grants, denies, revocations and status changes carry their reason into the audit log', async () => {
    const grant = await apiCall(server, tokens.quantri, 'POST', '/api/assignments', {
      userId: ids.khachsan, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.school, effect: 'DENY', reason: 'Tạm chặn theo công văn 12/SYT',
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.json));
    assert.equal((await apiCall(server, tokens.quantri, 'DELETE', `/api/assignments/${grant.json.id}`, { reason: 'Hết thời hạn chặn' })).status, 204);
    assert.equal((await apiCall(server, tokens.quantri, 'PATCH', `/api/users/${ids.khachsan}/status`, { status: 'SUSPENDED', reason: 'Nghỉ phép dài ngày' })).status, 204);
    assert.equal((await apiCall(server, tokens.quantri, 'PATCH', `/api/users/${ids.khachsan}/status`, { status: 'ACTIVE', reason: 'Đã đi làm lại' })).status, 204);
    await server.audit.drain();
    const reasons = async (action: string) => (await server.db.prisma.auditEntry.findMany({ where: { action, target: `user:${ids.khachsan}` }, orderBy: { seq: 'asc' } })).map((e) => (e.details as { reason?: string }).reason);
    assert.deepEqual(await reasons('grant.create'), ['Tạm chặn theo công văn 12/SYT']);
    assert.deepEqual(await reasons('grant.revoke'), ['Hết thời hạn chặn']);
    assert.deepEqual(await reasons('user.status'), ['Nghỉ phép dài ngày', 'Đã đi làm lại']);
    // An empty reason is refused, and nothing changes.
    assert.equal((await apiCall(server, tokens.quantri, 'PATCH', `/api/users/${ids.khachsan}/status`, { status: 'SUSPENDED', reason: '  ' })).status, 400);
    assert.equal((await server.db.prisma.user.findUniqueOrThrow({ where: { id: ids.khachsan! } })).status, 'ACTIVE');
    const roles = (await apiCall(server, tokens.quantri, 'GET', `/api/people/${ids.khachsan}`)).json.roles;
    assert.deepEqual(roles.map((r: any) => `${r.effect}:${r.state}`).sort(), ['ALLOW:active', 'DENY:revoked']);
  });

  test('the second factor is reset with a reason: the person enrols again, their sessions end', async () => {
    const withTotp = await startTestServer({ auth: { totp: 'required' }, ...(pgdb ? { databaseUrl: (await createTestDatabase().then((d) => { cleanup.push(() => d.drop()); return d; })).url } : {}) });
    cleanup.push(() => withTotp.stop());
    // soyte enrols (demo accounts come enrolled with published secrets) and signs in.
    const soyte = await login(withTotp, 'soyte');
    const admin = await login(withTotp, 'quantri');
    assert.equal((await apiCall(withTotp, admin.accessToken, 'GET', `/api/people/${soyte.userId}`)).json.secondFactor, true);
    assert.equal((await apiCall(withTotp, admin.accessToken, 'POST', `/api/people/${soyte.userId}/second-factor/reset`, {})).status, 400, 'a reason is required');
    assert.equal((await apiCall(withTotp, admin.accessToken, 'POST', `/api/people/${soyte.userId}/second-factor/reset`, { reason: 'Mất điện thoại' })).status, 204);
    assert.equal((await apiCall(withTotp, admin.accessToken, 'GET', `/api/people/${soyte.userId}`)).json.secondFactor, false);
    assert.equal((await apiCall(withTotp, undefined, 'POST', '/api/auth/refresh', { refreshToken: soyte.refreshToken })).status, 401, 'her sessions ended');
    // The next sign-in asks her to enrol a new authenticator; the old code is not asked for.
    const next = await apiCall(withTotp, undefined, 'POST', '/api/auth/login', { username: 'soyte', password: 'giamsat-demo-2021', totp: totpCode(demoTotpSecret('soyte')) });
    assert.equal(next.status, 200);
    assert.ok(next.json.totpEnrollment?.secret, 'an enrolment, not a session');
    // Administrators do not reset their own; outside the scope is not found.
    assert.equal((await apiCall(withTotp, admin.accessToken, 'POST', `/api/people/${admin.userId}/second-factor/reset`, { reason: 'x' })).json?.error?.message ?? 'ok', 'another administrator resets your own second factor');
    const national = await login(withTotp, 'quocgia');
    assert.equal((await apiCall(withTotp, admin.accessToken, 'POST', `/api/people/${national.userId}/second-factor/reset`, { reason: 'x' })).status, 404);
    await withTotp.audit.drain();
    const entry = await withTotp.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'totp.reset' } });
    assert.equal(entry.target, `user:${soyte.userId}`);
    assert.deepEqual(entry.details, { reason: 'Mất điện thoại' });
  });

  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });
});
