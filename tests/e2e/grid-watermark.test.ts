// The supervision grid in Chromium: layouts 1, 4, 9 and 16, maximizing the double-clicked
// tile, and the watermark (the viewer's name and account with the current time, drifting)
// over every live tile.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectFrames, launchBrowser, openClient, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, type TestServer } from '../support/server.js';

describe('grid layouts and the watermark', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const cameras: TestCamera[] = [];
  const ids: string[] = [];

  before(async () => {
    [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
    // A long name, as real cameras have: at 16 tiles it must shorten, not run under the badge.
    for (const name of ['Cổng A', 'Cổng B – Khu cách ly tầng 3, hành lang phía đông']) {
      const cam = await startCamera({ width: 320, height: 180, fps: 15 });
      cameras.push(cam);
      ids.push((await addCamera(server, { name, mainUrl: cam.url })).json.id);
    }
    page = await openClient(browser, `${server.url}/?layout=4`, await login(server, 'quocgia'));
    await expectFrames(page, ids[0]!, 10, 15_000);
  });
  after(async () => {
    await page?.context().close();
    await browser?.close();
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  const visibleTiles = () => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('#grid .tile')].filter((t) => !t.hidden).length);

  test('layouts 9 and 16 show 9 and 16 tiles; double-click maximizes that tile and returns to the grid', async () => {
    await page.click('[data-layout="9"]');
    assert.equal(await visibleTiles(), 9);
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('grid')!).gridTemplateColumns.split(' ').length), 3);
    await page.click('[data-layout="16"]');
    assert.equal(await visibleTiles(), 16);
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('grid')!).gridTemplateColumns.split(' ').length), 4);
    await screenshot(page, 'grid-16');
    const second16 = `.tile[data-camera-id="${ids[1]}"]`;
    await page.locator(`${second16} .badge.state-live`).waitFor();
    const [name, badge] = await Promise.all([page.locator(`${second16} .name`).boundingBox(), page.locator(`${second16} .badge`).boundingBox()]);
    assert.ok(name!.x + name!.width <= badge!.x, `the name (${name!.x}+${name!.width}) ends before the Live badge (${badge!.x})`);
    assert.equal(await page.locator(`${second16} .badge`).textContent(), 'Trực tiếp');

    // The engineering figures: hidden for a supervisor until asked for, and the choice is kept.
    const figures = page.locator(`${second16} .stats .figures`);
    await page.locator(`${second16} .stats .stream-name`).waitFor();
    assert.equal(await figures.isVisible(), false, 'figures hidden by default for a monitor');
    await page.click('#figures');
    await figures.waitFor({ state: 'visible' });
    assert.match((await figures.textContent())!, /khung\/giây/);
    assert.equal(await page.evaluate(() => localStorage.getItem('giamsat.figures')), 'on');
    await page.click('#figures');
    await figures.waitFor({ state: 'hidden' });

    const second = page.locator(`.tile[data-camera-id="${ids[1]}"]`);
    await second.dblclick();
    assert.equal(await visibleTiles(), 1);
    assert.equal(await page.locator('#grid .tile:not([hidden])').getAttribute('data-camera-id'), ids[1], 'the double-clicked camera fills the screen');
    await expectFrames(page, ids[1]!, 10, 10_000);
    await page.locator(`.tile[data-camera-id="${ids[1]}"]`).dblclick();
    assert.equal(await visibleTiles(), 16, 'back to the grid it came from');
  });

  test('every live tile carries the viewer\'s name, account and the time, and the mark moves', async () => {
    await page.click('[data-layout="4"]');
    const tile = `.tile[data-camera-id="${ids[0]}"]`;
    await expectFrames(page, ids[0]!, 5, 10_000);
    const mark = page.locator(`${tile} .watermark`);
    const text = (await mark.textContent())!;
    assert.match(text, /^Nguyễn Văn An \(quocgia\) · \d{1,2}:\d{2}:\d{2} \d{1,2}\/\d{1,2}\/\d{4}$/, text);
    const style = await mark.evaluate((el) => {
      const s = getComputedStyle(el);
      return { color: s.color, pointerEvents: s.pointerEvents, position: el.style.transform };
    });
    assert.equal(style.pointerEvents, 'none', 'it never blocks the tile');
    assert.match(style.color, /rgba\(255, 255, 255, 0\.\d+\)/, 'semi-transparent');
    // It drifts to a new place every few seconds, and its clock runs.
    await page.waitForFunction(([sel, before]) => {
      const el = document.querySelector<HTMLElement>(`${sel} .watermark`)!;
      return el.style.transform !== before;
    }, [tile, style.position] as const, { timeout: 12_000 });
    assert.notEqual(await mark.textContent(), text, 'the time moved on');
    // It glides there and then stands still until its next move: a mark always in motion keeps
    // the browser compositing the whole page at every display refresh (a 16-tile wall's CPU).
    await page.waitForFunction((sel) => document.querySelector<HTMLElement>(`${sel} .watermark`)!.getAnimations().length === 0, tile, { timeout: 2000 });
    // Inside its tile wherever it is (its rotation may reach a few pixels past the corners).
    const [m, t] = [await mark.boundingBox(), await page.locator(tile).boundingBox()];
    assert.ok(m && t && m.x >= t.x - 8 && m.y >= t.y - 8 && m.x + m.width <= t.x + t.width + 8 && m.y + m.height <= t.y + t.height + 8,
      `the mark ${JSON.stringify(m)} lies inside the tile ${JSON.stringify(t)}`);
    await screenshot(page, 'watermark');
  });
});
