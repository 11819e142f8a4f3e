// What a newcomer sees after `npm start`: the demo site's four cameras play in the grid
// without a click. (The server runs in-process with the demo on; `npm start` is the same
// composition root with the default config.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectFrames, launchBrowser, openClient, screenshot } from '../support/browser.js';
import { login, startTestServer, type TestServer } from '../support/server.js';

describe('demo site', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page | undefined;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ demo: true }), launchBrowser()]);
  });
  after(async () => {
    await page?.context().close();
    await browser?.close();
    await server?.stop();
  });

  test('four demo cameras play in the grid without further clicks', async () => {
    const cameras = server.cameras.list();
    assert.equal(cameras.length, 4);
    const t0 = Date.now();
    page = await openClient(browser, `${server.url}/`, await login(server, 'quocgia'));
    // Four encoders, four ingests and four decoders share two cores here: ask for 10
    // frames each (at 25 fps nominal) within 15 s of opening the page.
    await Promise.all(cameras.map((c) => expectFrames(page!, c.id, 10, 15_000)));
    console.log(`# all four demo tiles rendered 10 frames ${Date.now() - t0} ms after the page opened`);
    await screenshot(page, 'demo-grid');
    // Each demo camera has a sub stream: the grid plays it; a maximized tile plays the main one.
    assert.equal(await page.locator('.tile:not([hidden])[data-playing="sub"]').count(), 4, 'four tiles play their sub streams');
    const first = page.locator(`.tile[data-camera-id="${cameras[0]!.id}"]`);
    await first.dblclick();
    await page.locator(`.tile[data-camera-id="${cameras[0]!.id}"][data-playing="main"]`).waitFor({ timeout: 15_000 });
    await first.dblclick();
    // A demo says so on every page: its accounts' passwords are published.
    assert.deepEqual(await (await fetch(`${server.url}/api/info`)).json(), { demo: true });
    assert.match((await page.locator('#demo-notice').textContent())!, /^Bản trình diễn: các tài khoản mẫu và mật khẩu của chúng được công bố công khai/);
    assert.equal(await page.locator('#demo-notice').isVisible(), true);
    const health = await (await fetch(`${server.url}/healthz`)).json();
    assert.equal(health.status, 'ok');
  });

  test('signed out, the demo warning comes before the sign-in form that asks for the published passwords', async () => {
    const signedOut = await openClient(browser, `${server.url}/`);
    try {
      await signedOut.locator('#demo-notice').waitFor({ state: 'visible' });
      await signedOut.locator('#login').waitFor({ state: 'visible' });
      const notice = (await signedOut.locator('#demo-notice').boundingBox())!;
      const form = (await signedOut.locator('#login').boundingBox())!;
      assert.ok(notice.y + notice.height <= form.y, `the notice (${notice.y}..${notice.y + notice.height}) above the form (from ${form.y})`);
      // The same on the other pages (the shared shell), on a phone as well.
      await signedOut.setViewportSize({ width: 390, height: 844 });
      await signedOut.goto(`${server.url}/ops.html`);
      await signedOut.locator('#demo-notice').waitFor({ state: 'visible' });
      await signedOut.locator('#login').waitFor({ state: 'visible' });
      assert.ok((await signedOut.locator('#demo-notice').boundingBox())!.y < (await signedOut.locator('#login').boundingBox())!.y);
      // On a phone the form sits in the middle, and the language switch stays at hand (the menu
      // that holds the header's controls is not offered before sign-in).
      const phoneForm = (await signedOut.locator('#login').boundingBox())!;
      assert.ok(Math.abs(phoneForm.x - (390 - phoneForm.x - phoneForm.width)) <= 2, `form from ${phoneForm.x} to ${phoneForm.x + phoneForm.width} of 390`);
      assert.equal(await signedOut.locator('#lang').isVisible(), true, 'the language switch is visible signed out on a phone');
      await signedOut.locator('#lang').click();
      await signedOut.locator('#login-title', { hasText: /^Sign in$/ }).waitFor();
      await screenshot(signedOut, 'demo-signed-out-phone');
    } finally {
      await signedOut.context().close();
    }
  });

  test('a facility leader sees only the camera of their own facility', async () => {
    const own = await openClient(browser, `${server.url}/`, await login(server, 'khachsan'));
    try {
      await own.locator('#camera-list li[data-camera-id]').first().waitFor();
      const names = await own.locator('#camera-list li .cam-name').allTextContents();
      assert.deepEqual(names, ['Demo 2 – Hành lang tầng 2']);
      const hotel = server.cameras.list().find((c) => c.name === names[0])!;
      await expectFrames(own, hotel.id, 10, 15_000);
    } finally {
      await own.context().close();
    }
  });
});
