// The places page in Chromium: a national administrator browses the registry level by level,
// checks a unit list (a bad one shows every problem with its line, and nothing changes; a
// good one says what it would change), imports it, and sees the new level; a provincial
// administrator browses without the import. Screenshots at 1366x768 and phone size.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { DEFAULT_UNIT_LIST } from '../../server/places/UnitRegistry.js';
import { launchBrowser, screenshot, tmp } from '../support/browser.js';
import { startCamera } from '../support/camera.js';
import { freePort } from '../support/net.js';
import { login, startTestServer, type TestServer } from '../support/server.js';

describe('the places page', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const dir = tmp();

  before(async () => {
    [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(username: string, viewport = { width: 1366, height: 768 }): Promise<Page> {
    const session = await login(server, username);
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.addInitScript(`sessionStorage.setItem('giamsat.session', ${JSON.stringify(JSON.stringify(session))});`);
    await page.goto(`${server.url}/places.html`);
    await page.locator('#places').waitFor({ state: 'visible' });
    await page.locator('#unit-list tbody tr').first().waitFor();
    return page;
  }

  test('a national administrator browses the registry and imports a list, checked first', async () => {
    const page = await open('quantri-tw');
    assert.equal(await page.locator('#unit-list tbody tr').count(), 63);
    assert.match(await page.locator('#units-summary').textContent() ?? '', /^63 đơn vị đang dùng/);
    await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.gialai}"] a`).click();
    await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.pleiku}"]`).waitFor();
    assert.deepEqual(await page.locator('#crumbs a').allTextContents(), ['Toàn quốc', 'Tỉnh Gia Lai']);
    assert.deepEqual(await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.pleiku}"] td`).allTextContents(), ['622', 'TP. Pleiku', 'Thành phố', '0', '2', 'Đang dùng']);
    await screenshot(page, 'places-units');

    // A bad list: every problem with its line, the import button stays off, nothing changes.
    const before = await server.db.prisma.adminUnit.count();
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'code,name,parent_code,level\n64,Tỉnh Gia Lai,,Tỉnh\n64,Trùng,,Tỉnh\n700,Xã A,999,Xã\n');
    await page.setInputFiles('#import-file', bad);
    await page.click('#import-check');
    await page.locator('#import-problems li').nth(1).waitFor();
    assert.deepEqual(await page.locator('#import-problems li').allTextContents(), [
      'Dòng 3, cột code: mã "64" trùng (đã có ở dòng 2)',
      'Dòng 4, cột parent_code: không có mã cấp trên "999" trong danh sách',
    ]);
    assert.match(await page.locator('#import-result').textContent() ?? '', /bị từ chối, không có gì thay đổi: 2 lỗi/);
    assert.equal(await page.locator('#import-run').isDisabled(), true);
    assert.equal(await server.db.prisma.adminUnit.count(), before);
    await screenshot(page, 'places-import-refused');

    // A good list with a third level: the check says what would change, then the import does it.
    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, `${fs.readFileSync(DEFAULT_UNIT_LIST, 'utf8').trimEnd()}\n622,TP. Pleiku,64,Thành phố\n635,Huyện Chư Sê,64,Huyện\n608,TP. Kon Tum,62,Thành phố\n22807,Phường Hoa Lư,622,Phường\n`);
    await page.setInputFiles('#import-file', good);
    await page.click('#import-check');
    await page.locator('#import-result:has-text("Nếu nhập")').waitFor();
    assert.match(await page.locator('#import-result').textContent() ?? '', /\(67 đơn vị\)\. Nếu nhập: 1 mới, 0 thay đổi, 66 giữ nguyên/);
    assert.equal(await server.db.prisma.adminUnit.count(), before, 'a check stores nothing');
    await page.click('#import-run');
    await page.locator('#import-result:has-text("Đã nhập")').waitFor();
    assert.equal(await server.db.prisma.adminUnit.count(), before + 1);
    assert.equal(await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.pleiku}"] td:nth-child(4)`).textContent(), '1', 'the list shown is read again');
    await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.pleiku}"] a`).click();
    await page.locator('#unit-list tbody tr td:has-text("Phường Hoa Lư")').waitFor();
    assert.deepEqual(await page.locator('#crumbs a').allTextContents(), ['Toàn quốc', 'Tỉnh Gia Lai', 'TP. Pleiku']);
    await screenshot(page, 'places-imported');
    // English, too.
    await page.click('#lang');
    await page.locator('#import h2', { hasText: /^Import the administrative unit list$/ }).waitFor(); // English loads on first use
    await page.context().close();
  });

  test('a provincial administrator browses without the import; a phone shows the table without overflow', async () => {
    const page = await open('quantri', { width: 390, height: 844 });
    assert.equal(await page.locator('#import').isVisible(), false);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
    await screenshot(page, 'phone-places');
    await page.context().close();
  });

  test('a provincial administrator adds an organization and a facility in a district; an installer sets the survey on a phone', async () => {
    const page = await open('quantri');
    assert.equal(await page.locator('#import').isVisible(), false);
    await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.gialai}"] a`).click();
    await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.chuSe}"]`).waitFor();
    // An organization at the province.
    await page.fill('#organization-form input[name=name]', 'Viettel Gia Lai');
    await page.selectOption('#organization-form select[name=kind]', 'TELECOM_INSTALLER');
    await page.click('#organization-save');
    await page.locator('#organization-list td:has-text("Viettel Gia Lai")').waitFor();
    // Into the district: a hotel managed by it, with its deadline.
    await page.locator(`#unit-list tr[data-unit-id="${DEMO_IDS.chuSe}"] a`).click();
    await page.locator('#facility-form-title:has-text("Huyện Chư Sê")').waitFor();
    await page.locator(`#facility-list tr[data-facility-id="${DEMO_IDS.school}"]`).waitFor();
    assert.deepEqual(await page.locator('#crumbs a').allTextContents(), ['Toàn quốc', 'Tỉnh Gia Lai', 'Huyện Chư Sê']);
    assert.equal(await page.locator('#facility-form-title').textContent(), 'Thêm cơ sở vào Huyện Chư Sê');
    await page.fill('#facility-form input[name=name]', 'Khách sạn Phố Núi (cách ly)');
    await page.selectOption('#facility-form select[name=kind]', 'HOTEL');
    await page.selectOption('#facility-form select[name=managingOrgId]', { label: 'Viettel Gia Lai' });
    await page.fill('#facility-form input[name=address]', '12 Hùng Vương');
    await page.fill('#facility-form input[name=capacity]', '120');
    await page.fill('#facility-form input[name=leaderName]', 'Phan Văn Tài');
    await page.fill('#facility-form input[name=leaderPhone]', '0269 3811 222');
    await page.fill('#facility-form input[name=camerasExpected]', '6');
    await page.fill('#facility-form input[name=connectBy]', '2021-08-20');
    await page.click('#facility-save');
    await page.locator('#facility-list td:has-text("Khách sạn Phố Núi (cách ly)")').waitFor();
    const stored = await server.db.prisma.facility.findFirstOrThrow({ where: { name: 'Khách sạn Phố Núi (cách ly)' }, include: { managingOrg: true } });
    assert.equal(stored.unitId, DEMO_IDS.chuSe, 'added to the open unit');
    assert.equal(stored.siteType, 'HOTEL');
    assert.equal(stored.managingOrg?.name, 'Viettel Gia Lai');
    assert.equal(stored.camerasExpected, 6);
    const row = page.locator(`#facility-list tr[data-facility-id="${stored.id}"]`);
    assert.match(await row.locator('td:nth-child(5)').textContent() ?? '', /^2021-08-20 \(quá hạn \d+ ngày\)$/);
    assert.equal(await row.locator('td:nth-child(4)').textContent(), '0/6');
    await screenshot(page, 'places-facilities');
    // A bad phone is refused, naming the field; nothing is stored.
    await row.locator('button:has-text("Sửa")').click();
    await page.fill('#facility-form input[name=leaderPhone]', 'gọi tôi');
    await page.click('#facility-save');
    await page.locator('#facility-error:has-text("leaderPhone")').waitFor();
    assert.equal((await server.db.prisma.facility.findUniqueOrThrow({ where: { id: stored.id } })).leaderPhone, '0269 3811 222');
    // The organization renamed: only the name changes, and the audit log says so.
    const viettel = await server.db.prisma.organization.findUniqueOrThrow({ where: { name: 'Viettel Gia Lai' } });
    await page.locator(`#organization-list tr[data-organization-id="${viettel.id}"] button:has-text("Sửa")`).click();
    assert.equal(await page.locator('#organization-form-title').textContent(), 'Sửa tổ chức Viettel Gia Lai');
    assert.equal(await page.inputValue('#organization-form input[name=name]'), 'Viettel Gia Lai');
    await page.fill('#organization-form input[name=name]', 'Viettel Gia Lai (chi nhánh)');
    await page.click('#organization-save');
    await page.locator('#organization-list td:has-text("Viettel Gia Lai (chi nhánh)")').waitFor();
    const renamed = await server.db.prisma.organization.findUniqueOrThrow({ where: { id: viettel.id } });
    assert.deepEqual([renamed.name, renamed.kind], ['Viettel Gia Lai (chi nhánh)', 'TELECOM_INSTALLER']);
    const update = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'organization.update', target: `organization:${viettel.id}` } });
    assert.deepEqual((update.details as { fields: string[] }).fields, ['name']);
    assert.equal(await page.locator('#organization-form-title').textContent(), 'Thêm tổ chức tại Huyện Chư Sê', 'back to adding');
    await page.context().close();

    // The installer of the hotel, on site with a phone: the survey of their facility only.
    const phone = await open('kythuat', { width: 390, height: 844 });
    await phone.locator(`#facility-list tr[data-facility-id="${DEMO_IDS.hotel}"]`).waitFor();
    assert.equal(await phone.locator('#facility-list tbody tr').count(), 1);
    assert.equal(await phone.locator('#organizations-section').isVisible(), false);
    await phone.locator(`#facility-list tr[data-facility-id="${DEMO_IDS.hotel}"] button:has-text("Sửa")`).click();
    assert.equal(await phone.locator('#facility-form input[name=name]').isDisabled(), true, 'installers do not edit the facility itself');
    await phone.selectOption('#facility-form select[name=surveyStatus]', 'INSTALLING');
    await phone.fill('#facility-form input[name=surveyNote]', 'Đã kéo cáp tầng 2');
    await phone.click('#facility-save');
    await phone.locator(`#facility-list tr[data-facility-id="${DEMO_IDS.hotel}"] td:has-text("Đang lắp đặt")`).waitFor();
    const hotel = await server.db.prisma.facility.findUniqueOrThrow({ where: { id: DEMO_IDS.hotel } });
    assert.equal(hotel.surveyStatus, 'INSTALLING');
    assert.equal(hotel.surveyNote, 'Đã kéo cáp tầng 2');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
    await screenshot(phone, 'phone-installer-survey');
    await phone.context().close();
  });

  test('the installer on site tests a camera (an unreachable one, then the real one) and registers it from a phone', async () => {
    // Parameter sets before every keyframe: the probe finds it fit for the direct path.
    const cam = await startCamera({ profile: 'high', width: 640, height: 360, fps: 15, gop: 15, kbps: 500, inband: true });
    try {
      const phone = await open('kythuat', { width: 390, height: 844 });
      await phone.locator(`#facility-list tr[data-facility-id="${DEMO_IDS.hotel}"] button:has-text("Camera")`).click();
      await phone.locator('#cameras-section:not([hidden])').waitFor();
      assert.equal(await phone.locator('#cameras-title').textContent(), 'Camera của Khách sạn Hoàng Anh (cách ly)');
      await phone.fill('#camera-form input[name=name]', 'Sảnh tầng 1');
      await phone.fill('#camera-form input[name=mainUrl]', `rtsp://127.0.0.1:${await freePort()}/khong-co`);
      await phone.click('#camera-probe');
      await phone.locator('#probe-result.failed').waitFor({ timeout: 15_000 });
      assert.match(await phone.locator('#probe-summary').textContent() ?? '', /^Không đọc được camera: máy chủ camera từ chối kết nối/);
      await phone.fill('#camera-form input[name=mainUrl]', cam.url);
      await phone.click('#camera-probe');
      await phone.locator('#probe-result.ok').waitFor({ timeout: 15_000 });
      const facts = await phone.locator('#probe-facts dd').allTextContents();
      assert.equal(facts[0], 'H264 (High)');
      assert.equal(facts[1], '640×360');
      assert.equal(facts[5], 'không có');
      assert.equal(facts[6], 'dùng được', 'the direct path (UDP) fits');
      await phone.locator('#probe-frame:not([hidden])').waitFor();
      await phone.locator('#probe-use-direct:not([hidden])').waitFor();
      assert.ok(await phone.locator('#probe-frame').evaluate((img) => (img as HTMLImageElement).naturalWidth) > 0, 'the frame is a picture');
      await phone.locator('#probe-result').scrollIntoViewIfNeeded();
      await screenshot(phone, 'phone-installer-probe');
      // The probe found it fit for the direct path: one click chooses it.
      await phone.click('#probe-use-direct');
      assert.equal(await phone.locator('#camera-form select[name=ingest]').inputValue(), 'direct');
      assert.ok(await phone.locator('#probe-use-direct').isHidden());
      await phone.click('#camera-save');
      await phone.locator('#camera-admin-list td:has-text("Sảnh tầng 1")').waitFor();
      const stored = await server.db.prisma.camera.findUniqueOrThrow({ where: { name: 'Sảnh tầng 1' } });
      assert.equal(stored.facilityId, DEMO_IDS.hotel);
      assert.equal(stored.ingest, 'direct');
      const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'camera.create', target: `camera:${stored.id}` } });
      assert.equal(entry.actorId, (await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'kythuat' } })).id);
      assert.equal(await phone.locator(`#facility-list tr[data-facility-id="${DEMO_IDS.hotel}"] td:nth-child(4)`).textContent(), '1/0');
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
      await phone.context().close();
    } finally {
      await cam.stop();
    }
  });

  test('a camera that offers only Basic: the test says why the password was not sent; allowed, it registers with its settings (Basic, UDP, the direct path), and an edit keeps them', async () => {
    const cam = await startCamera({ auth: 'basic', user: 'viewer', password: 's3cret' });
    try {
      const page = await open('kythuat');
      await page.locator(`#facility-list tr[data-facility-id="${DEMO_IDS.hotel}"] button:has-text("Camera")`).click();
      await page.locator('#cameras-section:not([hidden])').waitFor();
      await page.fill('#camera-form input[name=name]', 'Cổng sau (Basic)');
      await page.fill('#camera-form input[name=mainUrl]', cam.url.replace('rtsp://', 'rtsp://viewer:s3cret@'));
      await page.selectOption('#camera-form select[name=rtspTransport]', 'udp');
      await page.selectOption('#camera-form select[name=ingest]', 'direct');
      await page.click('#camera-probe');
      await page.locator('#probe-result.failed').waitFor({ timeout: 15_000 });
      assert.match(await page.locator('#probe-summary').textContent() ?? '', /camera chỉ nhận xác thực Basic/);
      await page.locator('#probe-result').scrollIntoViewIfNeeded();
      await screenshot(page, 'installer-probe-basic-only');
      await page.check('#camera-form input[name=rtspBasicAuth]');
      await page.click('#camera-probe');
      await page.locator('#probe-result.ok').waitFor({ timeout: 15_000 });
      await page.click('#camera-save');
      await page.locator('#camera-admin-list td:has-text("Cổng sau (Basic)")').waitFor();
      const stored = await server.db.prisma.camera.findUniqueOrThrow({ where: { name: 'Cổng sau (Basic)' } });
      assert.deepEqual([stored.rtspBasicAuth, stored.rtspTransport, stored.ingest], [true, 'udp', 'direct']);
      // Editing another field keeps the settings the form was opened with.
      await page.locator('#camera-admin-list tr:has-text("Cổng sau (Basic)") button').first().click();
      assert.equal(await page.locator('#camera-form input[name=rtspBasicAuth]').isChecked(), true);
      assert.equal(await page.locator('#camera-form select[name=rtspTransport]').inputValue(), 'udp');
      assert.equal(await page.locator('#camera-form select[name=ingest]').inputValue(), 'direct');
      await screenshot(page, 'installer-camera-direct');
      await page.fill('#camera-form input[name=name]', 'Cổng sau');
      await page.click('#camera-save');
      // The exact new name: a substring match would find the old row ("Cổng sau (Basic)") at
      // once and read the database before the edit reached it.
      await page.locator('#camera-admin-list td').filter({ hasText: /^Cổng sau$/ }).waitFor();
      const edited = await server.db.prisma.camera.findUniqueOrThrow({ where: { id: stored.id } });
      assert.deepEqual([edited.name, edited.rtspBasicAuth, edited.rtspTransport, edited.ingest], ['Cổng sau', true, 'udp', 'direct']);
      await page.context().close();
    } finally {
      await cam.stop();
    }
  });

  test('someone without an administrator role is sent to their own page', async () => {
    const session = await login(server, 'soyte');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(`sessionStorage.setItem('giamsat.session', ${JSON.stringify(JSON.stringify(session))});`);
    await page.goto(`${server.url}/places.html`);
    await page.waitForURL((u) => u.pathname === '/');
    await context.close();
  });
});
