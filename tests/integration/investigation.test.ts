// The leak investigation through the real server, on both databases: who watched a camera at a
// moment (live views overlapping it, and recordings of it played back later), with contacts;
// what a person watched; only inside the administrator's scope; exports audited; bad input.
// View sessions are written with chosen times (the browser flow that makes them is in
// tests/e2e/investigation.test.ts); a playback is recorded through the same audit call the
// plugins' access facade makes.
// parallel-safe: the database, HTTP and socket.io only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { addCamera, apiCall, login, startTestServer, type TestServer } from '../support/server.js';

for (const kind of ['embedded', 'postgresql'] as const) describe(`leak investigation (${kind})`, { timeout: 120_000 }, () => {
  let server: TestServer;
  let pgdb: TestPostgres | undefined;
  let hotelCam: string;
  let konTumCam: string;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const now = Date.now();
  const ago = (min: number) => new Date(now - min * 60_000);
  const q = (from: Date, to: Date, extra = '') => `?from=${from.toISOString()}&to=${to.toISOString()}${extra}`;

  before(async () => {
    if (kind === 'postgresql') pgdb = await createTestDatabase();
    server = await startTestServer(pgdb ? { databaseUrl: pgdb.url } : {});
    // Addresses nobody answers: the investigation reads the log, not the cameras.
    hotelCam = (await addCamera(server, { name: 'Hành lang tầng 2', mainUrl: 'rtsp://127.0.0.1:9/hotel', facilityId: DEMO_IDS.hotel })).json.id;
    konTumCam = (await addCamera(server, { name: 'Sảnh Kon Tum', mainUrl: 'rtsp://127.0.0.1:9/kontum', facilityId: DEMO_IDS.hospitalKonTum })).json.id;
    for (const u of ['quantri', 'quantri-tw', 'soyte', 'quocgia', 'khachsan', 'vanhanh']) {
      const s = await login(server, u);
      ids[u] = s.userId;
      tokens[u] = s.accessToken;
    }
    const view = (user: string, cameraId: string, from: Date, to: Date | null, address: string) => server.db.prisma.viewSession.create({
      data: { userId: ids[user]!, cameraId, stream: 'main', startedAt: from, endedAt: to, endReason: to ? 'closed' : null, address, userAgent: 'Mozilla/5.0 Chrome/156' },
    });
    await view('soyte', hotelCam, ago(60), ago(30), '10.64.0.21');
    await view('quocgia', hotelCam, ago(40), null, '10.1.0.7');
    await view('khachsan', hotelCam, ago(10), ago(5), '10.64.3.3');
    await view('quocgia', konTumCam, ago(35), ago(20), '10.1.0.7');
    // soyte plays back the recording of 36–35 minutes ago, now.
    await server.audit.append({ actorId: ids.soyte!, action: 'media.access', target: `camera:${hotelCam}`, address: '10.64.0.21', details: { purpose: 'recording', segment: 'x.mp4', recordedFrom: ago(36).toISOString(), recordedTo: ago(35).toISOString() } });
    // khachsan takes a snapshot now: not a picture of 35 minutes ago.
    await server.audit.append({ actorId: ids.khachsan!, action: 'media.access', target: `camera:${hotelCam}`, address: '10.64.3.3', details: { purpose: 'snapshot' } });
  });
  after(async () => {
    await server?.stop();
    await pgdb?.drop();
  });

  test('who watched a camera at a moment: live views then, and its recording of then played later, with contacts', async () => {
    const moment = ago(35);
    const res = await apiCall(server, tokens.quantri, 'GET', `/api/investigation/cameras/${hotelCam}${q(moment, moment)}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.camera.name, 'Hành lang tầng 2');
    assert.equal(res.json.camera.facility, 'Khách sạn Hoàng Anh (cách ly)');
    const seen = res.json.rows.map((r: any) => `${r.kind}:${r.person.username}`).sort();
    assert.deepEqual(seen, ['live:quocgia', 'live:soyte', 'recording:soyte']);
    const soyte = res.json.rows.find((r: any) => r.kind === 'live' && r.person.username === 'soyte');
    assert.equal(soyte.person.fullName, 'Trần Thị Bình');
    assert.equal(soyte.person.organization, 'Sở Y tế Gia Lai');
    assert.equal(soyte.person.position, 'Phó Giám đốc Sở');
    assert.match(soyte.person.phone, /^0269\d{7}$/);
    assert.equal(soyte.person.email, 'soyte@demo.giamsat.vn');
    assert.equal(soyte.address, '10.64.0.21');
    assert.equal(new Date(soyte.startedAt).getTime(), ago(60).getTime());
    assert.equal(new Date(soyte.endedAt).getTime(), ago(30).getTime());
    assert.equal(res.json.rows.find((r: any) => r.person.username === 'quocgia').endedAt, null, 'still watching');
    // A period reaching the leader's view and the snapshot of now.
    const wide = await apiCall(server, tokens.quantri, 'GET', `/api/investigation/cameras/${hotelCam}${q(ago(12), new Date())}`);
    assert.deepEqual(wide.json.rows.map((r: any) => `${r.kind}:${r.person.username}`).sort(), ['live:khachsan', 'live:quocgia', 'snapshot:khachsan']);
  });

  test('only inside the administrator\'s scope; anyone else is told nothing exists', async () => {
    const p = q(ago(60), new Date());
    assert.equal((await apiCall(server, tokens.quantri, 'GET', `/api/investigation/cameras/${konTumCam}${p}`)).status, 404, 'Kon Tum is outside Gia Lai');
    const national = await apiCall(server, tokens['quantri-tw'], 'GET', `/api/investigation/cameras/${konTumCam}${p}`);
    assert.deepEqual(national.json.rows.map((r: any) => r.person.username), ['quocgia']);
    for (const u of ['soyte', 'quocgia', 'khachsan']) {
      assert.equal((await apiCall(server, tokens[u], 'GET', `/api/investigation/cameras/${hotelCam}${p}`)).status, 404, `${u} is no administrator`);
      assert.equal((await apiCall(server, tokens[u], 'GET', '/api/audit/verify')).status, 404);
    }
    assert.equal((await apiCall(server, undefined, 'GET', `/api/investigation/cameras/${hotelCam}${p}`)).status, 401);
  });

  test('what a person watched: the cameras inside the scope only; a stranger to the scope is not found', async () => {
    const p = q(ago(60), new Date());
    const mine = await apiCall(server, tokens.quantri, 'GET', `/api/investigation/people/${ids.quocgia}${p}`);
    assert.equal(mine.status, 200);
    assert.equal(mine.json.person.fullName, 'Nguyễn Văn An');
    assert.deepEqual(mine.json.rows.map((r: any) => r.camera.name), ['Hành lang tầng 2'], 'not the Kon Tum camera');
    const all = await apiCall(server, tokens['quantri-tw'], 'GET', `/api/investigation/people/${ids.quocgia}${p}`);
    assert.deepEqual(all.json.rows.map((r: any) => r.camera.name), ['Hành lang tầng 2', 'Sảnh Kon Tum']);
    // A national body's person who watched nothing in Gia Lai is unknown to Gia Lai's administrator.
    assert.equal((await apiCall(server, tokens.quantri, 'GET', `/api/investigation/people/${ids.vanhanh}${p}`)).status, 404);
    assert.deepEqual((await apiCall(server, tokens['quantri-tw'], 'GET', `/api/investigation/people/${ids.vanhanh}${p}`)).json.rows, []);
    // Someone of Gia Lai is known even with nothing watched.
    const leader = await apiCall(server, tokens.quantri, 'GET', `/api/investigation/people/${ids.khachsan}${q(ago(60), ago(50))}`);
    assert.equal(leader.status, 200);
    assert.deepEqual(leader.json.rows, []);
  });

  test('the answer as XLSX and PDF, each export audited; the chain verifies for a provincial administrator', async () => {
    const moment = ago(35);
    const before = await server.db.prisma.auditEntry.count({ where: { action: 'audit.export' } });
    const xlsx = await fetch(`${server.url}/api/investigation/cameras/${hotelCam}${q(moment, moment, '&format=xlsx')}`, { headers: { authorization: `Bearer ${tokens.quantri}` } });
    assert.equal(xlsx.status, 200);
    assert.match(xlsx.headers.get('content-disposition')!, /truy-vet_camera-.*\.xlsx/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as never);
    const ws = wb.worksheets[0]!;
    const text = ws.getSheetValues().map((r) => (Array.isArray(r) ? r.slice(1).join(' | ') : '')).join('\n');
    assert.match(text, /Danh sách người đã xem camera/);
    assert.match(text, /Xem trực tiếp \| Trần Thị Bình \| soyte \| Sở Y tế Gia Lai \| Phó Giám đốc Sở \| 0269\d{7} \| soyte@demo\.giamsat\.vn \| Hành lang tầng 2/);
    assert.match(text, /Xem lại bản ghi \| Trần Thị Bình/);
    assert.match(text, /Người xuất: Đỗ Văn Khánh \(quantri\)/);
    assert.match(text, /Chuỗi nhật ký kiểm toán toàn vẹn/);
    const pdf = await fetch(`${server.url}/api/investigation/people/${ids.quocgia}${q(ago(60), new Date(), '&format=pdf&lang=en')}`, { headers: { authorization: `Bearer ${tokens.quantri}` } });
    assert.equal(pdf.status, 200);
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
    const exports = await server.db.prisma.auditEntry.findMany({ where: { action: 'audit.export' }, orderBy: { seq: 'asc' } });
    assert.equal(exports.length - before, 2);
    assert.equal(exports.at(-2)!.target, `camera:${hotelCam}`);
    assert.deepEqual({ ...(exports.at(-2)!.details as object), from: undefined, to: undefined }, { format: 'xlsx', rows: 3, from: undefined, to: undefined });
    assert.equal(exports.at(-1)!.target, `user:${ids.quocgia}`);
    assert.ok(await server.db.prisma.auditEntry.count({ where: { action: 'audit.query', actorId: ids.quantri } }) >= 5, 'every question is audited');
    const chain = await apiCall(server, tokens.quantri, 'GET', '/api/audit/verify');
    assert.equal(chain.status, 200);
    assert.equal(chain.json.ok, true);
    assert.ok(chain.json.checked > 10);
  });

  test('bad questions get clear errors and record nothing', async () => {
    const count = () => server.db.prisma.auditEntry.count({ where: { action: { in: ['audit.query', 'audit.export'] } } });
    const before = await count();
    const cases: Array<[string, number, RegExp]> = [
      [`/api/investigation/cameras/${hotelCam}${q(ago(1), ago(2))}`, 400, /before/],
      [`/api/investigation/cameras/${hotelCam}?from=yesterday&to=today`, 400, /from|to|date/i],
      [`/api/investigation/cameras/${hotelCam}${q(ago(60 * 24 * 400), new Date())}`, 400, /year/],
      [`/api/investigation/cameras/${hotelCam}${q(ago(2), ago(1), '&format=docx')}`, 400, /format/],
      [`/api/investigation/cameras/${hotelCam}${q(ago(2), ago(1), '&extra=1')}`, 400, /extra|unrecognized/i],
      [`/api/investigation/cameras/00000000-0000-4000-8000-000000000000${q(ago(2), ago(1))}`, 404, /camera/],
      [`/api/investigation/cameras/not-a-uuid${q(ago(2), ago(1))}`, 404, /camera/],
      [`/api/investigation/people/00000000-0000-4000-8000-000000000000${q(ago(2), ago(1))}`, 404, /person/],
    ];
    for (const [url, status, message] of cases) {
      const res = await apiCall(server, tokens.quantri, 'GET', url);
      assert.equal(res.status, status, `${url}: ${JSON.stringify(res.json)}`);
      assert.match(res.json.error.message, message, url);
    }
    assert.equal(await count(), before, 'nothing audited for refused questions');
  });
});
