// Access control through the real server: the demo province in the database, logins over
// HTTP, camera lists and consume attempts over socket.io, for every demo person and every
// camera, against the written expectation table; tokens; grants that try to escalate.
// parallel-safe: the database, HTTP and socket.io only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { io, type Socket } from 'socket.io-client';
import { DEMO_IDS, DEMO_USERS } from '../../server/demo/demo-province.js';
import { CAMERA_COLUMNS as COLUMNS, EXPECTED_VIEW } from '../support/access-expectations.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { addCamera, adminBearer, login, startTestServer, type TestServer } from '../support/server.js';

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };

function connectSocket(server: TestServer, token: string | undefined): Promise<Socket> {
  const socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: token === undefined ? {} : { token } });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(Object.assign(err, { code: (err as Error & { data?: { code?: string } }).data?.code }));
    });
  });
}

// One schema, two databases: the whole suite runs on the embedded one and on PostgreSQL.
for (const kind of ['embedded', 'postgresql'] as const) describe(`access control (${kind})`, { timeout: 180_000 }, () => {
  let server: TestServer;
  let pgdb: TestPostgres | undefined;
  const cameraIds: Record<string, string> = {};
  const sockets: Socket[] = [];

  before(async () => {
    if (kind === 'postgresql') pgdb = await createTestDatabase();
    server = await startTestServer({ ingest: { backoffInitialMs: 50, backoffMaxMs: 100 }, ...(pgdb ? { databaseUrl: pgdb.url } : {}) });
    // Cameras whose host refuses connections: an allowed consume fails with
    // CAMERA_UNAVAILABLE (after authorization), a refused one with NOT_FOUND (before it).
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const facilities: Record<(typeof COLUMNS)[number], string | undefined> = {
      military: DEMO_IDS.military, hotel: DEMO_IDS.hotel, school: DEMO_IDS.school, checkpoint: DEMO_IDS.checkpoint,
      konTum: DEMO_IDS.hospitalKonTum, unassigned: undefined,
    };
    for (const col of COLUMNS) {
      const { status, json } = await addCamera(server, { name: `acl-${col}`, mainUrl: `rtsp://viewer:S3cret-${col}@127.0.0.1:${port}/${col}`, facilityId: facilities[col] });
      assert.equal(status, 201, JSON.stringify(json));
      cameraIds[col] = json.id;
    }
  });
  after(async () => {
    for (const s of sockets) s.close();
    await server?.stop();
    await pgdb?.drop();
  });

  test('every demo person x every camera: listing and consuming match the table', async () => {
    assert.equal(EXPECTED_VIEW.length, DEMO_USERS.length);
    const mismatches: string[] = [];
    let refusals = 0;
    for (const { username, allowed } of EXPECTED_VIEW) {
      const demo = DEMO_USERS.find((u) => u.username === username)!;
      if (demo.status === 'SUSPENDED') {
        await assert.rejects(login(server, username), /401/, 'a suspended person cannot sign in');
        assert.ok(COLUMNS.every((c) => !allowed[c]));
        continue;
      }
      const session = await login(server, username);
      const socket = await connectSocket(server, session.accessToken);
      sockets.push(socket);
      const listed: Ack = await socket.timeout(10_000).emitWithAck('listCameras', {});
      const listedIds = new Set((listed.data as Array<{ id: string }>).map((c) => c.id));
      const transport: Ack = await socket.timeout(10_000).emitWithAck('createTransport', {});
      if (!transport.ok) {
        // Someone who can watch nothing gets no media transport at all.
        assert.equal(transport.error?.code, 'FORBIDDEN', `${username}: ${JSON.stringify(transport.error)}`);
        for (const col of COLUMNS) if (allowed[col] || listedIds.has(cameraIds[col]!)) mismatches.push(`${username} watches nothing, yet ${col} is allowed or listed`);
        socket.close();
        continue;
      }
      for (const col of COLUMNS) {
        const expected = allowed[col];
        if (listedIds.has(cameraIds[col]!) !== expected) mismatches.push(`${username} lists ${col}: expected ${expected}`);
        const r: Ack = await socket.timeout(15_000).emitWithAck('consume', {
          transportId: transport.data.id, cameraId: cameraIds[col], rtpCapabilities: server.media.rtpCapabilities,
        });
        const code = r.error?.code;
        if (expected ? code !== 'CAMERA_UNAVAILABLE' : code !== 'NOT_FOUND') mismatches.push(`${username} consumes ${col}: expected ${expected}, got ${code}`);
        if (!expected) {
          refusals++;
          assert.equal(r.error?.message, 'no such camera', 'a refusal looks exactly like an unknown camera');
        }
      }
      socket.close();
    }
    assert.deepEqual(mismatches, []);
    // Each refusal was recorded.
    await server.audit.drain(); // denials are recorded off the consume's path
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'access.denied' } }), refusals);
  });

  test('refusals of one camera to one person are audited once a minute, the repeats counted in the next record', async () => {
    const session = await login(server, 'soyte');
    const socket = await connectSocket(server, session.accessToken);
    sockets.push(socket);
    const transport: Ack = await socket.timeout(10_000).emitWithAck('createTransport', {});
    await server.audit.drain();
    const where = { action: 'access.denied', target: `camera:${cameraIds.konTum}`, actorId: session.userId };
    const before = await server.db.prisma.auditEntry.count({ where });
    const answers: Ack[] = await Promise.all(Array.from({ length: 40 }, () => socket.timeout(15_000).emitWithAck('consume', {
      transportId: transport.data.id, cameraId: cameraIds.konTum, rtpCapabilities: server.media.rtpCapabilities,
    })));
    assert.ok(answers.every((a) => a.error?.code === 'NOT_FOUND'), 'every one refused');
    await server.audit.drain();
    const after = await server.db.prisma.auditEntry.count({ where });
    assert.ok(after - before <= 1, `at most one record for 40 refusals inside a minute (${after - before})`);
    socket.close();
  });

  test('missing, forged, expired, alg:none and wrong-audience tokens are refused at the handshake and by the API', async () => {
    const good = await login(server, 'quocgia');
    const secret = Buffer.from(fs.readFileSync(path.join(server.dataDir, 'token.key'), 'utf8').trim(), 'base64');
    const claims = { sub: good.userId, iss: 'giamsat', aud: 'giamsat-clients' };
    const now = Math.floor(Date.now() / 1000);
    const bad: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not.a.token',
      forged: jwt.sign(claims, 'someone else\'s secret that is long enough', { algorithm: 'HS256', expiresIn: 600 }),
      expired: jwt.sign({ ...claims, iat: now - 3600, exp: now - 60 }, secret, { algorithm: 'HS256' }),
      algNone: `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: now + 600 })).toString('base64url')}.`,
      wrongAudience: jwt.sign({ ...claims, aud: 'another-system' }, secret, { algorithm: 'HS256', expiresIn: 600 }),
      wrongIssuer: jwt.sign({ ...claims, iss: 'another-issuer' }, secret, { algorithm: 'HS256', expiresIn: 600 }),
      otherAlgorithm: jwt.sign(claims, secret, { algorithm: 'HS512', expiresIn: 600 }),
    };
    for (const [name, token] of Object.entries(bad)) {
      await assert.rejects(connectSocket(server, token), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'UNAUTHENTICATED', name);
        return true;
      }, name);
      const res = await fetch(`${server.url}/api/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.equal(res.status, 401, name);
    }
    const expired = await connectSocket(server, bad.expired).catch((e: Error) => e);
    assert.match((expired as Error).message, /expired/);
    // The genuine one works.
    const s = await connectSocket(server, good.accessToken);
    s.close();
    assert.equal((await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${good.accessToken}` } })).status, 200);
  });

  test('refresh tokens rotate: each works once, and logout ends it', async () => {
    const s = await login(server, 'soyte');
    const post = (p: string, body: unknown) => fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const r1 = await post('/api/auth/refresh', { refreshToken: s.refreshToken });
    assert.equal(r1.status, 200);
    const next = await r1.json();
    assert.notEqual(next.refreshToken, s.refreshToken);
    assert.equal((await post('/api/auth/refresh', { refreshToken: s.refreshToken })).status, 401, 'a used refresh token is dead');
    assert.equal((await post('/api/auth/logout', { refreshToken: next.refreshToken })).status, 204);
    assert.equal((await post('/api/auth/refresh', { refreshToken: next.refreshToken })).status, 401);
  });

  test('grants: nobody grants wider than their own scope or to themself; refusals are audited', async () => {
    const admin = await login(server, 'quantri');
    const users = Object.fromEntries((await server.db.prisma.user.findMany({ select: { id: true, username: true } })).map((u) => [u.username, u.id]));
    const grant = (body: unknown, token = admin.accessToken) => fetch(`${server.url}/api/assignments`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
    });
    const before = await server.db.prisma.auditEntry.count({ where: { action: 'access.denied', target: { startsWith: 'user:' } } });
    assert.equal((await grant({ userId: users.soyte, role: 'NATIONAL_MONITOR', scopeType: 'NATION' })).status, 404, 'wider than own scope');
    assert.equal((await grant({ userId: users.soyte, role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.konTum })).status, 404, 'another province');
    assert.equal((await grant({ userId: users.quantri, role: 'SCOPE_ADMIN', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai })).status, 404, 'to oneself');
    assert.equal((await grant({ userId: users.kythuat, role: 'FACILITY_LEADER', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai })).status, 404, 'role at a scope it does not belong to');
    const viewer = await login(server, 'soyte');
    assert.equal((await grant({ userId: users.kythuat, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel }, viewer.accessToken)).status, 404, 'a viewer holds no authority');
    assert.equal((await grant({ userId: users.kythuat, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: '00000000-0000-4000-8000-999999999999' })).status, 404, 'unknown facility');
    assert.equal((await grant({ userId: users.kythuat, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel, extra: 1 })).status, 400, 'unknown fields');
    const after = await server.db.prisma.auditEntry.count({ where: { action: 'access.denied', target: { startsWith: 'user:' } } });
    assert.equal(after - before, 4, 'each grant refused for its scope is in the audit log');
    // A person who administers nothing is refused at the route itself, and that is recorded too.
    await server.audit.drain(5000);
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'route.denied', actorId: viewer.userId, target: 'route:POST /api/assignments' } }), 1, 'the viewer\'s refusal is in the audit log');

    // A grant inside the admin's scope takes effect at once.
    const ok = await grant({ userId: users.kythuat, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel });
    assert.equal(ok.status, 201);
    const installer = await login(server, 'kythuat');
    const socket = await connectSocket(server, installer.accessToken);
    const listed: Ack = await socket.timeout(10_000).emitWithAck('listCameras', {});
    socket.close();
    assert.deepEqual(listed.data.map((c: { id: string }) => c.id), [cameraIds.hotel]);
  });

  test('revocation and suspension need authority over the scope, whatever the role', async () => {
    const admin = (await login(server, 'quantri')).accessToken;
    const call = (method: string, p: string, body?: unknown, token = admin) => fetch(`${server.url}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    const chan = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'soyte-chan' }, include: { assignments: true } });
    const deny = chan.assignments.find((a) => a.effect === 'DENY')!;
    // A deny sits at a scope no role is granted at; the admin of the province may still lift it.
    assert.equal((await call('DELETE', `/api/assignments/${deny.id}`)).status, 204);
    // A person holding no role at all: only an admin over their organization's province.
    const idle = await server.db.prisma.user.create({ data: { username: 'khong-vai-tro', fullName: 'Không Vai Trò', position: 'x', phone: '0900000000', email: 'k@example.vn', organizationId: chan.organizationId, status: 'ACTIVE' } });
    assert.equal((await call('PATCH', `/api/users/${idle.id}/status`, { status: 'SUSPENDED' }, (await login(server, 'khachsan')).accessToken)).status, 404, 'a facility leader has no such authority');
    assert.equal((await call('PATCH', `/api/users/${idle.id}/status`, { status: 'SUSPENDED' })).status, 204);
  });

  test('account requests: a focal point asks, someone with authority approves, the person activates', async () => {
    const call = async (method: string, p: string, token: string, body?: unknown) => {
      const res = await fetch(`${server.url}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: res.status === 204 ? undefined : await res.json() };
    };
    const focal = await login(server, 'soyte');
    const provinceAdmin = await login(server, 'quantri');
    const nationAdmin = await login(server, 'quantri-tw');
    const person = { fullName: 'Phan Thị Quỳnh', position: 'Bác sĩ trưởng khu cách ly', phone: '0905 123 456', email: 'quynh@example.vn' };

    const leader = await call('POST', '/api/account-requests', focal.accessToken, { ...person, username: 'bacsi-quynh', role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel });
    assert.equal(leader.status, 201);
    assert.equal((await call('POST', '/api/account-requests', focal.accessToken, { ...person, username: 'x', role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel })).status, 400, 'bad username');
    assert.equal((await call('POST', '/api/account-requests', focal.accessToken, { ...person, phone: 'call me', username: 'bacsi-b', role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel })).status, 400, 'bad phone');
    // A focal point asks only inside the scope they were named for (soyte: Gia Lai), and only a
    // focal point asks: a scope administrator or an installer is not one.
    assert.equal((await call('POST', '/api/account-requests', focal.accessToken, { ...person, username: 'bacsi-tw', role: 'NATIONAL_MONITOR', scopeType: 'NATION' })).status, 404, 'beyond the focal point\'s scope');
    assert.equal((await call('POST', '/api/account-requests', provinceAdmin.accessToken, { ...person, username: 'bacsi-qt', role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel })).status, 404, 'not a focal point');
    const installer = await login(server, 'kythuat');
    assert.equal((await call('POST', '/api/account-requests', installer.accessToken, { ...person, username: 'bacsi-kt', role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel })).status, 404, 'not a focal point');
    assert.ok(await server.db.prisma.auditEntry.count({ where: { action: 'access.denied', target: 'username:bacsi-qt' } }) >= 1, 'the refusal is audited');
    await server.audit.drain(5000);
    assert.ok(await server.db.prisma.auditEntry.count({ where: { action: 'route.denied', actorId: installer.userId, target: 'route:POST /api/account-requests' } }) >= 1, 'so is the refusal at the route');
    // ... and only for roles people of their kind of organization hold, at the scope types the role takes.
    const badRole = await call('POST', '/api/account-requests', focal.accessToken, { ...person, username: 'bacsi-lx', role: 'INSTALLER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel });
    assert.equal(badRole.status, 400);
    assert.match(badRole.json.error.message, /INSTALLER/);
    assert.equal((await call('POST', '/api/account-requests', focal.accessToken, { ...person, username: 'bacsi-fx', role: 'FACILITY_LEADER', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai })).status, 400, 'a facility leader is not granted at a province');
    assert.equal((await call('POST', '/api/account-requests', focal.accessToken, { ...person, username: 'bacsi-fp', role: 'FOCAL_POINT', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai })).status, 400, 'focal points are named, not requested');
    // A national focal point, named by the national administrator through the grant API.
    const quocgia = await login(server, 'quocgia');
    assert.equal((await call('POST', '/api/assignments', nationAdmin.accessToken, { userId: quocgia.userId, role: 'FOCAL_POINT', scopeType: 'NATION' })).status, 201);
    const national = await call('POST', '/api/account-requests', quocgia.accessToken, { ...person, username: 'bacsi-tw', role: 'NATIONAL_MONITOR', scopeType: 'NATION' });
    assert.equal(national.status, 201);
    // A role for the province administrator himself (a role request for his own account).
    const selfReq = await call('POST', '/api/account-requests', focal.accessToken, { fullName: 'Đỗ Văn Khánh', position: 'Quản trị', phone: '0269 3800 008', email: 'k@example.vn', username: 'quantri', role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai });
    assert.equal(selfReq.status, 201);

    // The focal point cannot decide their own request; the province admin sees only what it may decide.
    assert.equal((await call('POST', `/api/account-requests/${leader.json.id}/approve`, focal.accessToken, {})).status, 404);
    const decidable = (await call('GET', '/api/account-requests', provinceAdmin.accessToken)).json.map((r: { id: string }) => r.id);
    assert.ok(decidable.includes(leader.json.id));
    assert.ok(!decidable.includes(national.json.id), 'a national role is beyond a province admin');
    assert.ok(!decidable.includes(selfReq.json.id), 'nobody decides about themself');
    assert.equal((await call('POST', `/api/account-requests/${national.json.id}/approve`, provinceAdmin.accessToken, {})).status, 404, 'wider than own scope');
    assert.equal((await call('POST', `/api/account-requests/${selfReq.json.id}/approve`, provinceAdmin.accessToken, {})).status, 404, 'approving oneself');

    const approved = await call('POST', `/api/account-requests/${leader.json.id}/approve`, provinceAdmin.accessToken, { reason: 'Danh sách Sở Y tế ngày 20/5' });
    assert.equal(approved.status, 200);
    assert.equal((await call('POST', `/api/account-requests/${leader.json.id}/approve`, provinceAdmin.accessToken, {})).status, 404, 'decided once');
    assert.equal((await call('POST', `/api/account-requests/${national.json.id}/reject`, nationAdmin.accessToken, {})).status, 400, 'a rejection needs a reason');
    assert.equal((await call('POST', `/api/account-requests/${national.json.id}/reject`, nationAdmin.accessToken, { reason: 'Không thuộc diện cấp quyền toàn quốc' })).status, 204);

    // Not usable before activation; the token works once.
    await assert.rejects(login(server, 'bacsi-quynh', 'a-strong-password-1'), /401/);
    const post = (body: unknown) => fetch(`${server.url}/api/auth/activate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post({ token: approved.json.activationToken, password: 'short' })).status, 400);
    assert.equal((await post({ token: approved.json.activationToken, password: 'a-strong-password-1' })).status, 204);
    assert.equal((await post({ token: approved.json.activationToken, password: 'another-password-2' })).status, 401);
    const quynh = await login(server, 'bacsi-quynh', 'a-strong-password-1');
    const me = await call('GET', '/api/me', quynh.accessToken);
    assert.equal(me.json.organization.name, 'Sở Y tế Gia Lai');
    assert.deepEqual(me.json.assignments.map((a: { role: string; scopeId: string }) => [a.role, a.scopeId]), [['FACILITY_LEADER', DEMO_IDS.hotel]]);
    const socket = await connectSocket(server, quynh.accessToken);
    const listed: Ack = await socket.timeout(10_000).emitWithAck('listCameras', {});
    socket.close();
    assert.deepEqual(listed.data.map((c: { id: string }) => c.id), [cameraIds.hotel]);
    for (const action of ['request.submit', 'request.approve', 'request.reject', 'account.activate']) {
      assert.ok(await server.db.prisma.auditEntry.count({ where: { action } }) >= 1, action);
    }
  });

  test('a request never touches an existing account: a taken username is refused or becomes a role request', async () => {
    const call = async (method: string, p: string, token: string, body?: unknown) => {
      const res = await fetch(`${server.url}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: res.status === 204 ? undefined : await res.json() };
    };
    const provinceAdmin = (await login(server, 'quantri')).accessToken;
    const user = (username: string) => server.db.prisma.user.findUniqueOrThrow({ where: { username }, include: { assignments: true } });
    const stranger = { fullName: 'Người Lạ', position: 'Kỹ thuật', phone: '0911 000 111', email: 'la@example.vn', role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai };

    // As tried: the installer asks for the suspended province-wide account of the health department.
    const suspended = await user('soyte-tamdung');
    const byInstaller = await call('POST', '/api/account-requests', (await login(server, 'kythuat')).accessToken, { ...stranger, username: 'soyte-tamdung' });
    assert.equal(byInstaller.status, 404, 'an installer is no focal point');
    // Another organization's focal point (the telecom's, named for the test) gets "taken".
    const vnpt = await user('kythuat');
    await server.db.prisma.roleAssignment.create({ data: { userId: vnpt.id, role: 'FOCAL_POINT', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai } });
    server.access.decisions.invalidate(vnpt.id);
    const byOther = await call('POST', '/api/account-requests', (await login(server, 'kythuat')).accessToken, { ...stranger, username: 'soyte-tamdung' });
    assert.equal(byOther.status, 409);
    assert.equal(byOther.json.error.code, 'CONFLICT');
    assert.match(byOther.json.error.message, /taken/);
    await server.db.prisma.roleAssignment.deleteMany({ where: { userId: vnpt.id, role: 'FOCAL_POINT' } });
    server.access.decisions.invalidate(vnpt.id);
    // The department's own focal point cannot bring it back through a request either.
    const byOwn = await call('POST', '/api/account-requests', (await login(server, 'soyte')).accessToken, { ...stranger, username: 'soyte-tamdung' });
    assert.equal(byOwn.status, 409);
    assert.match(byOwn.json.error.message, /not active/);
    assert.deepEqual(await user('soyte-tamdung'), suspended, 'the suspended account is exactly as it was');
    assert.equal(await server.db.prisma.accountRequest.count({ where: { username: 'soyte-tamdung' } }), 0);

    // An active account of the same organization: a role request, which adds the role and nothing else.
    const before = await user('soyte-hethan');
    const roleRequest = await call('POST', '/api/account-requests', (await login(server, 'soyte')).accessToken, { ...stranger, username: 'soyte-hethan', role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel });
    assert.equal(roleRequest.status, 201);
    assert.equal(roleRequest.json.forUserId, before.id);
    const approved = await call('POST', `/api/account-requests/${roleRequest.json.id}/approve`, provinceAdmin, { reason: 'Bổ sung nhiệm vụ' });
    assert.equal(approved.status, 200);
    assert.deepEqual(approved.json, { userId: before.id }, 'no activation: the person already has their password');
    const after = await user('soyte-hethan');
    const { assignments: rolesBefore, ...recordBefore } = before;
    const { assignments: rolesAfter, ...recordAfter } = after;
    assert.deepEqual(recordAfter, recordBefore, 'name, phone, email, organization, status, password and second factor untouched');
    assert.deepEqual(rolesAfter.filter((a) => !rolesBefore.some((b) => b.id === a.id)).map((a) => [a.role, a.scopeId]), [['FACILITY_LEADER', DEMO_IDS.hotel]]);
    assert.ok((await login(server, 'soyte-hethan')).accessToken, 'signs in with the same password');

    // A username taken between the request and its approval: refused, the request stays pending.
    const late = await call('POST', '/api/account-requests', (await login(server, 'soyte')).accessToken, { ...stranger, username: 'nguoi-den-sau' });
    assert.equal(late.status, 201);
    const taken = await server.db.prisma.user.create({ data: { username: 'nguoi-den-sau', fullName: 'Người Đến Trước', position: 'x', phone: '0900000001', email: 'truoc@example.vn', organizationId: before.organizationId, status: 'SUSPENDED' } });
    const refused = await call('POST', `/api/account-requests/${late.json.id}/approve`, provinceAdmin, {});
    assert.equal(refused.status, 409);
    assert.equal((await server.db.prisma.accountRequest.findUniqueOrThrow({ where: { id: late.json.id } })).status, 'PENDING');
    const untouched = await server.db.prisma.user.findUniqueOrThrow({ where: { id: taken.id }, include: { assignments: true } });
    assert.equal(untouched.status, 'SUSPENDED');
    assert.equal(untouched.fullName, 'Người Đến Trước');
    assert.equal(untouched.activationHash, null);
    assert.deepEqual(untouched.assignments, []);
    assert.equal((await call('POST', `/api/account-requests/${late.json.id}/reject`, provinceAdmin, { reason: 'Tên đăng nhập đã có người dùng' })).status, 204);
  });

  test('repeated failed logins are throttled per account, and the throttle is recorded', async () => {
    const post = (password: string) => fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'congan', password }) });
    for (let i = 0; i < 5; i++) assert.equal((await post('wrong')).status, 401);
    const blocked = await post('giamsat-demo-2021');
    assert.equal(blocked.status, 429, 'even the right password waits once the account is throttled');
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'login.throttled', target: 'username:congan' } }), 1);
    // Other accounts are not affected.
    assert.ok((await login(server, 'quansu')).accessToken);
  });

  test('the OpenAPI document lists every operation, and each one exists on the server', async () => {
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
    assert.equal(doc.openapi, '3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, { requestBody?: unknown }>>).flatMap(([p, methods]) => Object.keys(methods).map((m) => [m, p] as const));
    assert.ok(ops.length >= 20);
    for (const [method, p] of ops) {
      const url = `${server.url}${p.replace(/\{id\}/g, '00000000-0000-4000-8000-000000000000')}`;
      const res = await fetch(url, { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: method === 'get' ? undefined : '{}' });
      const body = res.status === 204 ? {} : await res.json().catch(() => ({}));
      assert.notEqual(body?.error?.message, 'no such route', `${method} ${p} exists`);
    }
    const login = doc.paths['/api/auth/login'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(login.required, ['username', 'password']);
    assert.equal(login.additionalProperties, false);
  });

  test('the facility tree holds only what the caller may watch', async () => {
    const tree = async (username: string) => (await fetch(`${server.url}/api/places`, { headers: { authorization: `Bearer ${(await login(server, username)).accessToken}` } })).json();
    const health = await tree('soyte');
    assert.deepEqual(health.units.map((p: { name: string }) => p.name), ['Tỉnh Gia Lai']);
    const facilities = health.units[0].units.flatMap((d: { facilities: Array<{ id: string; cameras: Array<{ id: string }> }> }) => d.facilities);
    assert.deepEqual(facilities.map((f: { id: string }) => f.id).sort(), [DEMO_IDS.military, DEMO_IDS.hotel, DEMO_IDS.school].sort());
    assert.deepEqual(health.unassignedCameras, []);
    const leader = await tree('khachsan');
    assert.equal(JSON.stringify(leader).includes(DEMO_IDS.military), false);
    assert.deepEqual(leader.units[0].units[0].facilities[0].cameras.map((c: { id: string }) => c.id), [cameraIds.hotel]);
    const ops = await tree('vanhanh');
    assert.deepEqual(ops, { units: [], unassignedCameras: [] });
    const national = await tree('quocgia');
    assert.equal(national.units.length, 2);
    assert.deepEqual(national.unassignedCameras.map((c: { id: string }) => c.id), [cameraIds.unassigned]);
  });

  test('a spot check can be ended early by whoever may open it', async () => {
    const admin = (await login(server, 'quantri')).accessToken;
    const inspector = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'thanhtra' } });
    const call = (method: string, p: string, token: string, body?: unknown) => fetch(`${server.url}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    const created = await call('POST', '/api/spot-checks', admin, { inspectorId: inspector.id, cameraIds: [cameraIds.checkpoint], endsAt: new Date(Date.now() + 3600_000).toISOString(), reason: 'Kiểm tra chốt' });
    assert.equal(created.status, 201);
    const spot = await created.json();
    const sees = async () => {
      const socket = await connectSocket(server, (await login(server, 'thanhtra')).accessToken);
      const listed: Ack = await socket.timeout(10_000).emitWithAck('listCameras', {});
      socket.close();
      return listed.data.map((c: { id: string }) => c.id).includes(cameraIds.checkpoint);
    };
    assert.equal(await sees(), true);
    assert.equal((await call('DELETE', `/api/spot-checks/${spot.id}`, (await login(server, 'soyte')).accessToken)).status, 404, 'a monitor cannot end it');
    assert.equal((await call('DELETE', `/api/spot-checks/${spot.id}`, admin)).status, 204);
    assert.equal(await sees(), false);
    assert.equal((await call('DELETE', `/api/spot-checks/${spot.id}`, admin)).status, 404, 'ended once');
    assert.equal((await call('POST', '/api/spot-checks', admin, { inspectorId: inspector.id, facilityId: DEMO_IDS.hospitalKonTum, endsAt: new Date(Date.now() + 3600_000).toISOString(), reason: 'x' })).status, 404, 'outside the admin\'s province');
  });

  test('camera configuration changes are audited, without their URLs', async () => {
    const entries = await server.db.prisma.auditEntry.findMany({ where: { action: 'camera.create' } });
    assert.equal(entries.length, COLUMNS.length);
    assert.doesNotMatch(JSON.stringify(entries, (_k, v) => (typeof v === 'bigint' ? String(v) : v)), /S3cret|rtsp:/);
  });

  test('camera credentials appear in no API answer and no socket message', async () => {
    const session = await login(server, 'quocgia');
    const seen: string[] = [];
    const socket = await connectSocket(server, session.accessToken);
    socket.onAny((event, ...args) => seen.push(JSON.stringify([event, args])));
    const listed: Ack = await socket.timeout(10_000).emitWithAck('listCameras', {});
    seen.push(JSON.stringify(listed));
    const t: Ack = await socket.timeout(10_000).emitWithAck('createTransport', {});
    const r: Ack = await socket.timeout(15_000).emitWithAck('consume', { transportId: t.data.id, cameraId: cameraIds.hotel, rtpCapabilities: server.media.rtpCapabilities });
    seen.push(JSON.stringify(r));
    socket.close();
    for (const p of ['/api/cameras', `/api/cameras/${cameraIds.hotel}`]) {
      seen.push(await (await fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${await adminBearer(server)}` } })).text());
    }
    seen.push(await (await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${session.accessToken}` } })).text());
    const all = seen.join('\n');
    assert.ok(all.includes(cameraIds.hotel!), 'the check looked at real answers');
    assert.doesNotMatch(all, /S3cret|viewer:/);
    assert.doesNotMatch(all, /passwordHash|\$2[aby]\$/);
  });

  // Last: it leaves this address throttled.
  test('repeated failed logins are throttled per address too, whatever the account names', async () => {
    const post = (username: string, password: string) => fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    const since = new Date(Date.now() - 15 * 60_000);
    const already = await server.db.prisma.auditEntry.count({ where: { action: 'login.failure', at: { gte: since } } });
    for (let i = already; i < 20; i++) assert.equal((await post(`nobody-${i}`, 'guess')).status, 401);
    assert.equal((await post('quocgia', 'giamsat-demo-2021')).status, 429, 'the address is throttled, even for a right password');
  });
});
