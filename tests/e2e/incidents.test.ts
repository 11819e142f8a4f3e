// Incidents in Chromium against a real camera: a facility leader files one from a tile (the
// picture on screen is captured), the provincial monitor finds it with its frame, comments,
// resolves it and exports the period as CSV and PDF; the leader sees the outcome.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { expectFrames, openClient, screenshot } from '../support/browser.js';
import { startHotelScene, type HotelScene } from '../support/hotel-scene.js';
import { login, type TestServer } from '../support/server.js';

describe('incidents in the web client', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let scene: HotelScene;
  let cameraId: string;
  const note = 'Phòng 204: người cách ly ra hành lang không đeo khẩu trang';

  before(async () => {
    scene = await startHotelScene();
    ({ server, browser, cameraId } = scene);
  });
  after(async () => {
    await scene?.stop();
  });

  test('a facility leader files an incident from a tile, with the picture on screen', async () => {
    const page = await openClient(browser, `${server.url}/?layout=1`, await login(server, 'khachsan'));
    await expectFrames(page, cameraId, 5, 20_000);
    await page.locator(`.tile[data-camera-id="${cameraId}"] .report`).click();
    const dialog = page.locator('#incident-dialog[open]');
    await dialog.waitFor();
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('#incident-dialog img.frame')?.naturalWidth ?? 0) > 0);
    assert.equal(await dialog.locator('img.frame').evaluate((img: HTMLImageElement) => img.naturalWidth), 320, 'the frame at the camera\'s resolution');
    await dialog.locator('select[name="category"]').selectOption('PERSON_LEFT_ROOM');
    await dialog.locator('textarea[name="note"]').fill(note);
    await screenshot(page, 'incident-dialog');
    await dialog.locator('.submit').click();
    await page.locator('#banner.info', { hasText: 'Đã gửi báo cáo sự cố' }).waitFor();
    const row = await server.db.prisma.incident.findFirstOrThrow({ where: { cameraId } });
    assert.equal(row.note, note);
    assert.equal(row.category, 'PERSON_LEFT_ROOM');
    assert.ok(row.snapshot && row.snapshot[0] === 0xff && row.snapshot[1] === 0xd8, 'a JPEG is attached');
    await page.context().close();
  });

  test('the provincial monitor sees it with its frame, comments, resolves and exports it', async () => {
    const page = await openClient(browser, `${server.url}/incidents.html`, await login(server, 'soyte'));
    const row = page.locator('#incident-list tbody tr[data-incident-id]');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    // The default period ends now (to the minute), not in the future.
    const to = new Date(await page.locator('input[name="to"]').inputValue()).getTime();
    assert.ok(to <= Date.now() && to > Date.now() - 120_000, `the period ends now: ${new Date(to).toISOString()}`);
    assert.match((await row.first().textContent())!, /Khách sạn Hoàng Anh.*Hành lang tầng 2.*Người cách ly rời phòng.*Đang mở/);
    await row.first().click();
    await page.locator('#incident-detail .note', { hasText: note }).waitFor();
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('#incident-detail .snapshot-frame img')?.naturalWidth ?? 0) > 0);
    assert.match((await page.locator('#incident-detail .watermark').textContent())!, /^Trần Thị Bình \(soyte\)/, 'the frame carries the viewer\'s watermark');
    await page.fill('#incident-detail .comment-form textarea', 'Đề nghị ban quản lý xác minh.');
    await page.click('#incident-detail .b-comment');
    await page.locator('#incident-detail .comments li', { hasText: 'Đề nghị ban quản lý xác minh.' }).waitFor();
    await page.fill('#incident-detail .resolve-form textarea', 'Đã nhắc nhở, người cách ly đã về phòng.');
    await page.click('#incident-detail .b-resolve');
    await page.locator('#incident-list .status-RESOLVED').waitFor();
    await page.locator('#incident-detail .resolved', { hasText: 'Xử lý bởi Trần Thị Bình' }).waitFor();
    await screenshot(page, 'incidents-page');

    for (const [button, check] of [
      ['#export-csv', (b: Buffer) => assert.ok(b.toString('utf8').includes(note), 'the CSV holds the note')],
      ['#export-pdf', (b: Buffer) => assert.equal(b.subarray(0, 5).toString(), '%PDF-')],
    ] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      assert.match(download.suggestedFilename(), /^su-co_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.(csv|pdf)$/);
      check(fs.readFileSync((await download.path())!));
    }

    // Filed while the page is open: listed, marked new, when the person comes back to the tab.
    const leader = await login(server, 'khachsan');
    const filed = await fetch(`${server.url}/api/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${leader.accessToken}` },
      body: JSON.stringify({ cameraId, category: 'UNAUTHORISED_VISITOR', note: 'Người lạ vào khu cách ly' }),
    });
    const body = await filed.text();
    assert.equal(filed.status, 201, body);
    const { id } = JSON.parse(body) as { id: string };
    await page.evaluate('document.dispatchEvent(new Event("visibilitychange"))');
    await page.locator(`#incident-list tr.fresh[data-incident-id="${id}"]`).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#incident-detail .resolved', { hasText: 'Xử lý bởi Trần Thị Bình' }).count(), 1, 'the open detail stays as it was');
    await page.click(`#incident-list tr[data-incident-id="${id}"]`);
    await page.locator('#incident-detail .note', { hasText: 'Người lạ vào khu cách ly' }).waitFor();
    assert.equal(await page.locator(`#incident-list tr.fresh`).count(), 0, 'opened, no longer new');
    await page.context().close();
  });

  test('the facility leader sees the discussion and the outcome', async () => {
    const page = await openClient(browser, `${server.url}/incidents.html`, await login(server, 'khachsan'));
    await page.locator('#incident-list tbody tr[data-incident-id]', { hasText: 'Người cách ly rời phòng' }).click();
    await page.locator('#incident-detail .comments li', { hasText: 'Đề nghị ban quản lý xác minh.' }).waitFor();
    assert.match((await page.locator('#incident-detail .resolved').textContent())!, /Đã nhắc nhở/);
    assert.equal(await page.locator('#incident-detail .resolve-form').isHidden(), true, 'nothing left to resolve');
    await page.click('#lang');
    // The page re-renders in English (the incident is read again).
    await page.locator('#incident-detail h2', { hasText: /^Person left their room — Resolved$/ }).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#incident-list thead th').first().textContent(), 'Time');
    await screenshot(page, 'incidents-page-en');
    await page.context().close();
  });
});
