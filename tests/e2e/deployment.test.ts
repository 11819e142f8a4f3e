// A real deployment from an empty system, in Chromium, on both databases: `admin:create` makes
// the first national administrator, who activates the account and enrols the second factor on the activation page,
// imports the unit list (the provinces and two districts), adds the province's health
// department, a telecom organization and two facilities, makes an installer's and a health
// monitor's accounts and assigns the installer a second facility. The installer activates,
// tests a camera (an unreachable address, then the test camera simulator) and registers it.
// The health monitor of the province then sees it live on the wall and counted on the
// connection-drive page. Nothing here is seeded: every account, place and camera is made in
// the product, by the people who would make it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../server/access/totp.js';
import { DEFAULT_UNIT_LIST } from '../../server/places/UnitRegistry.js';
import { expectFrames, FRAME_COUNTER, launchBrowser, screenshot, tmp } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { freePort } from '../support/net.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const PASSWORD = { admin: 'mat-khau-quan-tri-2021', installer: 'mat-khau-ky-thuat-2021', monitor: 'mat-khau-so-y-te-2021' };

for (const kind of ['embedded', 'postgresql'] as const) {
  describe(`a deployment from an empty system (${kind})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    let pg: TestPostgres | undefined;
    let browser: Browser;
    let camera: TestCamera;
    const dataDir = tmp();
    const env = () => ({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(pg ? { DATABASE_URL: pg.url } : {}) });

    before(async () => {
      pg = kind === 'postgresql' ? await createTestDatabase() : undefined;
      [browser, camera] = await Promise.all([launchBrowser(), startCamera({ width: 640, height: 360, fps: 15, gop: 15, kbps: 500 })]);
    });
    after(async () => {
      await browser?.close();
      await camera?.stop();
      await server?.stop();
      await pg?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** A new browser window (its own session storage) at 1366x768, or phone size. */
    async function window(viewport = { width: 1366, height: 768 }): Promise<Page> {
      const page = await (await browser.newContext({ viewport })).newPage();
      await page.addInitScript(FRAME_COUNTER);
      return page;
    }

    /**
     * Opens an activation link, sets the password and enrols the second factor on the same
     * page (every role here needs one), which signs the person in; then waits for their
     * landing page (`home`) to be signed in.
     */
    async function activateAndSignIn(page: Page, link: string, password: string, home: string): Promise<void> {
      const url = new URL(link);
      await page.goto(`${server.url}${url.pathname}${url.hash}`);
      await page.fill('input[name=password]', password);
      await page.fill('input[name=repeat]', password);
      await page.click('#activate-submit');
      await page.locator('#enrol:not([hidden]) #enrol-qr svg').waitFor();
      await screenshot(page, 'activate-enrol');
      await page.fill('#enrol input[name=code]', totpCode((await page.locator('#enrol-secret').textContent())!));
      await page.click('#enrol-submit');
      await page.locator('#enrol-done:not([hidden])').waitFor();
      await page.click('#enrol-done a');
      await page.waitForURL((u) => u.pathname === home && !u.hash);
      await page.waitForFunction(() => !document.body.classList.contains('signed-out'));
    }

    /** The places page, opened at a unit by following the breadcrumbs' links from the top. */
    async function openUnit(page: Page, names: string[]): Promise<void> {
      await page.goto(`${server.url}/places.html`);
      await page.locator('#unit-list tbody tr').first().waitFor();
      for (const name of names) {
        await page.locator('#unit-list a', { hasText: new RegExp(`^${name}$`) }).click();
        await page.locator('#crumbs a', { hasText: name }).waitFor();
      }
    }

    test('the first administrator is made on the command line and activates in the browser', async () => {
      const made = await run(process.execPath, ['--import', 'tsx', 'server/access/admin-cli.ts', '--username', 'quantri-bo', '--full-name', 'Phan Thị Hoa', '--email', 'hoa@moh.gov.vn', '--phone', '0243 846 1234'], { cwd: root, env: env(), timeout: 60_000 });
      const link = /(http:\/\/\S+\/activate\.html#token=\S+)/.exec(made.stdout)?.[1];
      assert.ok(link, made.stdout);
      server = await startTestServer({ dataDir, demoAccounts: false, auth: { totp: 'required' }, ...(pg ? { databaseUrl: pg.url } : {}) });
      assert.equal(await server.db.prisma.user.count(), 1, 'one account: the administrator; no demo');
      assert.equal(await server.db.prisma.adminUnit.count(), 63, 'the default list of provinces on a first start');
      assert.equal(await server.db.prisma.facility.count(), 0);
      const page = await window();
      await activateAndSignIn(page, link, PASSWORD.admin, '/account.html');
      // The administrator keeps this window for the rest of the work, as a person would.
      admin = page;
    });

    let admin: Page;
    const links = new Map<string, string>();

    test('the administrator imports the districts of a province, adds its organizations and two facilities', async () => {
      const page = admin;
      const csv = path.join(dataDir, 'units.csv');
      fs.writeFileSync(csv, `${fs.readFileSync(DEFAULT_UNIT_LIST, 'utf8').trimEnd()}\n622,TP. Pleiku,64,Thành phố\n635,Huyện Chư Sê,64,Huyện\n`);
      await openUnit(page, []);
      await page.setInputFiles('#import-file', csv);
      await page.click('#import-check');
      await page.locator('#import-result', { hasText: 'Danh sách hợp lệ (65 đơn vị). Nếu nhập: 2 mới' }).waitFor();
      await page.click('#import-run');
      await page.locator('#import-result', { hasText: 'Đã nhập 65 đơn vị: 2 mới, 0 thay đổi, 63 giữ nguyên' }).waitFor();
      assert.equal(await server.db.prisma.adminUnit.count(), 65);

      await openUnit(page, ['Tỉnh Gia Lai']);
      for (const [name, orgKind] of [['Sở Y tế Gia Lai', 'PROVINCIAL_HEALTH_DEPARTMENT'], ['VNPT Gia Lai', 'TELECOM_INSTALLER']]) {
        await page.fill('#organization-form input[name=name]', name!);
        await page.selectOption('#organization-form select[name=kind]', orgKind!);
        await page.click('#organization-save');
        await page.locator('#organization-list td', { hasText: name! }).waitFor();
      }
      await page.locator('#unit-list a', { hasText: /^Huyện Chư Sê$/ }).click();
      await page.locator('#facility-form-title:has-text("Huyện Chư Sê")').waitFor();
      for (const [name, choice] of [['Khách sạn Phố Núi (cách ly)', 'HOTEL'], ['Ký túc xá Trường THPT Chư Sê', 'SCHOOL']]) {
        await page.fill('#facility-form input[name=name]', name!);
        await page.selectOption('#facility-form select[name=kind]', choice!);
        await page.fill('#facility-form input[name=camerasExpected]', '1');
        await page.fill('#facility-form input[name=connectBy]', '2099-08-20');
        await page.click('#facility-save');
        await page.locator('#facility-list td', { hasText: name! }).waitFor();
      }
      assert.equal(await server.db.prisma.facility.count(), 2);
    });

    test('the administrator makes the installer\'s and the health monitor\'s accounts, and assigns the installer a second facility', async () => {
      const page = admin;
      await openUnit(page, ['Tỉnh Gia Lai']);
      await page.locator('#facility-list td', { hasText: 'Khách sạn Phố Núi (cách ly)' }).waitFor();
      const people: Array<{ org: string; username: string; fullName: string; role: string; scope: string }> = [
        { org: 'VNPT Gia Lai', username: 'vnpt-giang', fullName: 'Đặng Văn Giang', role: 'INSTALLER', scope: 'Ký túc xá Trường THPT Chư Sê' },
        { org: 'Sở Y tế Gia Lai', username: 'soyte-binh', fullName: 'Trần Thị Bình', role: 'PROVINCIAL_HEALTH_MONITOR', scope: 'Tỉnh Gia Lai' },
      ];
      for (const p of people) {
        await page.locator('#organization-list tr', { hasText: p.org }).locator('button', { hasText: 'Người dùng' }).click();
        await page.locator(`#people-title:has-text("${p.org}")`).waitFor();
        await page.fill('#person-form input[name=fullName]', p.fullName);
        await page.fill('#person-form input[name=position]', 'Chuyên viên');
        await page.fill('#person-form input[name=phone]', '0912 345 678');
        await page.fill('#person-form input[name=email]', `${p.username}@gialai.gov.vn`);
        await page.fill('#person-form input[name=username]', p.username);
        await page.selectOption('#person-form select[name=role]', p.role);
        await page.selectOption('#person-form select[name=scope]', { label: p.scope });
        await page.click('#person-create');
        await page.locator('#activation:not([hidden])').waitFor();
        links.set(p.username, await page.locator('#activation-link').inputValue());
        await page.locator(`#people-list tr[data-username="${p.username}"]`).waitFor();
      }
      assert.match(await page.locator('#people-list tr[data-username="soyte-binh"]').textContent() ?? '', /Giám sát Sở Y tế – Tỉnh Gia Lai/);
      await screenshot(page, `deployment-people-${kind}`);

      // The hotel: no installer yet; the VNPT installer is offered, and given it.
      const hotelRow = page.locator('#facility-list tr', { hasText: 'Khách sạn Phố Núi (cách ly)' });
      await hotelRow.locator('button', { hasText: 'Kỹ thuật viên' }).click();
      await page.locator('#installers-title:has-text("Khách sạn Phố Núi")').waitFor();
      assert.equal(await page.locator('#installer-list tbody').textContent(), 'Chưa giao cho kỹ thuật viên nào.');
      await page.selectOption('#installer-form select[name=userId]', { label: 'Đặng Văn Giang (vnpt-giang) – VNPT Gia Lai' });
      await page.click('#installer-assign');
      await page.locator('#installer-list td', { hasText: 'Đặng Văn Giang (vnpt-giang)' }).waitFor();
      assert.match(await page.locator('#installer-list tbody tr').first().textContent() ?? '', /VNPT Gia Lai.*0912 345 678.*Cơ sở này.*Phan Thị Hoa/);
      await screenshot(page, `deployment-installers-${kind}`);
      const hotel = await server.db.prisma.facility.findFirstOrThrow({ where: { name: 'Khách sạn Phố Núi (cách ly)' } });
      const grants = await server.db.prisma.roleAssignment.findMany({ where: { user: { username: 'vnpt-giang' } }, orderBy: { grantedAt: 'asc' } });
      assert.deepEqual(grants.map((g) => [g.role, g.scopeType]), [['INSTALLER', 'FACILITY'], ['INSTALLER', 'FACILITY']]);
      assert.equal(grants[1]!.scopeId, hotel.id);
      await server.audit.drain();
      assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'account.create' } }), 2);
      assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'grant.create', target: `user:${grants[1]!.userId}` } }), 1);
    });

    test('the installer activates, tests a camera on a phone and registers it at the hotel', async () => {
      const phone = await window({ width: 390, height: 844 });
      await activateAndSignIn(phone, links.get('vnpt-giang')!, PASSWORD.installer, '/ops.html');
      await phone.goto(`${server.url}/places.html`);
      const hotelRow = phone.locator('#facility-list tr', { hasText: 'Khách sạn Phố Núi (cách ly)' });
      await hotelRow.waitFor();
      assert.equal(await phone.locator('#facility-list tbody tr').count(), 2, 'the two facilities given to them, nothing else');
      await hotelRow.locator('button', { hasText: 'Camera' }).click();
      await phone.locator('#cameras-section:not([hidden])').waitFor();
      await phone.fill('#camera-form input[name=name]', 'Phố Núi – Sảnh');
      await phone.fill('#camera-form input[name=mainUrl]', `rtsp://127.0.0.1:${await freePort()}/khong-co`);
      await phone.click('#camera-probe');
      await phone.locator('#probe-result.failed').waitFor({ timeout: 15_000 });
      assert.match(await phone.locator('#probe-summary').textContent() ?? '', /^Không đọc được camera/);
      await phone.fill('#camera-form input[name=mainUrl]', camera.url);
      await phone.click('#camera-probe');
      await phone.locator('#probe-result.ok').waitFor({ timeout: 15_000 });
      assert.equal((await phone.locator('#probe-facts dd').allTextContents())[1], '640×360');
      await phone.click('#camera-save');
      await phone.locator('#camera-admin-list td', { hasText: 'Phố Núi – Sảnh' }).waitFor();
      const stored = await server.db.prisma.camera.findUniqueOrThrow({ where: { name: 'Phố Núi – Sảnh' }, include: { facility: true } });
      assert.equal(stored.facility?.name, 'Khách sạn Phố Núi (cách ly)');
      assert.doesNotMatch(stored.mainUrlEnc, /rtsp:/, 'the camera address is sealed at rest');
      await screenshot(phone, `deployment-installer-${kind}`);
      await phone.context().close();
    });

    test('the province\'s health monitor sees the camera live on the wall and counted on the connection drive', async () => {
      const page = await window();
      await activateAndSignIn(page, links.get('soyte-binh')!, PASSWORD.monitor, '/');
      const cam = await server.db.prisma.camera.findUniqueOrThrow({ where: { name: 'Phố Núi – Sảnh' } });
      await page.locator(`#camera-list li.camera[data-camera-id="${cam.id}"]`).waitFor();
      await expectFrames(page, cam.id, 10, 30_000);
      await screenshot(page, `deployment-wall-${kind}`);

      // The same window (the session lives in the tab's session storage), as a person would go on.
      const drive = page;
      await drive.goto(`${server.url}/drive.html`);
      const row = drive.locator(`#drive-facilities tr[data-facility-id="${cam.facilityId}"]`);
      await row.waitFor();
      // Expected, registered and live cameras of the hotel; the installer and their phone.
      const cells = await row.locator('td').allTextContents();
      assert.deepEqual(cells.slice(2, 5), ['1', '1', '1'], cells.join(' | '));
      assert.equal(cells[8], 'Đặng Văn Giang (0912 345 678)');
      const school = await drive.locator('#drive-late tr', { hasText: 'Ký túc xá Trường THPT Chư Sê' }).locator('td').allTextContents();
      assert.deepEqual(school.slice(2, 5), ['1', '0', '0'], 'the school is not connected yet');
      await screenshot(drive, `deployment-drive-${kind}`);
      await page.context().close();
    });
  });
}
