// The people directory in Chromium against a real camera: the province's administrator finds
// the hotel's leader without typing diacritics, sees the camera she is watching, suspends her
// with a reason (her page is signed out), reactivates her, adds a deny on her hotel and lifts
// it; every action without a reason is refused on the page. At 1366x768 and on a phone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { expectFrames, openClient, screenshot } from '../support/browser.js';
import { startHotelScene, type HotelScene } from '../support/hotel-scene.js';
import { login, type TestServer } from '../support/server.js';

describe('people directory in the web client', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let scene: HotelScene;
  let cameraId: string;

  before(async () => {
    scene = await startHotelScene();
    ({ server, browser, cameraId } = scene);
  });
  after(async () => {
    await scene?.stop();
  });

  test('find, suspend, reactivate, deny and lift, each with a reason', async () => {
    const leader = await openClient(browser, `${server.url}/?layout=1`, await login(server, 'khachsan'));
    await expectFrames(leader, cameraId, 5, 20_000);

    const page = await openClient(browser, `${server.url}/people.html`, await login(server, 'quantri'));
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.fill('#dir-q', 'hoang thi em');
    await page.locator('#dir-results button', { hasText: 'Hoàng Thị Em' }).click();
    await page.locator('#dir-name', { hasText: 'Hoàng Thị Em (khachsan)' }).waitFor();
    await page.locator('#dir-views li', { hasText: 'Hành lang tầng 2' }).waitFor();
    assert.match((await page.locator('#dir-profile').textContent())!, /Ban quản lý Khách sạn Hoàng Anh.*Đang hoạt động/s);
    await screenshot(page, 'people-directory');

    // No reason, no action.
    await page.click('#dir-suspend');
    await page.locator('#dir-error', { hasText: 'Hãy ghi lý do' }).waitFor();
    assert.equal((await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'khachsan' } })).status, 'ACTIVE');

    await page.fill('input[name="reason"]', 'Nghỉ phép dài ngày');
    await page.click('#dir-suspend');
    await page.locator('#dir-done', { hasText: 'Đã tạm khóa' }).waitFor();
    await page.locator('#dir-profile .status-SUSPENDED').waitFor();
    // Her page loses its session and says why.
    await leader.locator('#login:not([hidden])').waitFor({ timeout: 15_000 });
    await page.fill('input[name="reason"]', 'Đã đi làm lại');
    await page.click('#dir-reactivate');
    await page.locator('#dir-done', { hasText: 'Đã mở khóa' }).waitFor();

    // A deny on her own hotel, then lifted.
    await page.selectOption('select[name="role"]', 'FACILITY_LEADER');
    const hotel = await page.locator('select[name="scope"] option', { hasText: 'Khách sạn Hoàng Anh' }).getAttribute('value');
    await page.selectOption('select[name="scope"]', hotel!);
    await page.selectOption('select[name="effect"]', 'DENY');
    await page.fill('input[name="reason"]', 'Tạm chặn theo công văn 12/SYT');
    await page.click('#dir-grant');
    await page.locator('#dir-done', { hasText: 'Đã cấp' }).waitFor();
    const deny = page.locator('#dir-roles tr[data-state="active"]', { hasText: 'Chặn' });
    await deny.waitFor();
    await page.fill('input[name="reason"]', 'Hết thời hạn chặn');
    await deny.locator('button.revoke').click();
    await page.locator('#dir-roles tr[data-state="revoked"]', { hasText: 'Chặn' }).waitFor();

    await server.audit.drain();
    const user = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'khachsan' } });
    const reasons = (await server.db.prisma.auditEntry.findMany({ where: { target: `user:${user.id}`, action: { in: ['user.status', 'grant.create', 'grant.revoke'] } }, orderBy: { seq: 'asc' } }))
      .map((e) => `${e.action}:${(e.details as { reason?: string }).reason}`);
    assert.deepEqual(reasons, ['user.status:Nghỉ phép dài ngày', 'user.status:Đã đi làm lại', 'grant.create:Tạm chặn theo công văn 12/SYT', 'grant.revoke:Hết thời hạn chặn']);

    // A spot check for the CDC inspector on the hotel, from now for two hours, ended early.
    await page.fill('#dir-q', 'vo van phuc');
    await page.locator('#dir-results button', { hasText: 'Võ Văn Phúc' }).click();
    await page.locator('#dir-name', { hasText: 'thanhtra' }).waitFor();
    await page.locator('#dir-spot-facilities label', { hasText: 'Khách sạn Hoàng Anh' }).locator('input').check();
    await page.selectOption('#dir-spot-form select[name="hours"]', '2');
    await page.fill('input[name="reason"]', 'Kiểm tra theo kế hoạch 05/CDC');
    await page.click('#dir-spot-open');
    await page.locator('#dir-done', { hasText: 'Đã mở kiểm tra' }).waitFor();
    const running = page.locator('#dir-spots tr[data-state="running"]', { hasText: 'Khách sạn Hoàng Anh' });
    await running.waitFor();
    const spot = await server.db.prisma.spotCheck.findFirstOrThrow({ where: { facilityId: DEMO_IDS.hotel, reason: 'Kiểm tra theo kế hoạch 05/CDC' } });
    const hours = (spot.endsAt.getTime() - spot.startsAt.getTime()) / 3_600_000;
    assert.ok(Math.abs(hours - 2) < 0.01, `two hours: ${hours}`);
    await screenshot(page, 'people-directory-spot-check');
    await page.fill('input[name="reason"]', 'Đã hoàn thành sớm');
    await running.locator('button.end-spot').click();
    await page.locator('#dir-done', { hasText: 'Đã kết thúc kiểm tra' }).waitFor();
    assert.ok((await server.db.prisma.spotCheck.findUniqueOrThrow({ where: { id: spot.id } })).cancelledAt, 'ended early');

    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'people-directory-phone');
    await page.context().close();
    await leader.context().close();
  });
});
