// The cluster's Redis restarted (killed and started again, empty: it keeps nothing on disk)
// under two nodes while a viewer on node B watches a camera node A ingests. Media never
// touches Redis: the viewer's video goes on through the pipe from A, nobody is told the
// camera restarted, the camera keeps one RTSP session and one owner. Pushes made by the
// owner reach B's viewer again once Redis is back (socket.io's Redis streams adapter), and
// the nodes see each other again without taking each other for dead. A Redis of the test's
// own, on a free port: the machine's shared one is left alone.
// Real parts: redis-server, PostgreSQL, mediasoup, a GStreamer camera, socket.io.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { Socket } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { clusterSettings } from '../support/cluster.js';
import { freePort } from '../support/net.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { startRedisServer } from '../support/redis-server.js';
import { openStreamSink } from '../support/rtp-sink.js';
import { addCamera, login, openSocket, startTestServer, waitForHealth, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };

describe('the cluster\'s Redis restarted under its nodes', { timeout: 180_000 }, () => {
  let pg: TestPostgres;
  let redis: ChildProcess;
  let a: TestServer;
  let b: TestServer;
  let camera: TestCamera;
  let socket: Socket | undefined;
  let port: number;

  before(async () => {
    port = await freePort();
    [pg, redis, camera] = await Promise.all([createTestDatabase(), startRedisServer('127.0.0.1', port), startCamera({ width: 320, height: 180, fps: 15 })]);
    // A Redis of its own: the cluster's settings, but its address.
    const shared = { ...clusterSettings(pg.url, { redisUrl: `redis://127.0.0.1:${port}`, name: 'restart', beatMs: 300 }), media: { workers: 1 } };
    a = await startTestServer({ ...shared, monitoring: { nodeId: 'node-a' } });
    b = await startTestServer({ ...shared, monitoring: { nodeId: 'node-b' } });
  });
  after(async () => {
    socket?.close();
    await b?.stop();
    await a?.stop();
    redis?.kill('SIGKILL');
    await camera?.stop();
    await pg?.drop();
  });

  test('no viewer loses video, and pushes resume', async () => {
    await until('the nodes to see each other', () => a.ownership!.view().nodes.length === 2 && b.ownership!.view().nodes.length === 2, 5000);
    const cameraId = (await addCamera(a, { name: 'Cổng', mainUrl: camera.url, alwaysOn: true, facilityId: DEMO_IDS.hotel })).json.id;
    await waitForHealth(b, cameraId, (h) => h.state === 'live', 20_000);
    assert.deepEqual(a.ownership!.view().owned, [cameraId], 'A ingests the camera');

    // A viewer on B, and a receiver on B piped from A.
    socket = await openSocket(b, (await login(b, 'khachsan')).accessToken);
    // Listing the cameras joins their rooms, as the page does.
    const listed: Ack = await socket.timeout(10_000).emitWithAck('listCameras', {});
    assert.deepEqual(listed.data.map((c: { id: string }) => c.id), [cameraId]);
    const transport: Ack = await socket.timeout(10_000).emitWithAck('createTransport', {});
    const consumed: Ack = await socket.timeout(20_000).emitWithAck('consume', { transportId: transport.data.id, cameraId, rtpCapabilities: b.media.rtpCapabilities });
    assert.equal(consumed.ok, true, JSON.stringify(consumed));
    const closed: string[] = [];
    socket.on('consumerClosed', (e: { reason: string }) => closed.push(e.reason));
    let pushes = 0;
    socket.on('cameraHealth', (e: { cameraId: string }) => {
      if (e.cameraId === cameraId) pushes++;
    });
    // The owner's figures, every 2 s, reach B's viewer through the adapter.
    await until('a push from the owner', () => pushes > 0, 10_000);
    const sink = await openStreamSink(await b.ownership!.streamFor(cameraId, 'main'));
    try {
      await sink.waitForPackets(30, 10_000);
      const pipe = b.ownership!.view().pipes.imported;

      redis.kill('SIGKILL');
      await new Promise((r) => redis.once('exit', r));
      const downAt = Date.now();
      // Media does not need Redis: packets keep coming while it is away.
      await sink.waitForPackets(30, 10_000);
      redis = await startRedisServer('127.0.0.1', port);
      console.log(`# Redis was away ${Date.now() - downAt} ms`);
      const before = pushes;
      await until('pushes from the owner to resume', () => pushes > before, 15_000);
      await until('the nodes to see each other again', () => a.ownership!.view().nodes.length === 2 && b.ownership!.view().nodes.length === 2, 5000);
      await sink.waitForPackets(60, 10_000);
      // Still the same pipe, owner and RTSP session: nobody was told the camera restarted.
      assert.deepEqual(b.ownership!.view().pipes.imported, pipe);
      assert.deepEqual(a.ownership!.view().owned, [cameraId]);
      assert.deepEqual(b.ownership!.view().owned, []);
      assert.equal(camera.clients, 1);
      assert.deepEqual(closed, [], 'no view was ended');
      // The lease is back on the new Redis, in A's name (B's sweep does not take the camera).
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(a.ownership!.view().owned, [cameraId]);
      assert.equal(camera.clients, 1);
    } finally {
      await sink.close();
    }
  });
});
