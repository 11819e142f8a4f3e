// The operations page in headless Chromium with real parts: a GStreamer camera, the SFU, a
// real WebRTC viewer in a second page; the ops account sees live charts that move, the
// camera table with uptime and viewers; names of viewers only with audit authority; a
// provincial monitor sees the connection report only. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { expectFrames, launchBrowser, openClient, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { parseMetrics, valueOf } from '../support/metrics.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

describe('operations page in Chromium', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let camera: TestCamera;
  let cameraId: string;
  let viewer: Page;
  const pages: Page[] = [];

  const chartState = (page: Page, id: string) => page.evaluate((chartId) => {
    const el = document.getElementById(chartId)!;
    return { points: Number(el.dataset.points ?? 0), last: (el.dataset.last ?? '').split(',').map(Number), canvas: el.querySelector('canvas') !== null };
  }, id);

  before(async () => {
    [server, browser, camera] = await Promise.all([startTestServer(), launchBrowser(), startCamera({ width: 640, height: 360, fps: 25 })]);
    cameraId = (await addCamera(server, { name: 'Hành lang tầng 2', mainUrl: camera.url, facilityId: DEMO_IDS.hotel, alwaysOn: true })).json.id;
    await waitForHealth(server, cameraId, (h) => h.state === 'live');
    // A real viewer: the facility leader watches the hotel camera in the supervision page.
    viewer = await openClient(browser, `${server.url}/?layout=1`, await login(server, 'khachsan'));
    pages.push(viewer);
    await expectFrames(viewer, cameraId, 26, 15_000);
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.context().close()));
    await browser?.close();
    await server?.stop();
    await camera?.stop();
  });

  test('ops sees live charts that move, the camera table, and viewer counts without names', async () => {
    const page = await openClient(browser, `${server.url}/ops.html`, await login(server, 'vanhanh'));
    pages.push(page);
    await page.waitForFunction(() => Number(document.getElementById('chart-bitrate')?.dataset.points) >= 4, undefined, { timeout: 20_000 });
    const load = await chartState(page, 'chart-load');
    const media = await chartState(page, 'chart-media');
    const bitrate = await chartState(page, 'chart-bitrate');
    for (const c of [load, media, bitrate]) assert.ok(c.canvas && c.points >= 4, JSON.stringify(c));
    assert.equal(load.last.length, 3, 'two workers and the server');
    assert.ok(load.last.some((v) => v > 0), `some CPU load is drawn: ${load.last}`);
    assert.ok(media.last[0]! >= 1 && media.last[1]! >= 1, `a producer and the viewer's consumer: ${media.last}`);
    assert.ok(bitrate.last[0]! > 0 && bitrate.last[1]! > 0, `bitrate in and out: ${bitrate.last}`);

    const row = page.locator(`#camera-table tr[data-camera-id="${cameraId}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], 'Hành lang tầng 2');
    assert.equal(cells[1], 'Khách sạn Hoàng Anh (cách ly)');
    assert.equal(cells[2], 'Trực tiếp', 'live, in Vietnamese by default');
    assert.match(cells[5]!, /^\d+,\d %$/, `24 h uptime in Vietnamese number format: ${cells[5]}`);
    assert.equal(cells[7], '1', 'one viewer, no name: ops has no audit authority');
    assert.equal(await page.locator('#report').isVisible(), true, 'ops also reads the connection report');
    await screenshot(page, 'ops-dashboard');

    // The same page in English.
    await page.click('#lang');
    await page.locator('#title', { hasText: /^Operations$/ }).waitFor(); // English loads on first use
    assert.equal(await row.locator('td').nth(2).textContent(), 'Live');
  });

  test('the viewer\'s delivery figures reach /metrics', async () => {
    const token = fs.readFileSync(path.join(server.dataDir, 'metrics.token'), 'utf8').trim();
    const scrape = async () => parseMetrics(await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text());
    // Round-trip times come with the browser's receiver reports (about one a second): scrape
    // until the first has arrived, as Prometheus would on its next round.
    let m = await scrape();
    for (const deadline = Date.now() + 10_000; valueOf(m, 'giamsat_consumer_round_trip_seconds_avg') <= 0 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 500));
      m = await scrape();
    }
    assert.ok(valueOf(m, 'giamsat_consumer_score_avg') > 5, 'a healthy consumer scores high');
    assert.ok(valueOf(m, 'giamsat_viewer_send_bytes_per_second') > 1_250);
    assert.ok(valueOf(m, 'giamsat_consumer_round_trip_seconds_avg') > 0, 'round-trip time from the browser\'s receiver reports');
    assert.equal(valueOf(m, 'giamsat_camera_viewers', { camera: cameraId, stream: 'main' }), 1);
  });

  test('with audit authority as well, the viewers\' names are shown', async () => {
    // The national scope administrator is given the ops role too.
    const admin = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'quantri-tw' } });
    await server.db.prisma.roleAssignment.create({ data: { userId: admin.id, role: 'OPS', scopeType: 'NATION' } });
    server.access.decisions.invalidate(admin.id);
    const page = await openClient(browser, `${server.url}/ops.html`, await login(server, 'quantri-tw'));
    pages.push(page);
    const viewers = page.locator(`#camera-table tr[data-camera-id="${cameraId}"] td`).nth(7);
    await viewers.waitFor();
    assert.equal(await viewers.textContent(), '1 (Hoàng Thị Em)');
  });

  test('a provincial monitor sees the connection report only; a facility leader sees neither (and is sent to the wall)', async () => {
    const page = await openClient(browser, `${server.url}/ops.html`, await login(server, 'soyte'));
    pages.push(page);
    await page.locator('#report-table tbody tr').first().waitFor();
    assert.equal(await page.locator('#dashboard').isVisible(), false);
    const facilities = await page.locator('#report-table tbody tr.level-facility td:nth-child(2)').allTextContents();
    assert.deepEqual(facilities.sort(), ['Khách sạn Hoàng Anh (cách ly)', 'Khu cách ly Trường Quân sự tỉnh', 'Ký túc xá Trường THPT Chư Sê'].sort());
    const shortfalls = await page.locator('#shortfalls li').allTextContents();
    assert.ok(shortfalls.some((s) => s.startsWith('Khu cách ly Trường Quân sự tỉnh') && s.includes('Chưa có camera')), shortfalls.join(' | '));
    await screenshot(page, 'ops-report-provincial');

    // CSV download through the page, as the person would click it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
    assert.match(download.suggestedFilename(), /^uptime-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    assert.ok(csv.includes('Hành lang tầng 2'), 'the hotel camera is in the export');
    assert.ok(!csv.includes('Chốt kiểm soát'), 'no checkpoint in a health department\'s export');

    const leader = await openClient(browser, `${server.url}/ops.html`, await login(server, 'khachsan'));
    pages.push(leader);
    // Not their page: they are taken to their own (the wall), whose header offers no operations.
    await leader.waitForURL((u) => u.pathname === '/');
    await leader.locator('#pages:not([hidden])').waitFor();
    assert.equal(await leader.locator('#pages a[data-page="ops"]').isVisible(), false);
    // The server refuses the figures whatever the page does.
    const refused = await fetch(`${server.url}/api/ops/overview`, { headers: { authorization: `Bearer ${(await login(server, 'khachsan')).accessToken}` } });
    assert.equal(refused.status, 404);
  });
});
