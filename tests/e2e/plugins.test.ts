// Plugins seen in Chromium: a recorded segment found and played on the recordings page, and
// the snapshots plugin's JPEG as the tile's poster while a camera that went away reconnects.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { launchBrowser, openClient, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

describe('plugins in the web client', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const cameras: TestCamera[] = [];
  const pages: Page[] = [];

  before(async () => {
    [server, browser] = await Promise.all([
      startTestServer({
        plugins: {
          recording: { config: { cameras: [{ name: 'Ghi hình' }], segmentSeconds: 2 } },
          snapshots: { config: { intervalSeconds: 0 } },
        },
      }),
      launchBrowser(),
    ]);
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.context().close()));
    await browser?.close();
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  test('a recorded segment is listed and plays on the recordings page', async () => {
    const cam = await startCamera({ width: 640, height: 360, gop: 25 });
    cameras.push(cam);
    const id = (await addCamera(server, { name: 'Ghi hình', mainUrl: cam.url, facilityId: DEMO_IDS.hotel })).json.id;
    const dir = path.join(server.dataDir, 'plugins', 'recording', id);
    fs.mkdirSync(dir, { recursive: true });
    // Two files: the first is complete once the second exists.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no segments')), 40_000);
      const w = fs.watch(dir, () => {
        if (fs.readdirSync(dir).filter((f) => f.endsWith('.mp4')).length >= 2) {
          clearTimeout(timer);
          w.close();
          resolve();
        }
      });
    });
    const page = await openClient(browser, `${server.url}/recordings.html`, await login(server, 'khachsan'));
    pages.push(page);
    await page.locator(`select[name="camera"] option[value="${id}"]`).waitFor({ state: 'attached' });
    await page.selectOption('select[name="camera"]', id);
    await page.click('#search button[type="submit"]');
    const first = page.locator('#segments li[data-segment]').first();
    await first.waitFor();
    assert.equal(await page.locator('#title').textContent(), 'Xem lại');
    await first.click();
    await page.waitForFunction(() => {
      const v = document.getElementById('player') as HTMLVideoElement;
      return v.readyState >= 2 && v.videoWidth === 640 && v.currentTime > 0.3;
    }, undefined, { timeout: 15_000 });
    assert.match((await page.locator('.player-frame .watermark').textContent())!, /^Hoàng Thị Em \(khachsan\) · /, 'recorded pictures carry the viewer\'s mark too');
    await screenshot(page, 'recording-playback');
    await server.audit.drain();
    const plays = await server.db.prisma.auditEntry.count({ where: { action: 'media.access', target: `camera:${id}` } });
    assert.ok(plays >= 1, 'the playback is in the audit log');
  });

  test('the latest snapshot is the tile\'s poster while the camera reconnects', async () => {
    const cam = await startCamera({ width: 640, height: 360, gop: 25, pattern: 'smpte' });
    cameras.push(cam);
    const id = (await addCamera(server, { name: 'Có ảnh chờ', mainUrl: cam.url, facilityId: DEMO_IDS.hotel })).json.id;
    const leader = await login(server, 'khachsan');
    const snap = await fetch(`${server.url}/plugins/snapshots/cameras/${id}/snapshot`, { method: 'POST', headers: { authorization: `Bearer ${leader.accessToken}` } });
    assert.equal(snap.status, 200);
    await cam.kill();
    await waitForHealth(server, id, (h) => h.state === 'idle' || h.state === 'offline', 20_000);

    const page = await openClient(browser, `${server.url}/?layout=1`, leader);
    pages.push(page);
    await page.locator(`li[data-camera-id="${id}"]`).click();
    const tile = `.tile[data-camera-id="${id}"]`;
    await page.waitForFunction((sel) => document.querySelector<HTMLVideoElement>(`${sel} video`)?.poster.startsWith('blob:'), tile, { timeout: 15_000 });
    const poster = await page.evaluate(async (sel) => {
      const url = document.querySelector<HTMLVideoElement>(`${sel} video`)!.poster;
      const img = new Image();
      img.src = url;
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight, connecting: document.querySelector(sel)!.classList.contains('connecting') };
    }, tile);
    assert.deepEqual(poster, { width: 640, height: 360, connecting: true });
    await screenshot(page, 'snapshot-poster');
  });
});
