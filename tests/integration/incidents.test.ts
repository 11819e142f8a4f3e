// Incidents through the real server and database: filed by a facility leader with a real
// JPEG (made by ffmpeg), seen, commented and resolved by the provincial monitor, invisible to
// the police; an inspector keeps sight of what they filed; bad input changes nothing; the
// export as CSV and as PDF (read back with pdftotext).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FILING_LIMIT } from '../../server/incidents/IncidentService.js';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { addCamera, login, startTestServer, type TestServer, type TestSession } from '../support/server.js';

/** A real JPEG frame from ffmpeg's test source. */
function jpegFrame(size = '320x180'): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}`, '-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1']);
}

describe('incidents', { timeout: 90_000 }, () => {
  let server: TestServer;
  const cam: Record<string, string> = {};
  const people: Record<string, TestSession> = {};
  const period = () => `from=${new Date(Date.now() - 3600_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
  let incidentId: string;
  const jpeg = jpegFrame();

  before(async () => {
    server = await startTestServer();
    // Unreachable cameras: incidents need camera records and places, not media.
    for (const [key, facility] of [['hotel', DEMO_IDS.hotel], ['school', DEMO_IDS.school], ['checkpoint', DEMO_IDS.checkpoint]] as const) {
      cam[key] = (await addCamera(server, { name: `Camera ${key}`, mainUrl: 'rtsp://127.0.0.1:9/none', facilityId: facility })).json.id;
    }
    for (const u of ['khachsan', 'soyte', 'congan', 'thanhtra', 'quantri']) people[u] = await login(server, u);
    // An incident reports what its filer saw: each filer has a live view open on the camera,
    // recorded as signaling records one (the cameras are unreachable: no media here).
    for (const [u, key] of [['khachsan', 'hotel'], ['soyte', 'hotel'], ['thanhtra', 'school']] as const) {
      await server.access.repo.startView({ userId: people[u]!.userId, cameraId: cam[key]!, stream: 'main', address: '127.0.0.1', userAgent: 'test' });
    }
  });
  after(() => server?.stop());

  const call = async (who: string | undefined, method: string, url: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: { ...(who ? { authorization: `Bearer ${people[who]!.accessToken}` } : {}), ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body) } : {}),
    });
    const text = res.headers.get('content-type')?.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, json: text as any, headers: res.headers };
  };
  const count = () => server.db.prisma.incident.count();

  test('a facility leader files an incident on their camera and attaches the frame once', async () => {
    const filed = await call('khachsan', 'POST', '/api/incidents', { cameraId: cam.hotel, category: 'PERSON_LEFT_ROOM', note: 'Phòng 204: người cách ly ra hành lang lúc 14:05' });
    assert.equal(filed.status, 201, JSON.stringify(filed.json));
    incidentId = filed.json.id;
    assert.equal(filed.json.facilityName, 'Khách sạn Hoàng Anh (cách ly)');
    assert.equal(filed.json.cameraName, 'Camera hotel');
    assert.equal(filed.json.status, 'OPEN');
    assert.equal(filed.json.createdBy.fullName, 'Hoàng Thị Em');

    assert.equal((await call('soyte', 'PUT', `/api/incidents/${incidentId}/snapshot`, jpeg, 'image/jpeg')).status, 404, 'only the filer attaches the frame');
    assert.equal((await call('khachsan', 'PUT', `/api/incidents/${incidentId}/snapshot`, Buffer.from('\x89PNG\r\n\x1a\nxxxx'), 'image/jpeg')).status, 400, 'not a JPEG');
    assert.equal((await call('khachsan', 'PUT', `/api/incidents/${incidentId}/snapshot`, jpeg, 'image/png')).status, 400, 'declared as something else');
    const huge = Buffer.concat([jpeg, Buffer.alloc(1_600_000)]);
    assert.equal((await call('khachsan', 'PUT', `/api/incidents/${incidentId}/snapshot`, huge, 'image/jpeg')).status, 400, 'too large');
    assert.equal((await call(undefined, 'PUT', `/api/incidents/${incidentId}/snapshot`, jpeg, 'image/jpeg')).status, 401);
    assert.equal((await call('khachsan', 'PUT', `/api/incidents/${incidentId}/snapshot`, jpeg, 'image/jpeg')).status, 204);
    assert.equal((await call('khachsan', 'PUT', `/api/incidents/${incidentId}/snapshot`, jpeg, 'image/jpeg')).status, 409, 'once');
  });

  test('bad incidents are refused with a clear error and nothing is stored', async () => {
    const before = await count();
    const bad: Array<[string, unknown, number, RegExp]> = [
      ['khachsan', { cameraId: cam.hotel, category: 'FIRE', note: 'x' }, 400, /category/],
      ['khachsan', { cameraId: cam.hotel, category: 'OTHER', note: '   ' }, 400, /note/],
      ['khachsan', { cameraId: cam.hotel, category: 'OTHER', note: 'x'.repeat(2001) }, 400, /note/],
      ['khachsan', { cameraId: cam.hotel, category: 'OTHER', note: 'x', occurredAt: new Date(Date.now() + 3600_000).toISOString() }, 400, /future/],
      // Before their view of it began: not something they saw.
      ['khachsan', { cameraId: cam.hotel, category: 'OTHER', note: 'x', occurredAt: new Date(Date.now() - 3600_000).toISOString() }, 400, /occurredAt: you were not watching/],
      // A camera they may watch but did not.
      ['soyte', { cameraId: cam.school, category: 'OTHER', note: 'x' }, 400, /occurredAt: you were not watching/],
      ['khachsan', { cameraId: 'not-a-uuid', category: 'OTHER', note: 'x' }, 400, /cameraId/],
      ['khachsan', { cameraId: cam.hotel, category: 'OTHER', note: 'x', extra: 1 }, 400, /extra|nrecognized/],
      ['khachsan', { cameraId: cam.school, category: 'OTHER', note: 'x' }, 404, /no such camera/],
      ['khachsan', { cameraId: '00000000-0000-4000-8000-000000000000', category: 'OTHER', note: 'x' }, 404, /no such camera/],
    ];
    for (const [who, body, status, message] of bad) {
      const res = await call(who, 'POST', '/api/incidents', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.json.error.message, message);
    }
    assert.equal((await call(undefined, 'POST', '/api/incidents', { cameraId: cam.hotel, category: 'OTHER', note: 'x' })).status, 401);
    assert.equal(await count(), before);
  });

  test('the provincial monitor sees, comments and resolves it; the police never see it', async () => {
    const list = await call('soyte', 'GET', `/api/incidents?${period()}&facilityId=${DEMO_IDS.hotel}`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.map((i: { id: string }) => i.id), [incidentId]);
    assert.equal(list.json[0].hasSnapshot, true);
    const picture = await call('soyte', 'GET', `/api/incidents/${incidentId}/snapshot`);
    assert.equal(picture.status, 200);
    assert.equal(picture.headers.get('content-type'), 'image/jpeg');
    assert.ok(jpeg.equals(picture.json), 'the same bytes come back');

    for (const [method, url, body] of [
      ['GET', `/api/incidents/${incidentId}`], ['GET', `/api/incidents/${incidentId}/snapshot`],
      ['POST', `/api/incidents/${incidentId}/comments`, { body: 'xem' }], ['POST', `/api/incidents/${incidentId}/resolve`, { resolution: 'xong' }],
    ] as Array<[string, string, unknown?]>) {
      assert.equal((await call('congan', method, url, body)).status, 404, `${method} ${url} by the police`);
    }
    assert.deepEqual((await call('congan', 'GET', `/api/incidents?${period()}`)).json, []);

    assert.equal((await call('soyte', 'POST', `/api/incidents/${incidentId}/comments`, { body: 'Đề nghị ban quản lý xác minh và báo cáo.' })).status, 201);
    assert.equal((await call('khachsan', 'POST', `/api/incidents/${incidentId}/comments`, { body: 'Đã nhắc nhở, người cách ly đã về phòng.' })).status, 201);
    assert.equal((await call('soyte', 'POST', `/api/incidents/${incidentId}/comments`, { body: '' })).status, 400);
    assert.equal((await call('soyte', 'POST', `/api/incidents/${incidentId}/resolve`, { resolution: 'Đã xử lý, nhắc nhở lần 1' })).status, 204);
    assert.equal((await call('soyte', 'POST', `/api/incidents/${incidentId}/resolve`, { resolution: 'again' })).status, 409);
    const detail = (await call('khachsan', 'GET', `/api/incidents/${incidentId}`)).json;
    assert.equal(detail.status, 'RESOLVED');
    assert.equal(detail.resolvedBy, 'Trần Thị Bình');
    assert.deepEqual(detail.commentList.map((c: { author: { fullName: string } }) => c.author.fullName), ['Trần Thị Bình', 'Hoàng Thị Em']);
    assert.equal((await call('soyte', 'GET', `/api/incidents?${period()}&status=OPEN`)).json.length, 0);

    await server.audit.drain();
    const actions = (await server.db.prisma.auditEntry.findMany({ where: { target: `incident:${incidentId}` }, select: { action: true } })).map((a) => a.action);
    for (const a of ['incident.create', 'incident.snapshot', 'incident.comment', 'incident.resolve']) assert.ok(actions.includes(a), `${a} is audited`);
  });

  test('an inspector still sees what they filed after the spot check ends, but cannot resolve it', async () => {
    const filed = await call('thanhtra', 'POST', '/api/incidents', { cameraId: cam.school, category: 'MISSING_MASK', note: 'Nhân viên tiếp nhận không đeo khẩu trang' });
    assert.equal(filed.status, 201, JSON.stringify(filed.json));
    const check = await server.db.prisma.spotCheck.findFirstOrThrow({ where: { inspectorId: people.thanhtra!.userId, facilityId: DEMO_IDS.school, cancelledAt: null } });
    assert.equal((await call('quantri', 'DELETE', `/api/spot-checks/${check.id}`)).status, 204);
    assert.equal((await call('thanhtra', 'POST', '/api/incidents', { cameraId: cam.school, category: 'OTHER', note: 'x' })).status, 404, 'no more filing there');
    assert.equal((await call('thanhtra', 'GET', `/api/incidents/${filed.json.id}`)).status, 200);
    assert.equal((await call('thanhtra', 'POST', `/api/incidents/${filed.json.id}/resolve`, { resolution: 'x' })).status, 404);
    assert.deepEqual((await call('thanhtra', 'GET', `/api/incidents?${period()}`)).json.map((i: { id: string }) => i.id), [filed.json.id]);
  });

  test('the export: CSV for spreadsheets and a PDF with Vietnamese text and the frame', async () => {
    // A note a spreadsheet would run as a formula.
    assert.equal((await call('soyte', 'POST', '/api/incidents', { cameraId: cam.hotel, category: 'CAMERA_TAMPERING', note: '=HYPERLINK("http://x")' })).status, 201);
    const csv = await call('soyte', 'GET', `/api/incidents/export?${period()}&facilityId=${DEMO_IDS.hotel}&format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-disposition')!, /attachment; filename="su-co_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv"/);
    const text = (csv.json as Buffer).toString('utf8');
    // Times sort as text, in a zone the header names.
    assert.ok(text.startsWith('\ufeffMã,Thời điểm (giờ Asia/Ho_Chi_Minh UTC+07:00),Tỉnh/Thành phố,Địa bàn,Cơ sở,Camera,Loại'), text.slice(0, 100));
    const lines = text.trim().split('\r\n');
    const first = await server.db.prisma.incident.findUniqueOrThrow({ where: { id: incidentId } });
    const local = new Date(first.occurredAt.getTime() + 7 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
    assert.ok(lines.some((l) => l.startsWith(`${incidentId},${local},`)), `the first incident at ${local} (UTC+7): ${lines.join(' | ')}`);
    assert.equal(lines.length, 3, 'the header and the hotel\'s two incidents');
    assert.ok(lines.some((l) => l.includes('Người cách ly rời phòng') && l.includes('Đã xử lý') && l.includes('Trần Thị Bình')));
    assert.ok(lines.some((l) => l.includes(`"'=HYPERLINK(""http://x"")"`)), 'the formula is made inert');

    const pdf = await call('soyte', 'GET', `/api/incidents/export?${period()}&facilityId=${DEMO_IDS.hotel}&format=pdf&tz=Asia/Ho_Chi_Minh`);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-pdf-')), 'report.pdf');
    fs.writeFileSync(file, pdf.json as Buffer);
    const words = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-']).toString('utf8');
    for (const s of ['Báo cáo sự cố camera giám sát', 'Khách sạn Hoàng Anh (cách ly)', 'Phòng 204: người cách ly ra hành lang', 'Người cách ly rời phòng', 'Số sự cố: 2']) {
      assert.ok(words.includes(s), `the PDF says "${s}"`);
    }
    assert.ok(words.includes('Người xuất: Trần Thị Bình (soyte)'), 'the PDF names who exported it');
    const images = execFileSync('pdfimages', ['-list', file]).toString('utf8');
    assert.match(images, /\bjpeg\b/, 'the captured frame is in the PDF');
    // The frame leaves with the exporter's mark burnt in: not the stored picture, and visibly
    // changed (text over it), where a plain re-encode would differ by a level or two.
    assert.equal((pdf.json as Buffer).includes(jpeg), false, 'the stored frame is not embedded as it is');
    execFileSync('pdfimages', ['-j', file, path.join(path.dirname(file), 'frame')]);
    const exported = fs.readFileSync(path.join(path.dirname(file), 'frame-000.jpg'));
    const gray = (img: Buffer) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'image2pipe', '-i', 'pipe:0', '-vf', 'scale=320:180', '-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1'], { input: img });
    const [a, b] = [gray(jpeg), gray(exported)];
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    assert.ok(diff / a.length > 4, `the exported frame carries a mark (mean difference ${(diff / a.length).toFixed(2)})`);
    // Parallel exports queue for the frame marking (a bounded number of ffmpeg runs), all answered.
    const parallel = await Promise.all(Array.from({ length: 6 }, () => call('soyte', 'GET', `/api/incidents/export?${period()}&facilityId=${DEMO_IDS.hotel}&format=pdf`)));
    assert.deepEqual(parallel.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    assert.ok(parallel.every((r) => !(r.json as Buffer).includes(jpeg)), 'every parallel export carries marked frames only');
    const en = await call('soyte', 'GET', `/api/incidents/export?${period()}&format=pdf&lang=en`);
    fs.writeFileSync(file, en.json as Buffer);
    assert.ok(execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-']).toString('utf8').includes('Supervision camera incident report'));

    assert.equal((await call('soyte', 'GET', `/api/incidents/export?${period()}&tz=Mars/Olympus`)).status, 400);
    assert.equal((await call('soyte', 'GET', `/api/incidents/export?${period()}&format=docx`)).status, 400);
    assert.equal((await call(undefined, 'GET', `/api/incidents/export?${period()}`)).status, 401);
    // The police's export holds nothing of the hotel.
    const police = (await call('congan', 'GET', `/api/incidents/export?${period()}&format=csv`)).json as Buffer;
    assert.equal(police.toString('utf8').trim().split('\r\n').length, 1);
    await server.audit.drain();
    assert.ok(await server.db.prisma.auditEntry.count({ where: { action: 'incident.export' } }) >= 4);
  });
  test('a list is narrowed to the caller\'s cameras before the cap: a busy checkpoint never crowds a facility leader out', async () => {
    // More incidents elsewhere than one list holds (1000), all newer than the hotel's.
    const filer = people.congan!.userId;
    const occurredAt = new Date(Date.now() + 10_000);
    await server.db.prisma.incident.createMany({
      data: Array.from({ length: 1001 }, (_, i) => ({ cameraId: cam.checkpoint!, cameraName: 'Camera checkpoint', facilityId: DEMO_IDS.checkpoint, category: 'OTHER' as const, note: `flood ${i}`, occurredAt, createdById: filer })),
    });
    const mine = await call('khachsan', 'GET', `/api/incidents?${period()}`);
    assert.equal(mine.status, 200);
    assert.ok(mine.json.length >= 2, `the hotel's incidents are listed (${mine.json.length})`);
    assert.ok(mine.json.every((i: { cameraId: string }) => i.cameraId === cam.hotel));
    const police = await call('congan', 'GET', `/api/incidents?${period()}`);
    assert.equal(police.json.length, 1000, 'the cap still holds');
    assert.ok(police.json.every((i: { cameraId: string }) => i.cameraId === cam.checkpoint));
  });

  test('a moment seen in a recording may be reported: the recording served to the filer holds it', async () => {
    const moment = new Date(Date.now() - 3 * 3600_000);
    const body = { cameraId: cam.school, category: 'OTHER', note: 'Xem lại bản ghi: cửa phụ mở', occurredAt: moment.toISOString() };
    assert.equal((await call('soyte', 'POST', '/api/incidents', body)).status, 400, 'not watched yet');
    // The recording plugin records what it serves, with the stretch of time the segment holds.
    await server.audit.append({
      actorId: people.soyte!.userId, action: 'media.access', target: `camera:${cam.school}`, address: '127.0.0.1',
      details: { purpose: 'recording', segment: 'x.mp4', recordedFrom: new Date(moment.getTime() - 30_000).toISOString(), recordedTo: new Date(moment.getTime() + 30_000).toISOString() },
    });
    assert.equal((await call('soyte', 'POST', '/api/incidents', body)).status, 201);
    const later = { ...body, occurredAt: new Date(moment.getTime() + 10 * 60_000).toISOString() };
    assert.equal((await call('soyte', 'POST', '/api/incidents', later)).status, 400, 'a moment the segment does not hold');
  });

  test('a deny on a camera hides the filer\'s own incidents on it; filing is limited per person and hour', async () => {
    const filed = await call('khachsan', 'POST', '/api/incidents', { cameraId: cam.hotel, category: 'OTHER', note: 'Trước khi bị chặn' });
    assert.equal(filed.status, 201);
    const deny = await call('quantri', 'POST', '/api/assignments', { userId: people.khachsan!.userId, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel, effect: 'DENY', reason: 'Tạm chặn' });
    assert.equal(deny.status, 201, JSON.stringify(deny.json));
    assert.equal((await call('khachsan', 'GET', `/api/incidents/${filed.json.id}`)).status, 404, 'not even their own');
    assert.ok(!(await call('khachsan', 'GET', `/api/incidents?${period()}`)).json.some((i: { id: string }) => i.id === filed.json.id));
    assert.equal((await call('quantri', 'DELETE', `/api/assignments/${deny.json.id}`, { reason: 'Hết chặn' })).status, 204);
    assert.equal((await call('khachsan', 'GET', `/api/incidents/${filed.json.id}`)).status, 200, 'the deny lifted, it is theirs again');

    // The hourly allowance counts every attempt (refused ones too), in the database.
    await server.db.prisma.rateCounter.deleteMany({ where: { key: `incidents:${people.soyte!.userId}` } });
    const statuses: number[] = [];
    for (let i = 0; i < FILING_LIMIT.perHour + 2; i++) {
      statuses.push((await call('soyte', 'POST', '/api/incidents', { cameraId: i % 2 ? cam.hotel : '00000000-0000-4000-8000-000000000000', category: 'OTHER', note: `#${i}` })).status);
    }
    assert.deepEqual([...new Set(statuses.slice(0, FILING_LIMIT.perHour))].sort(), [201, 404]);
    assert.deepEqual(statuses.slice(FILING_LIMIT.perHour), [429, 429]);
  });
});
