// The connection drive over real parts: a live test camera registered at the hotel, recorded
// health history for the connected-per-day figures, deadlines in the past and the future,
// the demo installer with their phone; each monitor sees their scope only; the page in
// Chromium at 1366x768.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { ARTIFACTS, launchBrowser, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

const run = promisify(execFile);
const DAY = 86_400_000;
/** A calendar day in Vietnam, `days` from today. */
const vnDay = (days: number) => new Date(Date.now() + 7 * 3_600_000 + days * DAY).toISOString().slice(0, 10);

describe('the connection drive', { timeout: 180_000 }, () => {
  let server: TestServer;
  let cam: TestCamera;
  let browser: Browser;
  let hotelCam: string;

  before(async () => {
    [server, cam, browser] = await Promise.all([startTestServer(), startCamera({ width: 320, height: 180, fps: 10, gop: 10, kbps: 150 }), launchBrowser()]);
    const p = server.db.prisma;
    await p.facility.update({ where: { id: DEMO_IDS.hotel }, data: { camerasExpected: 1, connectBy: new Date(`${vnDay(5)}T00:00:00Z`), surveyStatus: 'INSTALLING' } });
    await p.facility.update({ where: { id: DEMO_IDS.school }, data: { camerasExpected: 4, connectBy: new Date(`${vnDay(-3)}T00:00:00Z`), surveyStatus: 'NOT_COOPERATING', surveyNote: 'Ban giám hiệu chưa cho khảo sát' } });
    await p.facility.update({ where: { id: DEMO_IDS.military }, data: { camerasExpected: 2, connectBy: new Date(`${vnDay(-10)}T00:00:00Z`) } });
    hotelCam = (await addCamera(server, { name: 'Khách sạn – sảnh', mainUrl: cam.url, facilityId: DEMO_IDS.hotel, alwaysOn: true })).json.id;
    await waitForHealth(server, hotelCam, (h) => h.state === 'live', 20_000);
    // The military site had a camera live four days ago, which has gone offline since.
    const old = await p.camera.create({ data: { name: 'Trường quân sự – cổng', mainUrlEnc: 'x', facilityId: DEMO_IDS.military } });
    await p.cameraHealthEvent.create({ data: { cameraId: old.id, stream: 'main', state: 'live', at: new Date(Date.now() - 4 * DAY) } });
    await p.cameraHealthEvent.create({ data: { cameraId: old.id, stream: 'main', state: 'offline', at: new Date(Date.now() - 3 * DAY) } });
  });
  after(async () => {
    await browser?.close();
    await cam?.stop();
    await server?.stop();
  });

  const report = async (who: string, query = `from=${new Date(Date.now() - 6 * DAY).toISOString()}`) => {
    const res = await fetch(`${server.url}/api/reports/connection?${query}`, { headers: { authorization: `Bearer ${(await login(server, who)).accessToken}` } });
    return { status: res.status, json: await res.json() as any };
  };

  test('a provincial health department: its quarantine facilities, with counts, deadlines, survey and installers', async () => {
    const { status, json } = await report('soyte');
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(json.facilities.map((f: { id: string }) => f.id).sort(), [DEMO_IDS.military, DEMO_IDS.hotel, DEMO_IDS.school].sort(), 'no checkpoint, nothing of Kon Tum');
    const hotel = json.facilities.find((f: { id: string }) => f.id === DEMO_IDS.hotel);
    assert.deepEqual([hotel.camerasExpected, hotel.camerasRegistered, hotel.camerasLive, hotel.connected, hotel.daysLeft], [1, 1, 1, true, 5]);
    assert.equal(hotel.surveyStatus, 'INSTALLING');
    assert.deepEqual(hotel.installers.map((i: { fullName: string }) => i.fullName), ['Đặng Văn Giang']);
    assert.match(hotel.installers[0].phone, /^0269/);
    assert.equal(hotel.place, 'TP. Pleiku, Tỉnh Gia Lai');
    // Not connected, most overdue first: the military site (10 days), then the school (3).
    assert.deepEqual(json.notConnected.map((f: { id: string; daysLeft: number }) => [f.id, f.daysLeft]), [[DEMO_IDS.military, -10], [DEMO_IDS.school, -3]]);
    assert.equal(json.notConnected[1].surveyNote, 'Ban giám hiệu chưa cho khảo sát');
    // Units of every level, summed.
    const gialai = json.units.find((u: { id: string }) => u.id === DEMO_IDS.gialai);
    assert.deepEqual([gialai.facilities, gialai.connectedFacilities, gialai.camerasExpected, gialai.camerasRegistered, gialai.camerasLive], [3, 1, 7, 2, 1]);
    const pleiku = json.units.find((u: { id: string }) => u.id === DEMO_IDS.pleiku);
    assert.deepEqual([pleiku.depth, pleiku.parentId, pleiku.facilities], [2, DEMO_IDS.gialai, 2]);
    // Connected per day: the military site from four days ago, the hotel from today.
    const days = json.perDay.map((d: { connected: number }) => d.connected);
    assert.equal(json.perDay.length, 7);
    assert.deepEqual(days, [0, 0, 1, 1, 1, 1, 2]);
  });

  test('other scopes: the police see the checkpoint only; someone without the report duty is refused; bad periods name the problem', async () => {
    const police = await report('congan');
    assert.deepEqual(police.json.facilities.map((f: { id: string }) => f.id), [DEMO_IDS.checkpoint]);
    assert.equal((await report('quantri')).status, 404);
    assert.equal((await report('khachsan')).status, 404);
    for (const q of ['', 'from=yesterday', `from=${new Date().toISOString()}&to=${new Date(Date.now() - DAY).toISOString()}`, 'from=2020-01-01T00:00:00Z&to=2021-06-01T00:00:00Z', `from=${new Date(Date.now() - DAY).toISOString()}&x=1`]) {
      const r = await report('soyte', q);
      assert.equal(r.status, 400, q);
    }
  });

  test('the exports: an XLSX a real reader reads back with the figures on screen, a PDF whose Vietnamese renders', async () => {
    const token = (await login(server, 'soyte')).accessToken;
    const from = new Date(Date.now() - 6 * DAY).toISOString();
    const get = async (q: string) => {
      const res = await fetch(`${server.url}/api/reports/connection?from=${from}&${q}`, { headers: { authorization: `Bearer ${token}` } });
      return { res, body: Buffer.from(await res.arrayBuffer()) };
    };
    const { json } = await report('soyte');
    const xlsx = await get('format=xlsx&lang=vi');
    assert.equal(xlsx.res.status, 200);
    assert.match(xlsx.res.headers.get('content-disposition') ?? '', /attachment; filename="?ket-noi_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.xlsx"?/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as unknown as ArrayBuffer);
    assert.deepEqual(wb.worksheets.map((w) => w.name), ['Theo địa bàn', 'Chưa kết nối', 'Cơ sở', 'Theo ngày']);
    const values = (ws: ExcelJS.Worksheet, row: number) => (ws.getRow(row).values as unknown[]).slice(1);
    const byUnit = wb.getWorksheet('Theo địa bàn')!;
    assert.match(String(values(byUnit, 3)[0]), /^Người xuất: Trần Thị Bình/);
    const gialai = json.units.find((u: { id: string }) => u.id === DEMO_IDS.gialai);
    assert.deepEqual(values(byUnit, 5).slice(0, 7), ['Tỉnh Gia Lai', 'Tỉnh', gialai.facilities, gialai.connectedFacilities, gialai.camerasExpected, gialai.camerasRegistered, gialai.camerasLive]);
    const late = wb.getWorksheet('Chưa kết nối')!;
    assert.deepEqual([values(late, 5)[0], values(late, 5)[9], values(late, 6)[0], values(late, 6)[9]], ['Khu cách ly Trường Quân sự tỉnh', -10, 'Ký túc xá Trường THPT Chư Sê', -3]);
    assert.equal(values(late, 6)[6], 'Không hợp tác');
    const perDay = wb.getWorksheet('Theo ngày')!;
    assert.deepEqual(json.perDay.map((_d: unknown, i: number) => values(perDay, 5 + i)[1]), json.perDay.map((d: { connected: number }) => d.connected));
    const en = await get('format=xlsx&lang=en');
    const wbEn = new ExcelJS.Workbook();
    await wbEn.xlsx.load(en.body as unknown as ArrayBuffer);
    assert.deepEqual(wbEn.worksheets.map((w) => w.name), ['By place', 'Not connected', 'Facilities', 'Per day']);

    const pdf = await get('format=pdf&lang=vi');
    assert.equal(pdf.res.status, 200);
    assert.equal(pdf.body.subarray(0, 5).toString(), '%PDF-');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-drive-'));
    try {
      fs.writeFileSync(path.join(dir, 'drive.pdf'), pdf.body);
      // In drawing order, line breaks inside a table cell as spaces.
      const text = (await run('pdftotext', ['-raw', path.join(dir, 'drive.pdf'), '-'])).stdout.replace(/\s+/g, ' ');
      for (const s of ['Tiến độ kết nối camera', 'Người xuất: Trần Thị Bình', 'Khu cách ly Trường Quân sự tỉnh', 'quá hạn 10 ngày', 'Không hợp tác – Ban giám hiệu chưa cho khảo sát', 'Đặng Văn Giang']) {
        assert.ok(text.includes(s), `the PDF says "${s}"`);
      }
      await run('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', path.join(dir, 'drive.pdf'), path.join(dir, 'page')]);
      const png = fs.readdirSync(dir).find((f) => f.endsWith('.png'))!;
      assert.deepEqual([...fs.readFileSync(path.join(dir, png)).subarray(1, 4)], [0x50, 0x4e, 0x47], 'rendered to PNG');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.copyFileSync(path.join(dir, png), path.join(ARTIFACTS, 'drive-pdf.png'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const entries = await server.db.prisma.auditEntry.findMany({ where: { action: 'report.export' } });
    assert.equal(entries.length, 3, 'each file taken out is recorded');
    assert.equal(entries[0]!.actorId, (await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'soyte' } })).id);
  });

  test('the page: tables by place, the overdue list and the bars, at 1366x768', async () => {
    const session = await login(server, 'soyte');
    // A supervisor in Vietnam: the page's dates are local days, and the drive counts Vietnamese
    // calendar days (in UTC, between 17:00 and midnight, "today" is already tomorrow there).
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'Asia/Ho_Chi_Minh' });
    const page = await context.newPage();
    await page.addInitScript(`sessionStorage.setItem('giamsat.session', ${JSON.stringify(JSON.stringify(session))});`);
    await page.goto(`${server.url}/drive.html`);
    await page.locator(`#drive-units tr[data-unit-id="${DEMO_IDS.gialai}"]`).waitFor();
    assert.deepEqual((await page.locator(`#drive-units tr[data-unit-id="${DEMO_IDS.gialai}"] td`).allTextContents()).slice(0, 5), ['Tỉnh Gia Lai', '1/3', '7', '2', '1']);
    assert.deepEqual(await page.locator('#drive-late tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.facilityId)), [DEMO_IDS.military, DEMO_IDS.school]);
    assert.match(await page.locator(`#drive-late tr[data-facility-id="${DEMO_IDS.military}"] td:nth-child(8)`).textContent() ?? '', /quá hạn 10 ngày/);
    assert.equal(await page.locator('#drive-chart rect').count(), 14, 'two weeks by default');
    assert.equal(await page.locator('#drive-chart rect').last().getAttribute('data-connected'), '2');
    assert.ok(await page.locator('#pages a[data-page="drive"][aria-current="page"]').isVisible());
    await screenshot(page, 'drive');
    await context.close();
  });
});
