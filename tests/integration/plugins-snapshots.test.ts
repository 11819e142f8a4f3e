// The snapshots plugin with real parts: a GStreamer camera, the SFU, a stream tap into
// ffmpeg. JPEGs on demand and on schedule, served only to people who may view the camera
// (refusals and servings audited), and offered as the tile poster.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { io } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

/** Width and height of a JPEG, read by ffprobe (a real decoder, not our own parser). */
function jpegSize(bytes: Buffer): { width: number; height: number } {
  const file = path.join(os.tmpdir(), `snap-${process.pid}-${Date.now()}.jpg`);
  fs.writeFileSync(file, bytes);
  try {
    const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' });
    const [width, height] = r.stdout.trim().split(',').map(Number);
    return { width: width!, height: height! };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describe('snapshots plugin', { timeout: 120_000 }, () => {
  let server: TestServer;
  let camera: TestCamera;
  let hotelCam: string;

  before(async () => {
    camera = await startCamera({ width: 640, height: 360, gop: 50 });
    server = await startTestServer({ plugins: { snapshots: { config: { intervalSeconds: 0, width: 320 } } } });
    hotelCam = (await addCamera(server, { name: 'Sảnh khách sạn', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
  });
  after(async () => {
    await server?.stop();
    await camera?.stop();
  });

  const get = async (url: string, token?: string, method = 'GET') =>
    fetch(`${server.url}${url}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

  test('a JPEG on demand for a person who may view the camera; 404 for one who may not; 401 signed out', async () => {
    assert.equal(server.plugins.list().find((p) => p.name === 'snapshots')?.state, 'active');
    const leader = await login(server, 'khachsan');
    const t0 = Date.now();
    const res = await get(`/plugins/snapshots/cameras/${hotelCam}/latest.jpg`, leader.accessToken);
    const ms = Date.now() - t0;
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
    assert.deepEqual(jpegSize(bytes), { width: 320, height: 180 }, 'scaled to the configured width');
    console.log(`# first snapshot of an idle camera: ${ms} ms`);

    const denied = await login(server, 'soyte-chan'); // a deny over the hotel
    assert.equal((await get(`/plugins/snapshots/cameras/${hotelCam}/latest.jpg`, denied.accessToken)).status, 404);
    assert.equal((await get(`/plugins/snapshots/cameras/${hotelCam}/latest.jpg`)).status, 401);
    assert.equal((await get('/plugins/snapshots/cameras/not-a-camera/latest.jpg', leader.accessToken)).status, 404);
    assert.equal((await get('/plugins/nosuch/x', leader.accessToken)).status, 404);

    await server.audit.drain();
    const served = await server.db.prisma.auditEntry.findMany({ where: { action: 'media.access', target: `camera:${hotelCam}` } });
    assert.equal(served.length, 1);
    assert.equal((served[0]!.details as { purpose: string }).purpose, 'snapshot');
    assert.equal(served[0]!.actorId, leader.userId);
    const refused = await server.db.prisma.auditEntry.findMany({ where: { action: 'access.denied', target: `camera:${hotelCam}`, actorId: denied.userId } });
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0]!.details, { reason: 'denied', purpose: 'snapshot' });
  });

  test('POST takes a fresh one; the poster is offered to viewers who may see the camera', async () => {
    const leader = await login(server, 'khachsan');
    const before = fs.statSync(path.join(server.dataDir, 'plugins', 'snapshots', `${hotelCam}.jpg`)).mtimeMs;
    const res = await get(`/plugins/snapshots/cameras/${hotelCam}/snapshot`, leader.accessToken, 'POST');
    assert.equal(res.status, 200);
    assert.ok(fs.statSync(path.join(server.dataDir, 'plugins', 'snapshots', `${hotelCam}.jpg`)).mtimeMs > before, 'a new file');

    const socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: leader.accessToken } });
    try {
      const listed = await socket.timeout(10_000).emitWithAck('listCameras', {});
      assert.equal(listed.ok, true);
      const cam = listed.data.find((c: { id: string }) => c.id === hotelCam);
      assert.equal(cam.poster, `/plugins/snapshots/cameras/${hotelCam}/latest.jpg`);
    } finally {
      socket.close();
    }
  });

  test('a camera on the direct path (RTP straight into the worker) is tapped and decoded the same way', async () => {
    const direct = await startCamera({ width: 640, height: 360, inband: true });
    try {
      const id = (await addCamera(server, { name: 'Trực tiếp', mainUrl: direct.url, facilityId: DEMO_IDS.hotel, ingest: 'direct' })).json.id;
      const leader = await login(server, 'khachsan');
      const res = await get(`/plugins/snapshots/cameras/${id}/snapshot`, leader.accessToken, 'POST');
      assert.equal(res.status, 200, await res.clone().text());
      const latest = await get(`/plugins/snapshots/cameras/${id}/latest.jpg`, leader.accessToken);
      assert.deepEqual(jpegSize(Buffer.from(await latest.arrayBuffer())), { width: 320, height: 180 });
      assert.equal(server.cameras.get(id).health.ingest, 'direct');
    } finally {
      await direct.stop();
    }
  });

  test('an unreachable camera answers 503 with the reason, and changes nothing stored', async () => {
    const dead = (await addCamera(server, { name: 'Không kết nối', mainUrl: 'rtsp://127.0.0.1:9/none', facilityId: DEMO_IDS.hotel })).json.id;
    const leader = await login(server, 'khachsan');
    const res = await get(`/plugins/snapshots/cameras/${dead}/snapshot`, leader.accessToken, 'POST');
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, 'CAMERA_UNAVAILABLE');
    assert.equal(fs.existsSync(path.join(server.dataDir, 'plugins', 'snapshots', `${dead}.jpg`)), false);
    assert.equal(server.plugins.list().find((p) => p.name === 'snapshots')?.errors, 0, 'a camera failure is not the plugin\'s fault');
  });
});

describe('snapshots on schedule', { timeout: 90_000 }, () => {
  let server: TestServer;
  let camera: TestCamera;
  after(async () => {
    await server?.stop();
    await camera?.stop();
  });

  test('every camera gets a new JPEG every interval, and its ingest is released after each', async () => {
    camera = await startCamera({ width: 640, height: 360 });
    server = await startTestServer({ plugins: { snapshots: { config: { intervalSeconds: 2 } } } });
    const dir = path.join(server.dataDir, 'plugins', 'snapshots');
    fs.mkdirSync(dir, { recursive: true });
    const id = (await addCamera(server, { name: 'Theo lịch', mainUrl: camera.url })).json.id;
    const file = `${id}.jpg`;
    // Each snapshot lands by an atomic rename into the directory: watch for two of them.
    const times: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${times.length} scheduled snapshots`)), 30_000);
      const watcher = fs.watch(dir, (_event, name) => {
        if (name !== file || !fs.existsSync(path.join(dir, file))) return;
        const t = fs.statSync(path.join(dir, file)).mtimeMs;
        if (times.at(-1) !== t) times.push(t);
        if (times.length >= 2) {
          clearTimeout(timer);
          watcher.close();
          resolve();
        }
      });
    });
    assert.ok(times[1]! - times[0]! >= 1000, `about one interval apart: ${times[1]! - times[0]!} ms`);
    // Between snapshots the on-demand camera is let go (grace period of the test server: 2 s).
    await waitForHealth(server, id, (h) => h.state === 'idle' || h.viewers === 0);
  });
});
