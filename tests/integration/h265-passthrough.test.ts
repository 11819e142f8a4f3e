// H.265 passed through as the camera sends it, for deployments whose viewers decode H.265
// (the camera's `transcode: 'never'`): GStreamer's x265 camera announcing its VPS/SPS/PPS only
// in the SDP → the RTSP relay (no ffmpeg, no re-encoding) → mediasoup → a real RTP receiver,
// which finds the parameter sets before every keyframe; ffmpeg decodes the stream as it
// leaves the SFU. A browser that cannot decode H.265 (Chromium here) is told so on the tile;
// the default (`auto`) still transcodes H.265 (tests/integration/ingest.test.ts).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { StreamTap } from '../../server/media/StreamTap.js';
import { freeRtpPort, runFfmpeg, sdpInput } from '../../plugins/sdk/ffmpeg.js';
import { expectFrames, launchBrowser, openClient, screenshot, tmp } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { openRtpSink } from '../support/rtp-sink.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

describe('H.265 passthrough through the RTSP relay', { timeout: 180_000 }, () => {
  let server: TestServer;
  let cam: TestCamera;
  let browser: Browser | undefined;
  let cameraId: string;

  before(async () => {
    [server, cam] = await Promise.all([
      startTestServer({ ingest: { graceMs: 1000 } }),
      startCamera({ codec: 'h265', width: 320, height: 180, fps: 15, gop: 30, sdpOnlyParameterSets: true }),
    ]);
    const { status, json } = await addCamera(server, { name: 'hevc-pass', mainUrl: cam.url, transcode: 'never' });
    assert.equal(status, 201, JSON.stringify(json));
    cameraId = json.id;
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await cam?.stop();
  });

  test('the camera\'s H.265 reaches a consumer untouched, with VPS/SPS/PPS before every keyframe', async () => {
    const sink = await openRtpSink(server, cameraId);
    try {
      await sink.waitForIdr(15_000);
      await sink.waitForPackets(150, 15_000); // > 2 GOPs at this bitrate
      assert.ok(sink.idr.total >= 1);
      assert.equal(sink.idr.withParameterSets, sink.idr.total, `every keyframe is preceded by VPS, SPS and PPS: ${await sink.describe()}`);
      const health = await waitForHealth(server, cameraId, (h) => h.state === 'live');
      assert.equal(health.codec, 'hevc');
      assert.equal(health.transcoding, false, 'not re-encoded');
      assert.equal(health.ingest, 'relay', 'no ffmpeg in the path');
      assert.equal(server.cameras.stream(cameraId, 'main').producer!.rtpParameters.codecs[0]!.mimeType, 'video/H265');
    } finally {
      await sink.close();
    }
  });

  test('ffmpeg decodes the stream as it leaves the SFU (a new receiver joining mid-stream)', async () => {
    const port = await freeRtpPort();
    const tap = await StreamTap.open(server.cameras.stream(cameraId, 'main'), { rtpPort: port, timeoutMs: 15_000 });
    try {
      assert.match(tap.sdp, /a=rtpmap:\d+ H265\/90000/);
      // Decoded (the null muxer takes raw pictures), 20 pictures, counted by ffmpeg itself.
      const run = runFfmpeg(server.media.ffmpeg.path, [
        ...sdpInput(tap.sdp, path.join(tmp(), 'tap.sdp')), '-frames:v', '20', '-f', 'null', '-progress', 'pipe:1', '-',
      ], { timeoutMs: 30_000, stdout: 'pipe' });
      let progress = '';
      run.proc.stdout!.on('data', (d: Buffer) => { progress += d.toString(); });
      // ffmpeg starts listening a moment after it starts; a keyframe request makes the
      // camera's next picture one it can start at (the relay passes it on as RTCP PLI).
      const asking = setInterval(() => void tap.requestKeyFrame(), 500);
      const { code, stderr } = await run.done.finally(() => clearInterval(asking));
      assert.equal(code, 0, stderr);
      assert.match(progress, /^frame=20$/m, progress.slice(-500));
    } finally {
      await tap.close();
    }
  });

  test('a browser that cannot decode H.265 says so on the tile; one that can plays it', async () => {
    browser = await launchBrowser();
    const page = await openClient(browser, `${server.url}/`, await login(server, 'quocgia'));
    const tile = page.locator(`.tile[data-camera-id="${cameraId}"]`);
    await tile.waitFor();
    const decodes = await page.evaluate(() => RTCRtpReceiver.getCapabilities('video')?.codecs.some((c) => /h265/i.test(c.mimeType)) ?? false);
    if (decodes) {
      await expectFrames(page, cameraId, 10, 20_000);
    } else {
      await page.waitForFunction((id) => {
        const n = document.querySelector(`.tile[data-camera-id="${id}"] .notice`)?.textContent ?? '';
        return n.includes('H.265');
      }, cameraId, { timeout: 20_000 });
      assert.match(await tile.locator('.notice').textContent() ?? '', /không giải mã được/);
      await screenshot(page, 'h265-not-decodable');
    }
    await page.context().close();
  });

  test('on the ffmpeg path, `never` on an H.265 camera is refused with the reason', async () => {
    const { json } = await addCamera(server, { name: 'hevc-ffmpeg-never', mainUrl: cam.url, transcode: 'never', ingest: 'ffmpeg', alwaysOn: true });
    const health = await waitForHealth(server, json.id, (h) => /only the RTSP relay or the direct path pass through/.test(h.reason ?? ''), 20_000);
    assert.notEqual(health.state, 'live');
    await server.cameras.remove(json.id);
  });
});
