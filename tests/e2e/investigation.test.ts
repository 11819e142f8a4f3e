// The leak investigation in Chromium against a real camera: two people watch the hotel's
// camera in their browsers; at a known moment while both watch, the province's administrator
// asks who was watching, sees both with their contacts, follows one to everything they
// watched, and exports the answer (the export is audited).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { expectFrames, openClient, screenshot } from '../support/browser.js';
import { startHotelScene, type HotelScene } from '../support/hotel-scene.js';
import { login, type TestServer } from '../support/server.js';

/** `datetime-local` text for a moment, in the browser's (and this process's) time zone. */
const local = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

describe('leak investigation in the web client', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let scene: HotelScene;
  let cameraId: string;
  let moment: Date;
  const viewers: Page[] = [];

  before(async () => {
    scene = await startHotelScene();
    ({ server, browser, cameraId } = scene);
  });
  after(async () => {
    for (const p of viewers) await p.context().close().catch(() => undefined);
    await scene?.stop();
  });

  test('two people watch the camera; the moment is noted while both play', async () => {
    for (const u of ['soyte', 'khachsan']) {
      const page = await openClient(browser, `${server.url}/?layout=1`, await login(server, u));
      viewers.push(page);
      await expectFrames(page, cameraId, 5, 20_000);
    }
    // The page asks about whole seconds: the moment is the next one, and both views stay open past it
    // (a view begun in the same second after a truncated moment would not overlap it).
    moment = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
    await new Promise((r) => setTimeout(r, moment.getTime() - Date.now() + 50)); // the clock, not an event, decides
    // The leader closes her page: her view ends after the moment; the other stays open.
    const leader = (await login(server, 'khachsan')).userId;
    const ended = new Promise<void>((resolve) => {
      const on = (e: { type: string; viewer: { id: string } }) => {
        if (e.type !== 'end' || e.viewer.id !== leader) return;
        server.signaling.off('view', on);
        resolve();
      };
      server.signaling.on('view', on);
    });
    await viewers.pop()!.context().close();
    await ended;
    await server.audit.drain();
    const sessions = await server.db.prisma.viewSession.findMany({ where: { cameraId } });
    assert.deepEqual(new Set(sessions.map((s) => s.userId)).size, 2, 'both views are recorded');
  });

  test('the administrator asks who watched at that moment, sees both with their contacts, and exports it', async () => {
    const page = await openClient(browser, `${server.url}/investigation.html`, await login(server, 'quantri'));
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.locator('#chain-state.ok').waitFor();
    // The server signed a checkpoint at start: the page says the chain matched it.
    assert.match((await page.locator('#chain-state').textContent())!, /bản ghi đã kiểm tra, khớp với điểm chốt có chữ ký lúc/);
    await page.locator(`#inv-camera option[value="${cameraId}"]`).waitFor({ state: 'attached' });
    await page.selectOption('#inv-camera', cameraId);
    await page.fill('input[name="at"]', local(moment));
    await page.click('#inv-form button[type="submit"]');
    const rows = page.locator('#inv-results tbody tr[data-user-id]');
    await rows.nth(1).waitFor();
    assert.equal(new Set(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.userId))).size, 2, 'two people');
    const text = (await page.locator('#inv-results tbody').textContent())!;
    for (const u of ['soyte', 'khachsan']) {
      const p = await server.db.prisma.user.findUniqueOrThrow({ where: { username: u }, include: { organization: true } });
      for (const part of [p.fullName, p.phone, p.email, p.position, p.organization.name]) assert.ok(text.includes(part), `${u}: ${part} is shown`);
    }
    assert.match(text, /Xem trực tiếp/);
    assert.match(text, /127\.0\.0\.1/, 'the client address');
    assert.match((await page.locator('#inv-summary').textContent())!, /Hành lang tầng 2: \d+ lượt xem của 2 người/);
    await screenshot(page, 'investigation-camera');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#inv-xlsx')]);
    assert.match(download.suggestedFilename(), /^truy-vet_camera-.*\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(fs.readFileSync((await download.path())!) as never);
    const sheet = wb.worksheets[0]!.getSheetValues().map((r) => (Array.isArray(r) ? r.slice(1).join(' | ') : '')).join('\n');
    assert.match(sheet, /Trần Thị Bình \| soyte/);
    assert.match(sheet, /Hoàng Thị Em \| khachsan/);
    await server.audit.drain();
    const exported = await server.db.prisma.auditEntry.findFirst({ where: { action: 'audit.export', target: `camera:${cameraId}` } });
    assert.ok(exported, 'the export is audited');

    // From a watcher to everything they watched.
    await page.locator('#inv-results a.person', { hasText: 'Trần Thị Bình' }).click();
    await page.locator('#inv-summary', { hasText: /Trần Thị Bình \(Sở Y tế Gia Lai\): \d+ lượt xem của 1 người/ }).waitFor();
    assert.match((await page.locator('#inv-results tbody').textContent())!, /đang xem/, 'her view is still open');

    // The person search, without diacritics, on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.fill('#inv-person-q', 'hoang thi em');
    await page.locator('#inv-people button', { hasText: 'Hoàng Thị Em' }).click();
    await page.locator('#inv-summary', { hasText: 'Hoàng Thị Em' }).waitFor();
    await screenshot(page, 'investigation-person-phone');
    await page.context().close();
  });
});
