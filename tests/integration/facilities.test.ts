// Facilities and organizations administered by people, on both databases: a scope
// administrator creates, edits and retires them in their scope (and is told "not found"
// outside it), every change is audited with the names of the fields changed, bad input names
// its field and stores nothing, and an installer assigned to a facility reads it and sets its
// survey status, nothing more.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { apiCall, login, startTestServer, type TestServer } from '../support/server.js';

for (const kind of ['embedded', 'postgresql'] as const) {
  describe(`facilities and organizations (${kind})`, { timeout: 180_000 }, () => {
    let server: TestServer;
    let pg: TestPostgres | undefined;
    const tokens = new Map<string, string>();

    before(async () => {
      pg = kind === 'postgresql' ? await createTestDatabase() : undefined;
      server = await startTestServer(pg ? { databaseUrl: pg.url } : {});
      for (const u of ['quantri', 'quantri-tw', 'kythuat', 'soyte']) tokens.set(u, (await login(server, u)).accessToken);
    });
    after(async () => {
      await server?.stop();
      await pg?.drop();
    });

    const call = (who: string, method: string, url: string, body?: unknown) => apiCall(server, tokens.get(who), method, url, body);
    const kontumUnit = async () => (await server.db.prisma.adminUnit.findUniqueOrThrow({ where: { code: '608' } })).id;
    const hanoi = async () => (await server.db.prisma.adminUnit.findUniqueOrThrow({ where: { code: '01' } })).id;
    const facilityRow = (id: string) => server.db.prisma.facility.findUniqueOrThrow({ where: { id } });

    const hotel = {
      unitId: DEMO_IDS.chuSe, name: 'Khách sạn Phố Núi (cách ly)', kind: 'CIVILIAN_QUARANTINE', siteType: 'HOTEL',
      address: '12 Hùng Vương, Chư Sê', capacity: 120, leaderName: 'Phan Văn Tài', leaderPhone: '0269 3811 222',
      camerasExpected: 6, connectBy: '2021-08-20',
    };

    test('a provincial administrator creates a facility in their province, with every field the connection drive needs', async () => {
      const r = await call('quantri', 'POST', '/api/facilities', hotel);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.name, hotel.name);
      assert.equal(r.json.connectBy, '2021-08-20');
      assert.equal(r.json.surveyStatus, 'NOT_SURVEYED');
      assert.equal(r.json.place, 'Huyện Chư Sê, Tỉnh Gia Lai');
      assert.deepEqual(r.json.may, { edit: true, survey: true });
      const stored = await facilityRow(r.json.id);
      assert.equal(stored.capacity, 120);
      assert.equal(stored.leaderPhone, '0269 3811 222');
      const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'facility.create', target: `facility:${r.json.id}` } });
      assert.equal(entry.actorId, (await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'quantri' } })).id);
      // The same name twice in a unit is refused.
      assert.equal((await call('quantri', 'POST', '/api/facilities', hotel)).status, 409);
      // Listed for its administrator, under the province and the district.
      const listed = await call('quantri', 'GET', `/api/facilities?within=${DEMO_IDS.gialai}`);
      assert.ok(listed.json.some((f: { id: string }) => f.id === r.json.id));
      assert.ok(!listed.json.some((f: { id: string }) => f.id === DEMO_IDS.hospitalKonTum), 'nothing of Kon Tum');
    });

    test('outside their scope, or with bad input, a request is refused clearly and nothing is stored', async () => {
      const before = await server.db.prisma.facility.count();
      assert.equal((await call('quantri', 'POST', '/api/facilities', { ...hotel, unitId: await kontumUnit(), name: 'X' })).status, 404, 'another province is "not found"');
      assert.equal((await call('quantri', 'POST', '/api/facilities', { ...hotel, unitId: '00000000-0000-4000-8000-0000000000ff', name: 'Y' })).status, 404);
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [{ ...hotel, name: '' }, /name/],
        [{ ...hotel, kind: 'PRISON' }, /kind/],
        [{ ...hotel, siteType: null }, /siteType/],
        [{ ...hotel, kind: 'CHECKPOINT' }, /siteType/],
        [{ ...hotel, leaderPhone: 'call me' }, /leaderPhone/],
        [{ ...hotel, capacity: -1 }, /capacity/],
        [{ ...hotel, connectBy: '2021-02-30' }, /connectBy/],
        [{ ...hotel, camerasExpected: 'six' }, /camerasExpected/],
        [{ ...hotel, extra: 1 }, /extra|Unrecognized/],
        [{ ...hotel, name: 'Z', managingOrgId: '00000000-0000-4000-8000-0000000000ff' }, /managingOrgId: no such organization/],
      ];
      for (const [body, field] of bad) {
        const r = await call('quantri', 'POST', '/api/facilities', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(r.json.error.message, field);
      }
      for (const who of ['soyte', 'kythuat']) assert.equal((await call(who, 'POST', '/api/facilities', { ...hotel, name: 'W' })).status, 404, `${who} administers nothing`);
      assert.equal(await server.db.prisma.facility.count(), before);
    });

    test('edits are audited with the names of the fields changed; moving to a unit outside the scope is refused', async () => {
      const f = (await call('quantri', 'GET', `/api/facilities?within=${DEMO_IDS.chuSe}`)).json.find((x: { name: string }) => x.name === hotel.name);
      const r = await call('quantri', 'PATCH', `/api/facilities/${f.id}`, { capacity: 150, leaderPhone: '0905 111 222', name: hotel.name });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'facility.update', target: `facility:${f.id}` }, orderBy: { seq: 'desc' } });
      assert.deepEqual((entry.details as { fields: string[] }).fields.sort(), ['capacity', 'leaderPhone'], 'an unchanged name is not a change');
      assert.equal((await call('quantri', 'PATCH', `/api/facilities/${f.id}`, { unitId: await kontumUnit() })).status, 404);
      assert.equal((await call('quantri', 'PATCH', `/api/facilities/${f.id}`, { kind: 'CHECKPOINT' })).status, 400, 'a checkpoint has no site type');
      assert.equal((await call('quantri', 'PATCH', `/api/facilities/${f.id}`, {})).status, 400);
      assert.equal((await call('quantri', 'PATCH', `/api/facilities/${DEMO_IDS.hospitalKonTum}`, { capacity: 1 })).status, 404);
      assert.equal((await facilityRow(f.id)).unitId, DEMO_IDS.chuSe);
      // Moving within the province is allowed.
      assert.equal((await call('quantri', 'PATCH', `/api/facilities/${f.id}`, { unitId: DEMO_IDS.pleiku })).status, 200);
      assert.equal((await facilityRow(f.id)).unitId, DEMO_IDS.pleiku);
    });

    test('an installer assigned to a facility reads it and sets its survey status, and nothing else', async () => {
      const r = await call('kythuat', 'GET', '/api/facilities');
      assert.deepEqual(r.json.map((f: { id: string }) => f.id), [DEMO_IDS.hotel], 'only the facility they are assigned');
      assert.deepEqual(r.json[0].may, { edit: false, survey: true });
      const s = await call('kythuat', 'PUT', `/api/facilities/${DEMO_IDS.hotel}/survey`, { status: 'INSTALLING', note: 'Đã kéo cáp tầng 2' });
      assert.equal(s.status, 200, JSON.stringify(s.json));
      const row = await facilityRow(DEMO_IDS.hotel);
      assert.equal(row.surveyStatus, 'INSTALLING');
      assert.equal(row.surveyNote, 'Đã kéo cáp tầng 2');
      assert.equal(row.surveySetById, (await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'kythuat' } })).id);
      assert.ok(row.surveySetAt);
      assert.equal(s.json.surveySetBy, 'Đặng Văn Giang', 'who set it, by name');
      assert.equal((await call('kythuat', 'PUT', `/api/facilities/${DEMO_IDS.military}/survey`, { status: 'CONNECTED' })).status, 404, 'not their facility');
      assert.equal((await call('kythuat', 'PUT', `/api/facilities/${DEMO_IDS.hotel}/survey`, { status: 'DONE' })).status, 400);
      assert.equal((await call('kythuat', 'PATCH', `/api/facilities/${DEMO_IDS.hotel}`, { capacity: 5 })).status, 404, 'installers do not edit facilities');
      assert.equal((await call('kythuat', 'POST', `/api/facilities/${DEMO_IDS.hotel}/retire`)).status, 404);
    });

    test('retiring: refused while cameras remain, done otherwise, and a retired facility takes no edits', async () => {
      const cam = await server.db.prisma.camera.create({ data: { name: 'Cam tạm', mainUrlEnc: 'x', facilityId: DEMO_IDS.school } });
      const refused = await call('quantri', 'POST', `/api/facilities/${DEMO_IDS.school}/retire`);
      assert.equal(refused.status, 409);
      assert.match(refused.json.error.message, /still has 1 camera/);
      await server.db.prisma.camera.delete({ where: { id: cam.id } });
      const done = await call('quantri', 'POST', `/api/facilities/${DEMO_IDS.school}/retire`);
      assert.equal(done.status, 200);
      assert.ok(done.json.retiredAt);
      assert.equal((await call('quantri', 'PATCH', `/api/facilities/${DEMO_IDS.school}`, { capacity: 3 })).status, 409);
      assert.ok(!(await call('quantri', 'GET', '/api/facilities')).json.some((f: { id: string }) => f.id === DEMO_IDS.school), 'retired facilities leave the list');
      assert.ok((await call('quantri', 'GET', '/api/facilities?retired=1')).json.some((f: { id: string }) => f.id === DEMO_IDS.school));
    });

    test('organizations: created at a scope by its administrator, names unique, edits and retirement audited', async () => {
      const telecom = await call('quantri', 'POST', '/api/organizations', { name: 'Viettel Gia Lai', kind: 'TELECOM_INSTALLER', unitId: DEMO_IDS.gialai });
      assert.equal(telecom.status, 201, JSON.stringify(telecom.json));
      assert.equal((await call('quantri', 'POST', '/api/organizations', { name: 'viettel gia lai', kind: 'TELECOM_INSTALLER', unitId: DEMO_IDS.gialai })).status, 409, 'names are unique, whatever the case');
      assert.equal((await call('quantri', 'POST', '/api/organizations', { name: 'Sở Y tế Hà Nội', kind: 'PROVINCIAL_HEALTH_DEPARTMENT', unitId: await hanoi() })).status, 404, 'outside the province');
      assert.equal((await call('quantri', 'POST', '/api/organizations', { name: 'Bộ X', kind: 'MOH_IT_DEPARTMENT', unitId: null })).status, 404, 'national bodies are the nation\'s');
      assert.equal((await call('quantri-tw', 'POST', '/api/organizations', { name: 'Sở Y tế Hà Nội', kind: 'PROVINCIAL_HEALTH_DEPARTMENT', unitId: await hanoi() })).status, 201);
      assert.equal((await call('quantri', 'POST', '/api/organizations', { name: 'A', kind: 'CLUB', unitId: DEMO_IDS.gialai })).status, 400);
      const listed = (await call('quantri', 'GET', '/api/organizations')).json.map((o: { name: string }) => o.name);
      assert.ok(listed.includes('Viettel Gia Lai') && listed.includes('Sở Y tế Gia Lai'));
      assert.ok(!listed.includes('Sở Y tế Hà Nội') && !listed.includes('Cục Công nghệ thông tin, Bộ Y tế'));
      const renamed = await call('quantri', 'PATCH', `/api/organizations/${telecom.json.id}`, { name: 'Viettel Gia Lai (Chi nhánh)' });
      assert.equal(renamed.status, 200);
      const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'organization.update', target: `organization:${telecom.json.id}` } });
      assert.deepEqual((entry.details as { fields: string[] }).fields, ['name']);
      // A facility managed by it; then it is retired and can no longer be picked.
      const f = await call('quantri', 'POST', '/api/facilities', { ...hotel, name: 'Trường Tiểu học A', siteType: 'SCHOOL', managingOrgId: telecom.json.id });
      assert.equal(f.status, 201);
      assert.equal(f.json.managingOrgName, 'Viettel Gia Lai (Chi nhánh)');
      assert.equal((await call('quantri', 'POST', `/api/organizations/${telecom.json.id}/retire`)).status, 200);
      const refused = await call('quantri', 'POST', '/api/facilities', { ...hotel, name: 'Trường Tiểu học B', siteType: 'SCHOOL', managingOrgId: telecom.json.id });
      assert.equal(refused.status, 400);
      assert.match(refused.json.error.message, /managingOrgId: the organization is retired/);
      assert.equal((await call('soyte', 'PATCH', `/api/organizations/${telecom.json.id}`, { name: 'X Y' })).status, 404);
    });
  });
}
