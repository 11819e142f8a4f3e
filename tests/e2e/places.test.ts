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
      'Dòng 3, cột code: duplicate code "64" (first on line 2)',
      'Dòng 4, cột parent_code: unknown parent code "999"',
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
    assert.equal(await page.locator('#import h2').textContent(), 'Import the administrative unit list');
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
