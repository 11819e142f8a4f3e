// Fast start across nodes: a camera that ignores keyframe requests (10 s GOP) owned by node A,
// watched on node B. Without a fast start B's new viewer waits for the camera's next IDR
// (0-10 s); with it, A feeds a producer of the viewer's own, replaying its cached GOP, into
// the pipe to B, and the picture starts at once. Checked on B both through signaling (the
// consume answer carries a fast start) and by receiving the piped fast start's RTP. Real
// parts: PostgreSQL, Redis, mediasoup, a GStreamer camera, SRTP pipes between two nodes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { MAX_FAST_STARTS_PER_PIPE } from '../../server/media/pipes.js';
import { RemoteStream } from '../../server/media/RemoteStream.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { clusterSettings } from '../support/cluster.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { openStreamSink, type RtpSink } from '../support/rtp-sink.js';
import { addCamera, login, openSocket, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };

describe('a piped camera that ignores keyframe requests starts at once on another node', { timeout: 180_000 }, () => {
  let pg: TestPostgres;
  let camera: TestCamera;
  let a: TestServer;
  let b: TestServer;
  const sinks: RtpSink[] = [];
  const sockets: Socket[] = [];

  before(async () => {
    pg = await createTestDatabase();
    const shared = { ...clusterSettings(pg.url, { beatMs: 300 }), media: { workers: 1 } };
    camera = await startCamera({ width: 320, height: 180, fps: 25, gop: 250, ignoreKeyframeRequests: true });
    a = await startTestServer({ ...shared, monitoring: { nodeId: 'node-a' } });
    b = await startTestServer({ ...shared, monitoring: { nodeId: 'node-b' } });
  });
  after(async () => {
    for (const s of sockets) s.close();
    for (const s of sinks) await s.close();
    await b?.stop();
    await a?.stop();
    await camera?.stop();
    await pg?.drop();
  });

  test('the owner feeds a fast start into the pipe: the piped viewer\'s picture starts with the cached GOP', async () => {
    const cameraId = (await addCamera(a, { name: 'Cổng cứng đầu', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
    // A viewer on A starts the camera (its stream opens with an IDR); a second viewer's
    // keyframe request then goes unanswered, which teaches A that this camera ignores them.
    const local = await a.ownership!.streamFor(cameraId, 'main');
    assert.ok(!(local instanceof RemoteStream), 'A ingests the camera');
    const onA = await openStreamSink(local);
    sinks.push(onA);
    await onA.waitForIdr(15_000);
    sinks.push(await openStreamSink(local));
    await until('A to offer fast starts for the camera', async () => {
      const probe = await local.openFastStart();
      probe?.close();
      return probe !== undefined;
    }, 15_000);

    // On B: the stream is piped from A; a new view gets a fast start through the pipe.
    const remote = await b.ownership!.streamFor(cameraId, 'main');
    assert.ok(remote instanceof RemoteStream, 'B pipes the camera from A');
    const shared = await openStreamSink(remote);
    sinks.push(shared);
    const fast = await remote.openFastStart();
    assert.ok(fast, 'a fast start over the pipe');
    const t0 = Date.now();
    const fastSink = await openStreamSink(remote, { producer: fast.producer, onResumed: () => fast.start() });
    sinks.push(fastSink);
    const ms = await fastSink.waitForIdr(5000);
    const idrAt = Date.now() - t0;
    console.log(`# piped fast start: first IDR ${ms} ms after the consumer opened (${idrAt} ms with the resume); the shared pipe's first IDR ${shared.firstIdrMs ?? 'not yet'} (10 s GOP)`);
    assert.ok(idrAt <= 3000, `the fast start's first IDR came ${idrAt} ms after asking`);
    assert.equal(fastSink.idr.withParameterSets, fastSink.idr.total, await fastSink.describe());
    await fastSink.waitForPackets(50, 5000);
    fast.close();

    // Asked all at once, more fast starts than a pipe may carry: the cap holds.
    const burst = await Promise.all(Array.from({ length: MAX_FAST_STARTS_PER_PIPE + 16 }, () => remote.openFastStart()));
    const granted = burst.filter((f) => f !== undefined);
    for (const f of granted) f.close();
    console.log(`# ${burst.length} fast starts asked at once on one pipe: ${granted.length} granted`);
    assert.ok(granted.length > 0 && granted.length <= MAX_FAST_STARTS_PER_PIPE, `${granted.length} granted (cap ${MAX_FAST_STARTS_PER_PIPE})`);

    // Through signaling, as the web client asks: the consume answer on B carries a fast start.
    const s = await openSocket(b, (await login(b, 'khachsan')).accessToken);
    sockets.push(s);
    const transport: Ack = await s.timeout(10_000).emitWithAck('createTransport', {});
    const consumed: Ack = await s.timeout(20_000).emitWithAck('consume', { transportId: transport.data.id, cameraId, rtpCapabilities: b.media.rtpCapabilities });
    assert.equal(consumed.ok, true, JSON.stringify(consumed));
    assert.ok(consumed.data.fastStart?.consumerId, `the answer carries a fast start: ${JSON.stringify(Object.keys(consumed.data))}`);
    assert.equal(camera.clients, 1, 'one RTSP session');
  });
});
