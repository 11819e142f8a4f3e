// runs-alone: the first picture is timed.
// Instant start for a camera that ignores keyframe requests (10 s GOP), in headless Chromium:
// a new viewer sees the picture at once from the cached GOP (its fast-start stream), and
// the tile hands over to the shared stream at the camera's next IDR without going black.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectFrames, launchBrowser, openClient, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, type TestServer } from '../support/server.js';

const FIRST_FRAME = `
(() => {
  window.__firstFrame = undefined;
  new MutationObserver(() => document.querySelectorAll('.tile video').forEach((v) => {
    if (v.__ff) return;
    v.__ff = true;
    v.requestVideoFrameCallback(() => { window.__firstFrame ??= { at: performance.now(), fastStart: v.classList.contains('fast-start') }; });
  })).observe(document, { childList: true, subtree: true });
})();
`;

describe('fast start for cameras that ignore keyframe requests', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let cam: TestCamera;
  const pages: Page[] = [];

  before(async () => {
    [server, browser, cam] = await Promise.all([
      startTestServer(),
      launchBrowser(),
      startCamera({ profile: 'high', width: 640, height: 360, fps: 25, gop: 250, ignoreKeyframeRequests: true }),
    ]);
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.context().close().catch(() => undefined)));
    await browser?.close();
    await server?.stop();
    await cam?.stop();
  });

  test('new viewers see the picture at once, then move to the shared stream at the next IDR', async () => {
    const { json } = await addCamera(server, { name: 'stubborn', mainUrl: cam.url });
    const session = await login(server, 'quocgia');
    // The first viewer starts the camera (its stream opens with an IDR) and, through its
    // consumer's keyframe request that goes unanswered, teaches the relay that this camera
    // ignores them.
    const first = await openClient(browser, `${server.url}/?layout=1`, session);
    pages.push(first);
    await expectFrames(first, json.id, 50, 15_000);

    const firsts: Array<{ ms: number; fastStart: boolean }> = [];
    for (let i = 0; i < 3; i++) {
      const page = await openClient(browser, `${server.url}/?layout=1`, session, [FIRST_FRAME]);
      pages.push(page);
      const t0 = await page.evaluate(() => performance.getEntriesByName('giamsat:subscribe').at(-1)?.startTime ?? performance.now());
      await page.waitForFunction(() => (window as unknown as { __firstFrame?: unknown }).__firstFrame !== undefined, undefined, { timeout: 8000 });
      const first = await page.evaluate(() => (window as unknown as { __firstFrame: { at: number; fastStart: boolean } }).__firstFrame);
      firsts.push({ ms: first.at - t0, fastStart: first.fastStart });
      await screenshot(page, `fast-start-${i}`);
      // Each viewer alone with the first one: open pages keep decoding, and two cores are all
      // this machine has. The last stays for the hand-over.
      if (i < 2) await page.context().close();
    }
    console.log(`# first frame with a 10 s GOP and no keyframe on request: ${firsts.map((f) => `${Math.round(f.ms)} ms (${f.fastStart ? 'fast start' : 'shared stream'})`).join(', ')}`);
    // Without the cached GOP each viewer would wait for the camera's next IDR: 0-10 s. The
    // first picture comes from the fast-start stream, unless the camera's next IDR happened
    // to come first, which is then soon. How soon the fast start is depends on the machine
    // (decoding the cached GOP's frames): a figure for bench/, so only a loose bound here.
    for (const f of firsts) {
      assert.ok(f.fastStart || f.ms < 3000, `the first picture came from the shared stream after ${Math.round(f.ms)} ms`);
      assert.ok(f.ms < 5000, `first frame after ${Math.round(f.ms)} ms`);
    }

    // The hand-over: at the camera's next IDR (within 10 s) the tile shows the shared stream
    // and drops its fast-start stream; frames keep coming.
    const last = pages.at(-1)!;
    await last.waitForFunction(() => !document.querySelector('.tile.fast-starting') && (document.querySelector('.tile video.fast-start') as HTMLVideoElement).srcObject === null, undefined, { timeout: 15_000 });
    await expectFrames(last, json.id, 25, 5000);
  });
});
