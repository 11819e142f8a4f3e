// A node cut off from Redis while its own viewers watch a camera it owns. Node A reaches Redis
// through a relay the test can partition (packets dropped, nothing closed: A learns only from
// its own timeouts); node B reaches it directly. A owns the camera, viewers on A and B watch.
// Partitioned, A stops beating: B takes A for dead, frees the camera and ingests it, and B's
// viewer is served again. A, unable to renew its lease for a whole lease, stops ingesting and
// ends its viewer's view; asked again while still cut off, it says the camera is unavailable
// (nothing thrown out of the handler). Healed, A's viewer asks again and is served through a
// pipe from B, still over one RTSP session. Real parts: PostgreSQL, Redis, mediasoup, a
// GStreamer camera, socket.io; the partition is a TCP relay that stops carrying bytes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { clusterSettings } from '../support/cluster.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { openStreamSink } from '../support/rtp-sink.js';
import { addCamera, login, openSocket, startTestServer, type TestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };
const LEASE_MS = 3000;

describe('a node cut off from Redis gives its cameras up; the others carry them', { timeout: 180_000 }, () => {
  let pg: TestPostgres;
  let camera: TestCamera;
  let relay: TcpProxy;
  let a: TestServer;
  let b: TestServer;
  const sockets: Socket[] = [];

  before(async () => {
    pg = await createTestDatabase();
    relay = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const shared = { ...clusterSettings(pg.url, { beatMs: 300, leaseMs: LEASE_MS }), media: { workers: 1 } };
    camera = await startCamera({ width: 320, height: 180, fps: 15, gop: 15 });
    a = await startTestServer({ ...shared, cluster: { ...shared.cluster, redisUrl: relay.url('redis') }, monitoring: { nodeId: 'node-a' } });
    b = await startTestServer({ ...shared, monitoring: { nodeId: 'node-b' } });
  });
  after(async () => {
    for (const s of sockets) s.close();
    relay?.heal();
    await b?.stop();
    await a?.stop();
    await relay?.close();
    await camera?.stop();
    await pg?.drop();
  });

  /** A viewer on `server`: a socket, a transport and a consumer of the camera. */
  const watch = async (server: TestServer, cameraId: string) => {
    const s = await openSocket(server, (await login(server, 'khachsan')).accessToken);
    sockets.push(s);
    const transport: Ack = await s.timeout(10_000).emitWithAck('createTransport', {});
    assert.equal(transport.ok, true, JSON.stringify(transport));
    const consume = async (): Promise<Ack> => s.timeout(20_000).emitWithAck('consume', { transportId: transport.data.id, cameraId, rtpCapabilities: server.media.rtpCapabilities });
    const first = await consume();
    assert.equal(first.ok, true, JSON.stringify(first));
    const ended: Array<{ at: number; reason: string }> = [];
    s.on('consumerClosed', ({ reason }: { reason: string }) => ended.push({ at: Date.now(), reason }));
    return { consume, ended };
  };
  /** Media reaches a receiver of the stream as `server` serves it now. */
  const plays = async (server: TestServer, cameraId: string) => {
    const sink = await openStreamSink(await server.ownership!.streamFor(cameraId, 'main'));
    try {
      await sink.waitForIdr(15_000);
    } finally {
      await sink.close();
    }
  };

  test('partitioned, the owner gives up within a lease; healed, its viewer is served from the new owner', async () => {
    const cameraId = (await addCamera(b, { name: 'Cổng phân vùng', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
    await until('node A to know the camera', () => a.cameras.has(cameraId), 10_000);
    const onA = await watch(a, cameraId);
    assert.deepEqual(a.ownership!.view().owned, [cameraId], 'A owns the camera its viewer asked for first');
    const onB = await watch(b, cameraId);
    await camera.waitForClients(1);
    await plays(b, cameraId);

    const t0 = Date.now();
    relay.blackhole();
    // B takes A for dead (its record expires after three beats), and serves its viewer itself.
    await until('B\'s viewer told its pipe ended', () => onB.ended.length > 0, 10_000);
    await until('B\'s viewer served again', async () => (await onB.consume()).ok, 15_000);
    const bServes = Date.now() - t0;
    assert.deepEqual(b.ownership!.view().owned, [cameraId], 'B owns the camera');
    await plays(b, cameraId);
    // A cannot renew: after a lease it stops ingesting and ends its viewer's view.
    await until('A to give the camera up', () => a.ownership!.view().owned.length === 0, LEASE_MS * 3);
    const aGaveUp = Date.now() - t0;
    await until('A\'s viewer told', () => onA.ended.length > 0, 5000);
    assert.equal(onA.ended[0]!.reason, 'camera stream restarted', 'told as a restart: the page asks again');
    await camera.waitForClients(1, 10_000);
    console.log(`# partitioned at 0: B served its viewer at ${bServes} ms, A gave the camera up at ${aGaveUp} ms (lease ${LEASE_MS} ms); most RTSP sessions at once: ${camera.mostClients}`);
    assert.ok(aGaveUp <= LEASE_MS + LEASE_MS / 3 + 2500, `A stopped ingesting ${aGaveUp} ms after the partition`);
    // Asked again while cut off: a clear refusal, not an internal error.
    const refused = await onA.consume();
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.code, 'CAMERA_UNAVAILABLE', JSON.stringify(refused));

    relay.heal();
    await until('A\'s viewer served again after the partition healed', async () => (await onA.consume()).ok, 20_000);
    assert.deepEqual(a.ownership!.view().pipes.imported.map((p) => p.owner), ['node-b'], 'piped from B');
    await plays(a, cameraId);
    assert.equal(camera.clients, 1, 'one RTSP session');
  });
});
