// Faults with one page kept open, never reloaded: the camera dies and comes back, the camera
// drops its RTSP sessions, ffmpeg is killed, mediasoup workers are killed. Each time the page
// must render frames again within 10 s on its own. Run against every ingest path (the direct
// path's camera sends its parameter sets in-band, which that path needs).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectFrames, launchBrowser, openClient, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

const PATH_NAMES = { auto: 'RTSP relay', direct: 'direct path', ffmpeg: 'ffmpeg' } as const;

for (const path of ['auto', 'direct', 'ffmpeg'] as const) describe(`recovery without reloading the page (${PATH_NAMES[path]})`, { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let cam: TestCamera;
  let page: Page;
  let cameraId: string;

  before(async () => {
    [server, browser, cam] = await Promise.all([
      startTestServer({ ingest: { backoffInitialMs: 200, backoffMaxMs: 2000 } }),
      launchBrowser(),
      startCamera({ profile: 'high', width: 640, height: 360, fps: 25, gop: 25, inband: path === 'direct' }),
    ]);
    cameraId = (await addCamera(server, { name: 'fault-cam', mainUrl: cam.url, ingest: path })).json.id;
    page = await openClient(browser, `${server.url}/?layout=1`, await login(server, 'quocgia'));
    await expectFrames(page, cameraId, 26, 10_000);
    assert.equal(server.cameras.get(cameraId).health.ingest, path === 'auto' ? 'relay' : path);
  });
  after(async () => {
    await page?.context().close();
    await browser?.close();
    await server?.stop();
    await cam?.stop();
  });

  test('the RTSP camera is killed mid-stream and restarted', async () => {
    await cam.kill('SIGKILL');
    const down = await waitForHealth(server, cameraId, (h) => h.state !== 'live', 15_000);
    assert.ok(down.reason, `a reason is given when the camera is down (${down.state})`);
    await cam.restart();
    const ms = await expectFrames(page, cameraId, 10, 10_000);
    console.log(`# camera restart: frames again after ${ms} ms (state while down: ${down.state}, "${down.reason}")`);
  });

  test('the camera drops every RTSP session', async () => {
    cam.dropClients();
    await waitForHealth(server, cameraId, (h) => h.state !== 'live', 15_000);
    const ms = await expectFrames(page, cameraId, 10, 10_000);
    console.log(`# camera dropped its sessions: frames again after ${ms} ms`);
  });

  if (path === 'ffmpeg') test('ffmpeg is killed', async () => {
    const stream = server.cameras.stream(cameraId, 'main');
    const pid = stream.ingestPid;
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    const ms = await expectFrames(page, cameraId, 10, 10_000);
    assert.notEqual(stream.ingestPid, pid, 'a new ffmpeg runs');
    console.log(`# ffmpeg killed: frames again after ${ms} ms`);
  });

  test('the worker holding the producer is killed, then every worker at once', async () => {
    const stream = server.cameras.stream(cameraId, 'main');
    const first = stream.slot!;
    const replaced = once(server.media, 'workerReplaced');
    process.kill(first.worker.pid, 'SIGKILL');
    let ms = await expectFrames(page, cameraId, 10, 10_000);
    await replaced;
    console.log(`# producer's worker killed: frames again after ${ms} ms`);

    // The viewer's WebRTC transport dies too now, whichever worker it was on.
    const pids = server.media.pool.slots.map((s) => s.worker.pid);
    assert.equal(pids.length, 2);
    for (const p of pids) process.kill(p, 'SIGKILL');
    ms = await expectFrames(page, cameraId, 10, 10_000);
    assert.ok(server.media.pool.slots.every((s) => !pids.includes(s.worker.pid)), 'both workers were replaced');
    await screenshot(page, `after-faults-${path}`);
    console.log(`# all workers killed: frames again after ${ms} ms`);
  });
});
