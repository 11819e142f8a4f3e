// Plugins seen in Chromium: a recorded segment found and played on the recordings page (with
// the data folder under a dot-named directory, as the default ./.data is), and the snapshots
// plugin's JPEG as the tile's poster while a camera that went away reconnects.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
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

  // Like the default ./.data: file serving must judge only the segment's own name.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-dot-'));

  before(async () => {
    [server, browser] = await Promise.all([
      startTestServer({
        dataDir: path.join(parent, '.data'),
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
    fs.rmSync(parent, { recursive: true, force: true });
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
    // The page opens on the recorded camera, names it, and lists its segments by itself.
    const first = page.locator('#segments li[data-segment]').first();
    await first.waitFor();
    assert.equal(await page.locator('select[name="camera"]').inputValue(), id);
    assert.match((await page.locator('#recorded').textContent())!, /Camera đang được ghi hình: Ghi hình/);
    assert.equal(await page.locator('#title').textContent(), 'Xem lại');
    await first.click();
    await page.waitForFunction(() => {
      const v = document.getElementById('player') as HTMLVideoElement;
      return v.readyState >= 2 && v.videoWidth === 640 && v.currentTime > 0.3;
    }, undefined, { timeout: 15_000 });
    // The mark lies on the picture, not below it, and list numbers of three digits have room.
    const layout = await page.evaluate(() => {
      // (no named helpers in here: tsx's keepNames would wrap them in a helper the page lacks)
      const video = document.getElementById('player')!.getBoundingClientRect();
      const mark = document.querySelector('.player-frame .watermark')!.getBoundingClientRect();
      const list = document.getElementById('segments')!;
      const probe = Object.assign(document.createElement('span'), { textContent: '100.' });
      list.append(probe);
      const numberWidth = probe.getBoundingClientRect().width;
      probe.remove();
      return { markInside: mark.top >= video.top - 1 && mark.bottom <= video.bottom + 1, room: parseFloat(getComputedStyle(list).paddingLeft) - numberWidth };
    });
    assert.ok(layout.markInside, 'the watermark lies over the player');
    assert.ok(layout.room > 0, `three-digit list numbers fit (${layout.room} px to spare)`);
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
