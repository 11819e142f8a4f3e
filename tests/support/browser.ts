// Headless Chromium (Debian's package) driven by playwright-core.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('test-artifacts');

/**
 * `args`: more Chromium switches (e.g. origins on other addresses to treat as secure, as HTTPS
 * would be); `executablePath`: another way to start Chromium (a script that runs it in a
 * network namespace).
 */
export async function launchBrowser(args: string[] = [], executablePath = CHROMIUM): Promise<Browser> {
  const [features, others] = [args.filter((a) => a.startsWith('--disable-features=')), args.filter((a) => !a.startsWith('--disable-features='))];
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
      disabledFeatures(features.flatMap((a) => a.slice('--disable-features='.length).split(','))), ...others,
    ],
  });
}

/**
 * Chromium keeps only the last `--disable-features` it is given, so ours repeats playwright-core's
 * own list (chromiumSwitches.ts in playwright-core 1.65; it turns off PaintHolding, which would
 * hold a page's first paint) before adding what these tests need off:
 * - WebUIOmniboxPopup, WebUIOmniboxAimPopup: since Chromium 151 the browser renders its address
 *   bar's popup (a WebUI page) in a renderer of its own, headless too. Traced on this 2-core
 *   machine, it was at work as each page opened and took more CPU than the supervision page
 *   itself (docs/performance.md, "sixth pass"). A viewer's browser has it as well, but on a
 *   machine of its own, not on the cores that also run the server, the camera and its encoder.
 */
function disabledFeatures(more: string[]): string {
  const playwrights = [
    'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades', 'HttpsFirstBalancedModeAutoEnable',
    'LensOverlay', 'MediaRouter', 'PaintHolding', 'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect',
    'TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  ];
  return `--disable-features=${[...new Set([...playwrights, 'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', ...more])].join(',')}`;
}

export const FRAME_COUNTER = `
(() => {
  const counts = {};
  window.__frames = counts;
  const attach = (video) => {
    if (video.__counted) return;
    video.__counted = true;
    const onFrame = () => {
      const tile = video.closest('[data-camera-id]');
      const id = tile ? tile.dataset.cameraId : '';
      counts[id] = (counts[id] || 0) + 1;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  new MutationObserver(() => document.querySelectorAll('video').forEach(attach))
    .observe(document, { childList: true, subtree: true });
})();
`;

/**
 * Opens the client, signed in as `session` (as the login form would leave it), and installs
 * the test's own frame counters (rVFC) on every tile video.
 */
/**
 * Opens the client in a new browser context (a first visit), or in `options.context` (a
 * returning visitor: its HTTP cache and localStorage are kept between pages).
 */
export async function openClient(browser: Browser, url: string, session?: { accessToken: string; refreshToken: string; fullName: string }, initScripts: string[] = [], options: { context?: BrowserContext } = {}): Promise<Page> {
  const context = options.context ?? await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  for (const script of initScripts) await page.addInitScript(script);
  if (session) {
    await page.addInitScript(`sessionStorage.setItem('giamsat.session', ${JSON.stringify(JSON.stringify(session))});`);
  }
  // A string, not a function: tsx compiles this file with esbuild's keepNames, which wraps
  // functions in a `__name()` helper that does not exist inside the page.
  await page.addInitScript(FRAME_COUNTER);
  await page.goto(url);
  return page;
}

export function framesOf(page: Page, cameraId: string): Promise<number> {
  return page.evaluate((id) => (window as unknown as { __frames: Record<string, number> }).__frames[id] ?? 0, cameraId);
}

/** Resolves with the time it took once `n` new frames of the camera were rendered; rejects after timeoutMs. */
export async function expectFrames(page: Page, cameraId: string, n: number, timeoutMs = 10_000): Promise<number> {
  const start = await framesOf(page, cameraId);
  const t0 = Date.now();
  await page.waitForFunction(
    ([id, target]) => ((window as unknown as { __frames: Record<string, number> }).__frames[id as string] ?? 0) >= (target as number),
    [cameraId, start + n] as const,
    { timeout: timeoutMs, polling: 100 },
  );
  return Date.now() - t0;
}

/** What each tile of the wall shows (camera, hidden, classes, stream, notice), for failure messages. */
export function tileStates(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify([...document.querySelectorAll<HTMLElement>('#grid .tile')]
    .map((t) => [t.dataset.cameraId, t.hidden, t.className, t.dataset.playing, t.querySelector('.notice')?.textContent])));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

export const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-'));
