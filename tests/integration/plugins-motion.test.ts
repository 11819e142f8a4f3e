// The motion plugin with real parts: two GStreamer cameras, one with a moving ball and one
// showing black; a tap into ffmpeg decoding gray frames, compared in a worker thread. Motion
// events (with a snapshot) come from the moving one only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PluginEvent } from '../../plugins/sdk/index.js';
import { thresholdOf } from '../../plugins/motion/detector.js';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, type TestServer } from '../support/server.js';

describe('motion plugin', { timeout: 120_000 }, () => {
  let server: TestServer;
  const cameras: TestCamera[] = [];
  let moving: string;
  let still: string;
  const events: PluginEvent[] = [];

  before(async () => {
    const [ball, black] = await Promise.all([startCamera({ pattern: 'ball', width: 640, height: 360 }), startCamera({ pattern: 'black', width: 640, height: 360 })]);
    cameras.push(ball, black);
    server = await startTestServer({ plugins: { motion: { config: { sensitivity: 95, fps: 4, cooldownSeconds: 1 } } } });
    server.plugins.observer.on('pluginEvent', (e) => {
      if (e.plugin === 'motion') events.push(e);
    });
    moving = (await addCamera(server, { name: 'Hành lang (có người)', mainUrl: ball.url, facilityId: DEMO_IDS.hotel })).json.id;
    still = (await addCamera(server, { name: 'Kho (trống)', mainUrl: black.url, facilityId: DEMO_IDS.hotel })).json.id;
  });
  after(async () => {
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  test('a moving picture gives motion events with a snapshot; a still one gives none', async () => {
    // Three events from the moving camera (cool-down 1 s between them).
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${events.length} motion events`)), 40_000);
      const check = () => {
        if (events.filter((e) => e.cameraId === moving).length >= 3) {
          clearTimeout(timer);
          server.plugins.observer.off('pluginEvent', check);
          resolve();
        }
      };
      server.plugins.observer.on('pluginEvent', check);
      check();
    });
    const mine = events.filter((e) => e.cameraId === moving);
    for (const e of mine) {
      assert.equal(e.type, 'motion');
      assert.equal(e.details.threshold, thresholdOf(95));
      assert.ok((e.details.score as number) >= thresholdOf(95), `score ${e.details.score}`);
      // Every event carries its picture, the first one too (it can be seen before ffmpeg has
      // written the camera's first JPEG; it then waits for it).
      assert.match(String(e.details.snapshot), /^cameras\/[0-9a-f-]+\/events\/\d{8}T\d{6}Z\.jpg$/);
    }
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.at.getTime() - mine[i - 1]!.at.getTime() >= 900, 'the cool-down holds');
    // The still camera was analysed all along (its latest frame is there) and reported nothing.
    assert.ok(fs.existsSync(path.join(server.dataDir, 'plugins', 'motion', still, 'latest.jpg')), 'the still camera is being analysed');
    assert.equal(events.filter((e) => e.cameraId === still).length, 0);

    // The event's snapshot, for someone who may view the camera; refused otherwise.
    const snapshot = mine[0]!.details.snapshot as string;
    const leader = await login(server, 'khachsan');
    const res = await fetch(`${server.url}/plugins/motion/${snapshot}`, { headers: { authorization: `Bearer ${leader.accessToken}` } });
    assert.equal(res.status, 200);
    const jpeg = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
    const police = await login(server, 'congan');
    assert.equal((await fetch(`${server.url}/plugins/motion/${snapshot}`, { headers: { authorization: `Bearer ${police.accessToken}` } })).status, 404);
    const stored = await server.db.prisma.pluginEvent.count({ where: { plugin: 'motion', cameraId: moving, type: 'motion' } });
    assert.ok(stored >= 3, 'recorded by the host');
  });
});
