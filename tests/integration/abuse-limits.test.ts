// runs-alone: a relayed camera must lose no packet while fifty passwords are checked.
// Limits of the account room under abuse, through the real server on both databases: a burst
// of parallel wrong passwords for one account gets exactly five checks while a camera relayed
// over RTSP/UDP loses no packet; passwords are checked off the event loop; a refresh token used
// twice ends its whole sign-in; a focal point's requests are limited per hour, in parallel too.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { REQUEST_LIMIT } from '../../server/access/AccountRequests.js';
import { checkPassword, hashPassword } from '../../server/access/passwords.js';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { addCamera, apiCall, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

test('password checks run off the event loop', async () => {
  const hash = await hashPassword('một mật khẩu đủ dài');
  const before = performance.eventLoopUtilization();
  const results = await Promise.all([0, 1, 2, 3].map((i) => checkPassword(i === 0 ? 'một mật khẩu đủ dài' : `sai ${i}`, hash)));
  const elu = performance.eventLoopUtilization(before);
  assert.deepEqual(results, [true, false, false, false]);
  // Four cost-11 bcrypt checks are ~0.5 s of CPU: on this thread the loop would be busy nearly all along.
  assert.ok(elu.utilization < 0.3, `event loop busy ${(elu.utilization * 100).toFixed(0)} % of ${elu.idle + elu.active | 0} ms while passwords were checked`);
});

for (const kind of ['embedded', 'postgresql'] as const) describe(`abuse limits (${kind})`, { timeout: 180_000 }, () => {
  let server: TestServer;
  let pgdb: TestPostgres | undefined;
  let camera: TestCamera;

  before(async () => {
    if (kind === 'postgresql') pgdb = await createTestDatabase();
    [server, camera] = await Promise.all([startTestServer(pgdb ? { databaseUrl: pgdb.url } : {}), startCamera({ width: 640, height: 360, fps: 25, kbps: 1500 })]);
  });
  after(async () => {
    await server?.stop();
    await camera?.stop();
    await pgdb?.drop();
  });

  test('50 parallel wrong passwords for one account: five are checked, the rest refused, and a relayed camera loses no packet', async () => {
    // Over UDP a stalled event loop drops packets in the socket buffer: the relay counts the gaps.
    const cameraId = (await addCamera(server, { name: 'Cổng chính', mainUrl: camera.url, rtspTransport: 'udp', alwaysOn: true, facilityId: DEMO_IDS.hotel })).json.id;
    await waitForHealth(server, cameraId, (h) => h.state === 'live' && h.fps > 0, 30_000);
    const stream = server.cameras.stream(cameraId, 'main');
    const before = { ...stream.totals };

    const statuses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${server.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'congan', password: 'đoán bừa' }),
    }).then((r) => r.status)));
    const count = (s: number) => statuses.filter((x) => x === s).length;
    assert.deepEqual({ 401: count(401), 429: count(429), other: statuses.length - count(401) - count(429) }, { 401: 5, 429: 45, other: 0 });
    await server.audit.drain();
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'login.failure', target: 'username:congan' } }), 5, 'five passwords were checked');
    // The refusals are recorded once, with how many more there were (not 45 rows).
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'login.throttled', target: 'username:congan' } }), 1);
    // The right password waits too, once the account is throttled.
    assert.equal((await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'congan', password: 'giamsat-demo-2021' }) })).status, 429);

    // A second of frames after the burst, then the count of lost packets.
    const frames = stream.totals.frames;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (stream.totals.frames >= frames + 25) {
          server.cameras.off('health', check);
          resolve();
        }
      };
      server.cameras.on('health', check);
    });
    assert.ok(stream.totals.frames > before.frames, 'the camera kept playing');
    assert.equal(stream.totals.packetsLost - before.packetsLost, 0, 'no RTP packet lost during the burst');
  });

  test('a right password does not count against the account; the limit counts failures only', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/login', { username: 'quansu', password: 'sai' })).status, 401);
    for (let i = 0; i < 3; i++) assert.ok((await login(server, 'quansu')).accessToken, 'signing in still works with four failures');
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/login', { username: 'quansu', password: 'sai' })).status, 401, 'the fifth failure is still checked');
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/login', { username: 'quansu', password: 'sai' })).status, 429);
  });

  test('a refresh token used twice ends the whole sign-in, and is recorded', async () => {
    const first = await login(server, 'quocgia');
    const second = await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: first.refreshToken });
    assert.equal(second.status, 200);
    const third = await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: second.json.refreshToken });
    assert.equal(third.status, 200, 'rotation goes on');
    // Someone replays the first token: refused, and the current one dies with it.
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: first.refreshToken })).status, 401);
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: third.json.refreshToken })).status, 401, 'the family is revoked');
    await server.audit.drain();
    const reuse = await server.db.prisma.auditEntry.findMany({ where: { action: 'token.reuse', actorId: first.userId } });
    assert.equal(reuse.length, 1);
    assert.equal((reuse[0]!.details as { revoked: number }).revoked, 1, 'one live token was revoked');
    // Another sign-in of the same person is another family: untouched.
    const other = await login(server, 'quocgia');
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: other.refreshToken })).status, 200);
    // A token ended by signing out is refused, without suspecting theft.
    const out = await login(server, 'quocgia');
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/logout', { refreshToken: out.refreshToken })).status, 204);
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: out.refreshToken })).status, 401);
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'token.reuse' } }), 1);
  });

  test(`a focal point's requests are limited to ${REQUEST_LIMIT.perSubmitter} an hour, also when sent at once`, async () => {
    const focal = await login(server, 'soyte');
    // Outside her focal scope (Kon Tum): each is refused and recorded, and each counts.
    const body = (i: number) => ({ fullName: `Người ${i}`, position: 'Cán bộ', phone: '0260 3800 000', email: `n${i}@kontum.vn`, username: `kt-${i}`, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hospitalKonTum });
    const n = REQUEST_LIMIT.perSubmitter + 10;
    const statuses: number[] = [];
    for (let i = 0; i < n; i += 40) {
      statuses.push(...await Promise.all(Array.from({ length: Math.min(40, n - i) }, (_, j) => apiCall(server, focal.accessToken, 'POST', '/api/account-requests', body(i + j)).then((r) => r.status))));
    }
    assert.equal(statuses.filter((s) => s === 404).length, REQUEST_LIMIT.perSubmitter);
    assert.equal(statuses.filter((s) => s === 429).length, 10);
    await server.audit.drain();
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'access.denied', actorId: focal.userId } }), REQUEST_LIMIT.perSubmitter, 'refusals past the limit leave no record');
    assert.equal(await server.db.prisma.accountRequest.count(), 0);
  });
});
