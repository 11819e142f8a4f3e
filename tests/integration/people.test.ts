// People administered by scope administrators, on both databases: an organization's members
// with their roles; a new account for a named person of an organization in scope, with a
// first role and a one-time activation link (audited; never touching an existing account,
// even under parallel requests); the installers over a facility and who could be one; and the
// refusals: outside the scope is "not found", a role the organization's kind cannot hold or a
// scope type the role is not granted at is a clear 400, and nothing is stored.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { apiCall, login, startTestServer, type TestServer } from '../support/server.js';

for (const kind of ['embedded', 'postgresql'] as const) {
  describe(`people administered by scope administrators (${kind})`, { timeout: 180_000 }, () => {
    let server: TestServer;
    let pg: TestPostgres | undefined;
    const tokens = new Map<string, string>();

    before(async () => {
      pg = kind === 'postgresql' ? await createTestDatabase() : undefined;
      server = await startTestServer(pg ? { databaseUrl: pg.url } : {});
      for (const u of ['quantri', 'quantri-tw', 'kythuat']) tokens.set(u, (await login(server, u)).accessToken);
    });
    after(async () => {
      await server?.stop();
      await pg?.drop();
    });

    const call = (who: string, method: string, url: string, body?: unknown) => apiCall(server, tokens.get(who), method, url, body);
    const org = async (name: string) => (await server.db.prisma.organization.findUniqueOrThrow({ where: { name } })).id;
    const person = (username: string, extra: Record<string, unknown> = {}) => ({
      fullName: 'Trương Văn Quý', position: 'Kỹ thuật viên', phone: '0912 345 678', email: `${username}@vnpt.example.vn`, username,
      role: 'INSTALLER', scopeType: 'UNIT', scopeId: DEMO_IDS.chuSe, ...extra,
    });

    test('an organization\'s people with their roles, and the roles its kind may hold', async () => {
      const r = await call('quantri', 'GET', `/api/organizations/${await org('VNPT Gia Lai')}/people`);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.organization.name, 'VNPT Gia Lai');
      assert.ok(r.json.roles.some((x: { role: string }) => x.role === 'INSTALLER'));
      const kythuat = r.json.people.find((p: { username: string }) => p.username === 'kythuat');
      assert.equal(kythuat.fullName, 'Đặng Văn Giang');
      assert.deepEqual(kythuat.roles.map((x: { role: string; scopeName: string }) => [x.role, x.scopeName]), [['INSTALLER', 'Khách sạn Hoàng Anh (cách ly)']]);
      // A health department's people may not be installers: the form is not offered the role.
      const soyte = await call('quantri', 'GET', `/api/organizations/${await org('Sở Y tế Gia Lai')}/people`);
      assert.ok(!soyte.json.roles.some((x: { role: string }) => x.role === 'INSTALLER'));
      // Only roles the caller can grant: a provincial administrator is not offered a national one.
      const offered = (r: { json: { roles: Array<{ role: string; scopes: string[] }> } }) => Object.fromEntries(r.json.roles.map((x) => [x.role, x.scopes.join()]));
      assert.equal(offered(soyte).NATIONAL_MONITOR, undefined);
      assert.equal(offered(soyte).PROVINCIAL_HEALTH_MONITOR, 'UNIT');
      assert.equal(offered(soyte).SCOPE_ADMIN, 'UNIT,FACILITY');
      const national = await call('quantri-tw', 'GET', `/api/organizations/${await org('Sở Y tế Gia Lai')}/people`);
      assert.equal(offered(national).NATIONAL_MONITOR, 'NATION');
      // The national ministry department is outside a provincial administrator's scope.
      assert.equal((await call('quantri', 'GET', `/api/organizations/${await org('Cục Công nghệ thông tin, Bộ Y tế')}/people`)).status, 404);
      assert.equal((await call('kythuat', 'GET', `/api/organizations/${await org('VNPT Gia Lai')}/people`)).status, 404, 'an installer administers nobody');
    });

    test('a provincial administrator makes an account with a first role; the person activates it and signs in', async () => {
      const r = await call('quantri', 'POST', `/api/organizations/${await org('VNPT Gia Lai')}/people`, person('vnpt-quy'));
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.ok(r.json.activationToken.length >= 32);
      assert.ok(Date.parse(r.json.activationExpiresAt) > Date.now() + 71 * 3600_000);
      const stored = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'vnpt-quy' }, include: { assignments: true, organization: true } });
      assert.equal(stored.organization.name, 'VNPT Gia Lai');
      assert.equal(stored.passwordHash, null);
      assert.equal(stored.phone, '0912 345 678');
      assert.deepEqual(stored.assignments.map((a) => [a.role, a.scopeType, a.scopeId]), [['INSTALLER', 'UNIT', DEMO_IDS.chuSe]]);
      const quantri = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'quantri' } });
      assert.equal(stored.assignments[0]!.grantedById, quantri.id);
      const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'account.create', target: `user:${stored.id}` } });
      assert.equal(entry.actorId, quantri.id);
      assert.doesNotMatch(JSON.stringify(entry.details), /activation|token/i, 'the link is never in the audit log');

      const activate = (token: string) => fetch(`${server.url}/api/auth/activate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: 'mat-khau-rat-dai-2021' }) });
      assert.equal((await activate(r.json.activationToken)).status, 204);
      assert.equal((await activate(r.json.activationToken)).status, 401, 'the link works once');
      const signIn = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vnpt-quy', password: 'mat-khau-rat-dai-2021' }) });
      assert.equal(signIn.status, 200);
      // (The second factor is off in this server; tests/integration/first-start.test.ts enrols it.)
      assert.equal((await signIn.json()).user.username, 'vnpt-quy');
    });

    test('a taken username is refused and the existing account is untouched, even for a suspended one and under parallel requests', async () => {
      const before = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'soyte-tamdung' }, include: { assignments: true } });
      const r = await call('quantri', 'POST', `/api/organizations/${await org('VNPT Gia Lai')}/people`, person('soyte-tamdung'));
      assert.equal(r.status, 409);
      assert.match(r.json.error.message, /username/);
      const afterRow = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'soyte-tamdung' }, include: { assignments: true } });
      assert.deepEqual(afterRow, before);

      const vnpt = await org('VNPT Gia Lai');
      const all = await Promise.all(Array.from({ length: 6 }, () => call('quantri', 'POST', `/api/organizations/${vnpt}/people`, person('vnpt-song-song', { scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel }))));
      assert.deepEqual(all.map((x) => x.status).sort(), [201, 409, 409, 409, 409, 409]);
      assert.equal(await server.db.prisma.roleAssignment.count({ where: { user: { username: 'vnpt-song-song' } } }), 1);
    });

    test('refusals name the field or say "not found", and store nothing', async () => {
      const vnpt = await org('VNPT Gia Lai');
      const users = await server.db.prisma.user.count();
      const cases: Array<[string, string, Record<string, unknown>, number, RegExp?]> = [
        ['quantri', vnpt, person('x-bad-phone', { phone: 'call me' }), 400, /phone/],
        ['quantri', vnpt, person('x-bad-email', { email: 'not-an-email' }), 400, /email/],
        ['quantri', vnpt, person('X Bad Name'), 400, /username/],
        ['quantri', vnpt, person('x-extra', { password: 'chosen-by-admin' }), 400, /password|Unrecognized/],
        ['quantri', vnpt, person('x-at-nation', { scopeType: 'NATION', scopeId: null }), 400, /role/],
        ['quantri', await org('Sở Y tế Gia Lai'), person('x-health-installer'), 400, /role/],
        ['quantri', vnpt, person('x-kontum', { scopeType: 'FACILITY', scopeId: DEMO_IDS.hospitalKonTum }), 404],
        ['quantri', vnpt, person('x-nowhere', { scopeId: '00000000-0000-4000-8000-0000000000ff' }), 404],
        ['quantri', await org('Cục Công nghệ thông tin, Bộ Y tế'), person('x-ministry', { role: 'OPS', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }), 404],
        ['quantri', '00000000-0000-4000-8000-0000000000ff', person('x-no-org'), 404],
        ['kythuat', vnpt, person('x-by-installer'), 404],
      ];
      for (const [who, orgId, body, status, message] of cases) {
        const r = await call(who, 'POST', `/api/organizations/${orgId}/people`, body);
        assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.json)}`);
        if (message) assert.match(r.json.error.message, message);
      }
      assert.equal(await server.db.prisma.user.count(), users);
    });

    test('the installers over a facility, who could be one, and assigning one there', async () => {
      const q = `scopeType=FACILITY&scopeId=${DEMO_IDS.school}&role=INSTALLER`;
      // vnpt-quy (made above) holds the district of Chư Sê: listed for the school through it.
      let holders = await call('quantri', 'GET', `/api/assignments?${q}`);
      assert.equal(holders.status, 200, JSON.stringify(holders.json));
      assert.deepEqual(holders.json.map((h: { user: { username: string }; direct: boolean; scopeName: string }) => [h.user.username, h.direct, h.scopeName]), [['vnpt-quy', false, 'Huyện Chư Sê']]);
      const candidates = await call('quantri', 'GET', `/api/people/candidates?${q}`);
      const names = candidates.json.map((p: { username: string }) => p.username);
      assert.ok(names.includes('kythuat') && names.includes('vnpt-quy'), names.join());
      assert.ok(!names.includes('soyte') && !names.includes('quantri'), 'only people of telecom organizations');

      const kythuat = candidates.json.find((p: { username: string }) => p.username === 'kythuat');
      const grant = await call('quantri', 'POST', '/api/assignments', { userId: kythuat.id, role: 'INSTALLER', scopeType: 'FACILITY', scopeId: DEMO_IDS.school });
      assert.equal(grant.status, 201);
      holders = await call('quantri', 'GET', `/api/assignments?${q}`);
      assert.deepEqual(holders.json.map((h: { user: { username: string }; direct: boolean }) => [h.user.username, h.direct]).sort(), [['kythuat', true], ['vnpt-quy', false]]);
      // The installer now reads the school's facility record.
      assert.equal((await call('kythuat', 'GET', `/api/facilities/${DEMO_IDS.school}`)).status, 200);
      assert.equal((await call('quantri', 'DELETE', `/api/assignments/${grant.json.id}`)).status, 204);
      holders = await call('quantri', 'GET', `/api/assignments?${q}`);
      assert.ok(!holders.json.some((h: { user: { username: string } }) => h.user.username === 'kythuat'));

      // Outside the scope, or without administering anything: "not found".
      const kontum = `scopeType=FACILITY&scopeId=${DEMO_IDS.hospitalKonTum}&role=INSTALLER`;
      assert.equal((await call('quantri', 'GET', `/api/assignments?${kontum}`)).status, 404);
      assert.equal((await call('quantri', 'GET', `/api/people/candidates?${kontum}`)).status, 404);
      assert.equal((await call('kythuat', 'GET', `/api/assignments?${q}`)).status, 404);
      assert.equal((await call('quantri', 'GET', '/api/assignments?scopeType=PLANET')).status, 400);
      assert.equal((await call('quantri', 'GET', `/api/people/candidates?scopeType=FACILITY&scopeId=${DEMO_IDS.school}`)).status, 400, 'the role is required');
      // The national administrator sees Kon Tum's too.
      assert.equal((await call('quantri-tw', 'GET', `/api/assignments?${kontum}`)).status, 200);
    });
  });
}
