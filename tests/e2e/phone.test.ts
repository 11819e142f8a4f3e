// Phone- and tablet-sized screens (390x844, 768x1024): the sign-in page, the wall, the
// incidents and recordings pages fit the width (nothing off to the side), the places list
// folds away on a phone and the tiles take the whole width, and sign-out is always reachable
// (behind the menu button on a phone). Screenshots of each go to test-artifacts/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, type TestServer, type TestSession } from '../support/server.js';

const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
] as const;

/** How far the page reaches past the right edge of the screen (0 when it fits). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** Is the element on screen, inside the width? */
async function reachable(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  const width = page.viewportSize()!.width;
  return !!box && box.x >= 0 && box.x + box.width <= width && (await page.locator(selector).isVisible());
}

describe('narrow screens', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let camera: TestCamera;
  let leader: TestSession;

  before(async () => {
    [server, browser, camera] = await Promise.all([startTestServer(), launchBrowser(), startCamera({ width: 640, height: 360, gop: 25 })]);
    await addCamera(server, { name: 'Sảnh khách sạn', mainUrl: camera.url, facilityId: DEMO_IDS.hotel });
    leader = await login(server, 'khachsan');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await camera?.stop();
  });

  async function open(size: (typeof SIZES)[number], path: string, session?: TestSession): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, isMobile: size.name === 'phone', hasTouch: true });
    const page = await context.newPage();
    if (session) await page.addInitScript(`sessionStorage.setItem('giamsat.session', ${JSON.stringify(JSON.stringify(session))});`);
    await page.goto(`${server.url}${path}`);
    return page;
  }

  /** Sign-out is on screen: directly on a tablet, behind the menu button on a phone. */
  async function signOutReachable(page: Page, size: (typeof SIZES)[number]): Promise<void> {
    if (size.name === 'phone') {
      assert.equal(await page.locator('#sign-out').isVisible(), false, 'folded into the menu');
      await page.click('#menu');
    }
    assert.ok(await reachable(page, '#sign-out'), 'sign-out is on screen');
    assert.ok(await reachable(page, '#pages a[data-page="incidents"]'), 'the page links are on screen');
    if (size.name === 'phone') await page.click('#menu');
  }

  for (const size of SIZES) {
    test(`${size.name} (${size.width}x${size.height}): the sign-in page fits`, async () => {
      const page = await open(size, '/');
      try {
        await page.locator('#login').waitFor();
        assert.equal(await overflow(page), 0);
        assert.ok(await reachable(page, '#login-submit'));
        await screenshot(page, `${size.name}-signin`);
      } finally {
        await page.context().close();
      }
    });

    test(`${size.name} (${size.width}x${size.height}): the wall plays with tiles the person can see`, async () => {
      const page = await open(size, '/', leader);
      try {
        await page.locator('#grid .tile[data-playing]').first().waitFor({ timeout: 20_000 });
        assert.equal(await overflow(page), 0);
        const tile = (await page.locator('#grid .tile').first().boundingBox())!;
        if (size.name === 'phone') {
          // The places list folds away; one tile per row, the whole width, 16:9.
          assert.equal(await page.locator('#camera-list').isVisible(), false, 'the places list is folded');
          assert.ok(tile.width >= size.width - 16, `tile width ${tile.width}`);
          assert.ok(Math.abs(tile.width / tile.height - 16 / 9) < 0.1, `tile ${tile.width}x${tile.height}`);
          await page.click('#places-toggle');
          await page.locator('#camera-list').waitFor({ state: 'visible' });
          await screenshot(page, `${size.name}-wall-places`);
          // Picking a camera folds the list again, back to the picture.
          await page.locator('#camera-list li.camera').first().click();
          await page.locator('#camera-list').waitFor({ state: 'hidden' });
        } else {
          assert.ok(tile.width >= 200, `tile width ${tile.width}`);
          assert.equal(await page.locator('#camera-list').isVisible(), true);
        }
        await screenshot(page, `${size.name}-wall`);
        await signOutReachable(page, size);
        if (size.name === 'phone') {
          await page.click('#menu');
          await screenshot(page, `${size.name}-wall-menu`);
        }
      } finally {
        await page.context().close();
      }
    });

    for (const path of ['/incidents.html', '/recordings.html']) {
      test(`${size.name} (${size.width}x${size.height}): ${path} fits`, async () => {
        const page = await open(size, path, leader);
        try {
          await page.locator('#pages:not([hidden])').waitFor({ state: 'attached' });
          await page.locator(path === '/incidents.html' ? '#incident-list tbody tr' : '#recorded:not(:empty)').first().waitFor();
          assert.equal(await overflow(page), 0);
          assert.ok(await reachable(page, path === '/incidents.html' ? '#export-pdf' : '#search button[type="submit"]'));
          await signOutReachable(page, size);
          await screenshot(page, `${size.name}-${path.slice(1, -5)}`);
        } finally {
          await page.context().close();
        }
      });
    }
  }
});
