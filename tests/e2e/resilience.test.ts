// The supervision page outlives the server: the server process (as an operator runs it, on
// the embedded database) is killed with SIGKILL, then stopped cleanly with SIGTERM, and each
// time started again on the same port and data; the open page must come back by itself —
// no reload, no click — with every tile of its wall playing again. The same after the
// browser loses its network for a few seconds.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { expectFrames, launchBrowser, openClient, screenshot, tileStates } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { freePort } from '../support/net.js';
import { startServerProcess } from '../support/server-process.js';
import { login as signIn } from '../support/server.js';

describe('the supervision page survives server restarts and network loss', { timeout: 300_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-resilience-'));
  const output: string[] = [];
  const cams: TestCamera[] = [];
  let env: Record<string, string>;
  let server: { proc: ChildProcess; url: string };
  let browser: Browser;
  let page: Page;
  let cameraIds: string[] = [];

  const start = async () => {
    server = await startServerProcess(env, output);
  };
  const exited = (proc: ChildProcess) => new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  /** Every tile of the wall renders `n` new frames (checked tile by tile, all at once). */
  const allTilesPlay = async (n: number, timeoutMs: number) => {
    try {
      return Math.max(...await Promise.all(cameraIds.map((id) => expectFrames(page, id, n, timeoutMs))));
    } catch (err) {
      // What the server said about its cameras since the last start, for whoever reads a failure.
      const said = output.slice(-400).join('').split('\n').filter((l) => /camera|ingest|relay|rtsp|"level":(40|50)/i.test(l)).slice(-40);
      throw new Error(`${(err as Error).message}; tiles: ${await tileStates(page)}; server:\n${said.join('\n')}`);
    }
  };
  /** The page was not reloaded: a marker set on the window before is still there. */
  const sameDocument = () => page.evaluate(() => (window as unknown as { __marker?: number }).__marker === 42);
  const bannerShown = () => page.locator('#banner').waitFor({ state: 'visible', timeout: 15_000 });
  const bannerGone = () => page.locator('#banner').waitFor({ state: 'hidden', timeout: 30_000 });

  before(async () => {
    for (let i = 0; i < 4; i++) cams.push(await startCamera({ width: 320, height: 180, fps: 10, gop: 20, kbps: 150, path: `/r${i}` }));
    const configFile = path.join(dataDir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({
      demoAccounts: true, auth: { totp: 'off' },
      cameras: cams.map((c, i) => ({ name: `Phòng ${i + 1}`, mainUrl: c.url, facilityId: DEMO_IDS.hotel })),
    }));
    env = {
      PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0', MEDIA_WORKERS: '1',
      GIAMSAT_CONFIG: configFile, LOG_LEVEL: 'info', INGEST_GRACE_MS: '2000',
    };
    [browser] = await Promise.all([launchBrowser(), start()]);
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'khachsan', password: 'giamsat-demo-2021' }),
    });
    const json = await res.json() as { accessToken: string; refreshToken: string; user: { fullName: string } };
    assert.equal(res.status, 200, JSON.stringify(json));
    const list = await (await fetch(`${server.url}/api/cameras`, { headers: { authorization: `Bearer ${(await signIn(server, 'quantri-tw')).accessToken}` } })).json() as Array<{ id: string }>;
    cameraIds = list.map((c) => c.id);
    assert.equal(cameraIds.length, 4);
    page = await openClient(browser, `${server.url}/`, { accessToken: json.accessToken, refreshToken: json.refreshToken, fullName: json.user.fullName });
    await allTilesPlay(5, 30_000);
    await page.evaluate(() => { (window as unknown as { __marker: number }).__marker = 42; });
  });
  after(async () => {
    await page?.context().close().catch(() => undefined);
    await browser?.close();
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) {
      server.proc.kill('SIGTERM');
      await exited(server.proc);
    }
    await Promise.all(cams.map((c) => c.stop()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the server is killed (SIGKILL) and started again: every tile plays again without a reload', async () => {
    const old = server.proc;
    old.kill('SIGKILL');
    await exited(old);
    await bannerShown();
    await screenshot(page, 'resilience-server-down');
    const t0 = Date.now();
    await start();
    await allTilesPlay(10, 45_000);
    console.log(`# after SIGKILL: all 4 tiles playing ${Date.now() - t0} ms after the restart began`);
    await bannerGone();
    assert.ok(await sameDocument(), 'the page was not reloaded');
    await screenshot(page, 'resilience-server-back');
  });

  test('a clean stop (SIGTERM) and start: the page reconnects by itself as well', async () => {
    const old = server.proc;
    old.kill('SIGTERM');
    await exited(old);
    assert.equal(old.exitCode, 0, 'a clean stop with a page open exits 0 (no force-exit)');
    await bannerShown();
    const t0 = Date.now();
    await start();
    await allTilesPlay(10, 45_000);
    console.log(`# after SIGTERM: all 4 tiles playing ${Date.now() - t0} ms after the restart began`);
    await bannerGone();
    assert.ok(await sameDocument(), 'the page was not reloaded');
  });

  test('the browser loses its network for a few seconds: the page notices, then resumes every tile', async () => {
    const context = page.context();
    await context.setOffline(true);
    await bannerShown();
    await screenshot(page, 'resilience-offline');
    // The outage itself (not a wait for an event): a few seconds without network. Chromium's
    // offline mode ends the page's WebSocket and refuses new ones; WebRTC media is not
    // emulated, so the server's end of the session is what stops the tiles.
    await new Promise((r) => setTimeout(r, 4000));
    await context.setOffline(false);
    const t0 = Date.now();
    await allTilesPlay(10, 45_000);
    console.log(`# after 'offline': all 4 tiles playing ${Date.now() - t0} ms after the network came back`);
    await bannerGone();
    assert.ok(await sameDocument(), 'the page was not reloaded');
  });
});
