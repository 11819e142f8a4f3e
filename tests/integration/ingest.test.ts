// Ingest end to end with real parts: a GStreamer RTSP camera, the ingest (the in-process RTSP
// relay, and ffmpeg: every test runs against both paths), mediasoup, and a real RTP receiver
// (a PlainTransport consumer sending to a UDP socket of the test).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { streamUptime } from '../../server/observability/uptime.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { openRtpSink } from '../support/rtp-sink.js';
import { freePort } from '../support/net.js';
import { addCamera, adminBearer, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

/** The camera's recorded main-stream health since `from`, once `ready` holds for it (writes are asynchronous). */
async function recordedSince(server: TestServer, cameraId: string, from: Date, ready: (rows: Array<{ state: string; at: Date }>) => boolean): Promise<Array<{ state: string; at: Date }>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const rows = await server.db.prisma.cameraHealthEvent.findMany({ where: { cameraId, stream: 'main', at: { gte: from } }, orderBy: { id: 'asc' }, select: { state: true, at: true } });
    if (ready(rows) || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const path of ['auto', 'ffmpeg'] as const) describe(`ingest through ${path === 'auto' ? 'the RTSP relay' : 'ffmpeg'}`, { timeout: 120_000 }, () => {
  // What a passthrough H.264 camera runs on with this setting.
  const passthrough = path === 'auto' ? 'relay' : 'ffmpeg';
  const add = (body: Record<string, unknown>) => addCamera(server, { ...body, ingest: path });
  let server: TestServer;
  const cameras: TestCamera[] = [];

  before(async () => {
    server = await startTestServer({ ingest: { graceMs: 1000 } });
  });
  after(async () => {
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  for (const profile of ['baseline', 'high'] as const) {
    test(`a ${profile}-profile camera's RTP reaches a consumer, with SPS/PPS in-band before every IDR`, async () => {
      const cam = await startCamera({ profile, gop: 25 });
      cameras.push(cam);
      const { status, json } = await add({ name: `cam-${profile}`, mainUrl: cam.url });
      assert.equal(status, 201);
      assert.equal(json.health.state, 'idle', 'an on-demand camera is not pulled before anyone watches');

      const sink = await openRtpSink(server, json.id);
      try {
        await sink.waitForPackets(50);
        const first = await sink.consumerStats();
        await sink.waitForPackets(100);
        const second = await sink.consumerStats();
        assert.ok(second.packetCount > first.packetCount, 'consumer packet count rises');
        assert.ok(second.byteCount > first.byteCount, 'consumer byte count rises');
        // The camera sends its parameter sets only in the SDP; the browser needs them in-band.
        await sink.waitForPackets(200); // > 1 GOP at 25 fps
        assert.ok(sink.idr.total >= 1, 'at least one IDR arrived');
        assert.equal(sink.idr.withParameterSets, sink.idr.total, `every IDR is preceded by SPS and PPS: ${await sink.describe()}`);

        const health = await waitForHealth(server, json.id, (h) => h.state === 'live');
        assert.equal(health.codec, 'h264');
        assert.equal(health.transcoding, false);
        assert.equal(health.ingest, passthrough);
        assert.equal(health.profile, profile === 'high' ? 'High' : 'Constrained Baseline');
        assert.ok(health.fps > 15 && health.fps < 35, `fps ${health.fps}`);
        assert.ok(health.bitrateKbps > 0);
        // The producer announces a profile every browser negotiates, whatever the camera sends.
        const producer = server.cameras.stream(json.id, 'main').producer!;
        assert.equal(producer.rtpParameters.codecs[0]!.parameters['profile-level-id'], '42e01f');
      } finally {
        await sink.close();
      }
    });
  }

  test('ingest stops after the grace period once the last viewer leaves, and always-on cameras run without viewers', async () => {
    const cam = await startCamera({});
    cameras.push(cam);
    const { json } = await add({ name: 'cam-on-demand', mainUrl: cam.url });
    const sink = await openRtpSink(server, json.id);
    await sink.waitForPackets(20);
    const pid = server.cameras.stream(json.id, 'main').ingestPid;
    assert.equal(pid !== undefined, passthrough === 'ffmpeg', 'only the ffmpeg path runs a process');
    assert.equal(cam.clients, 1);
    await sink.close();
    await waitForHealth(server, json.id, (h) => h.state === 'idle', 10_000);
    assert.equal(server.cameras.stream(json.id, 'main').ingestPid, undefined);
    if (pid) assert.throws(() => process.kill(pid, 0), 'the ffmpeg process is gone');
    await cam.waitForClients(0, 5000); // the RTSP session was closed, not left behind

    const res = await fetch(`${server.url}/api/cameras/${json.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminBearer(server)}` },
      body: JSON.stringify({ alwaysOn: true }),
    });
    assert.equal(res.status, 200);
    await waitForHealth(server, json.id, (h) => h.state === 'live' && h.viewers === 0);
  });

  test("a camera's transport takes media from its ingest only: a local process that sends first does not take the stream", async () => {
    const cam = await startCamera({ gop: 25 });
    cameras.push(cam);
    const { json } = await add({ name: 'cam-rogue', mainUrl: cam.url });
    // A rogue on this host blasts RTP at every camera transport the moment it exists, before
    // the ingest has even reached the camera.
    const rogue = dgram.createSocket('udp4');
    await new Promise<void>((r) => rogue.bind(0, '127.0.0.1', () => r()));
    const packet = Buffer.alloc(40);
    packet[0] = 0x80; packet[1] = 96; packet.writeUInt32BE(0xbad, 8); packet[12] = 0x65;
    const blasts: NodeJS.Timeout[] = [];
    const onTransport = (t: { constructor: { name: string }; tuple?: { localPort: number } }) => {
      if (t.constructor.name !== 'PlainTransport' || !t.tuple) return;
      const port = t.tuple.localPort;
      rogue.send(packet, port, '127.0.0.1');
      blasts.push(setInterval(() => rogue.send(packet, port, '127.0.0.1'), 5));
    };
    const routers = server.media.pool.slots.map((slot) => slot.router);
    for (const r of routers) r.observer.on('newtransport', onTransport);
    try {
      const sink = await openRtpSink(server, json.id);
      try {
        assert.ok(blasts.length > 0, 'the rogue reached the transport');
        await sink.waitForPackets(50);
        await waitForHealth(server, json.id, (h) => h.state === 'live');
      } finally {
        await sink.close();
      }
    } finally {
      for (const r of routers) r.observer.off('newtransport', onTransport);
      for (const b of blasts) clearInterval(b);
      rogue.close();
    }
  });

  test("editing a live camera's address, or restarting it, records no outage; the camera failing does", async () => {
    const [first, second] = await Promise.all([startCamera({ gop: 25 }), startCamera({ gop: 25 })]);
    cameras.push(first, second);
    const { json } = await add({ name: 'cam-edit-restart', mainUrl: first.url });
    const release = server.cameras.stream(json.id, 'main').acquire();
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${await adminBearer(server)}` };
    try {
      await waitForHealth(server, json.id, (h) => h.state === 'live');
      await recordedSince(server, json.id, new Date(0), (rows) => rows.at(-1)?.state === 'live');
      const from = new Date();
      let res = await fetch(`${server.url}/api/cameras/${json.id}`, { method: 'PATCH', headers: admin, body: JSON.stringify({ mainUrl: second.url }) });
      assert.equal(res.status, 200);
      await waitForHealth(server, json.id, (h) => h.state === 'live' && h.restarts >= 1);
      assert.equal(second.clients, 1, 'the new address is pulled');
      res = await fetch(`${server.url}/api/cameras/${json.id}/restart`, { method: 'POST', headers: admin });
      assert.equal(res.status, 200);
      await waitForHealth(server, json.id, (h) => h.state === 'live' && h.restarts >= 2);
      const history = await recordedSince(server, json.id, from, (rows) => rows.filter((r) => r.state === 'restarting').length >= 2 && rows.at(-1)?.state === 'live');
      assert.deepEqual(history.map((r) => r.state), ['restarting', 'live', 'restarting', 'live']);
      const figures = streamUptime('live', history, from, new Date());
      assert.deepEqual([figures.outages, figures.downMs], [0, 0], 'no outage, no down time');
      const audit = await server.db.prisma.auditEntry.findFirst({ where: { action: 'camera.restart', target: `camera:${json.id}` } });
      assert.ok(audit, 'the restart is audited');

      // The same measure does see a real failure.
      await second.stop();
      await waitForHealth(server, json.id, (h) => h.state === 'offline', 20_000);
      const withFailure = await recordedSince(server, json.id, from, (rows) => rows.some((r) => r.state === 'offline'));
      assert.equal(streamUptime('live', withFailure, from, new Date()).outages, 1);
    } finally {
      release();
    }
  });

  test("correcting a failing camera's address tries it at once, not after the grown backoff", async () => {
    const cam = await startCamera({ gop: 25 });
    cameras.push(cam);
    const { json } = await add({ name: 'cam-wrong-address', mainUrl: `rtsp://127.0.0.1:${await freePort()}/sai-dia-chi` });
    const release = server.cameras.stream(json.id, 'main').acquire();
    try {
      // Four failures in a row: the next try waits 8 s (0.5 s doubling).
      await waitForHealth(server, json.id, (h) => h.state === 'offline' && h.restarts >= 4, 20_000);
      const patched = Date.now();
      const res = await fetch(`${server.url}/api/cameras/${json.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminBearer(server)}` },
        body: JSON.stringify({ mainUrl: cam.url }),
      });
      assert.equal(res.status, 200);
      await waitForHealth(server, json.id, (h) => h.state === 'live', 5000);
      console.log(`# ${path}: live ${Date.now() - patched} ms after the address was corrected`);
    } finally {
      release();
    }
  });

  test('a viewer who arrives while ingest is shutting down still gets a producer', async () => {
    const cam = await startCamera({});
    cameras.push(cam);
    const { json } = await add({ name: 'cam-race', mainUrl: cam.url });
    const stream = server.cameras.stream(json.id, 'main');
    const release = stream.acquire();
    const first = await stream.waitForProducer(15_000);
    release();
    // The grace period ends and the shutdown begins: ffmpeg is asked to quit, its producer closes.
    await once(first.observer, 'close');
    const again = stream.acquire();
    try {
      const next = await stream.waitForProducer(8_000);
      assert.notEqual(next.id, first.id);
    } finally {
      again();
    }
  });

  test('a source port taken by another process while the camera was idle: the next run binds new ports and plays', async () => {
    const cam = await startCamera({ gop: 10 });
    cameras.push(cam);
    const { json } = await add({ name: 'cam-port-taken', mainUrl: cam.url });
    const stream = server.cameras.stream(json.id, 'main');
    // The stream's PlainTransport is connected to its ingest's source ports: its remote tuple names them.
    const transports: Array<{ constructor: { name: string }; tuple?: { remotePort?: number } }> = [];
    const onTransport = (t: (typeof transports)[number]) => {
      if (t.constructor.name === 'PlainTransport') transports.push(t);
    };
    const routers = server.media.pool.slots.map((slot) => slot.router);
    for (const r of routers) r.observer.on('newtransport', onTransport);
    const squatter = dgram.createSocket('udp4');
    try {
      const release = stream.acquire();
      const first = await stream.waitForProducer(15_000);
      const sourcePort = transports.at(-1)?.tuple?.remotePort;
      assert.ok(sourcePort, 'the stream\'s transport names its source port');
      release();
      await once(first.observer, 'close');
      // Between runs nobody holds the port: another process binds it.
      await new Promise<void>((resolve, reject) => {
        squatter.once('error', reject);
        squatter.bind(sourcePort, '127.0.0.1', () => resolve());
      });
      const again = stream.acquire();
      try {
        const next = await new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no producer within 15 s; status: ${JSON.stringify(stream.status)}`)), 15_000);
          stream.once('producer', (p) => {
            clearTimeout(timer);
            resolve(p);
          });
        });
        assert.ok(next);
        assert.notEqual(transports.at(-1)?.tuple?.remotePort, sourcePort, 'the new run has a new source port');
      } finally {
        again();
      }
    } finally {
      for (const r of routers) r.observer.off('newtransport', onTransport);
      squatter.close();
    }
  });

  test('a camera with a sub stream serves it on request, independently of the main stream', async () => {
    const [main, sub] = await Promise.all([startCamera({ profile: 'high', path: '/main' }), startCamera({ width: 320, height: 180, path: '/sub' })]);
    cameras.push(main, sub);
    const { json } = await add({ name: 'cam-two-streams', mainUrl: main.url, subUrl: sub.url });
    assert.equal(json.hasSubStream, true);
    const sink = await openRtpSink(server, json.id, 'sub');
    try {
      await sink.waitForPackets(30);
      const summary = server.cameras.get(json.id);
      assert.equal(summary.subHealth?.state, 'live');
      assert.equal(summary.subHealth?.ingest, passthrough);
      assert.equal(summary.subHealth?.profile, 'Constrained Baseline');
      assert.equal(summary.health.state, 'idle', 'the main stream is not pulled for a sub-stream viewer');
    } finally {
      await sink.close();
    }
  });

  test('an H.265 camera is transcoded to H.264 and its status says so', async () => {
    const cam = await startCamera({ codec: 'h265', width: 320, height: 180, fps: 15 });
    cameras.push(cam);
    const { json } = await add({ name: 'cam-h265', mainUrl: cam.url });
    const sink = await openRtpSink(server, json.id);
    try {
      // A transcoder cannot answer the new consumer's keyframe request: the first IDR comes with
      // the encoder's next GOP, so wait for it rather than for a packet count.
      await sink.waitForIdr(20_000);
      const health = await waitForHealth(server, json.id, (h) => h.state === 'live');
      assert.equal(health.codec, 'hevc');
      assert.equal(health.transcoding, true);
      assert.equal(health.ingest, 'ffmpeg', 'a camera that needs transcoding always goes through ffmpeg');
      assert.ok(sink.idr.total >= 1 && sink.idr.withParameterSets === sink.idr.total, await sink.describe());
    } finally {
      await sink.close();
    }
  });
});

describe('ports: viewers cannot exhaust the ports cameras need', { timeout: 60_000 }, () => {
  test('200 viewer transports share the worker\'s one WebRTC port; a camera still gets its transport from a 12-port range', async () => {
    const cam = await startCamera({});
    // A range of 12 ports for everything on one worker: the WebRTC server's, the camera's
    // PlainTransport (RTP and RTCP) and the test sink's.
    // Below the kernel's ephemeral ports, and above tests/support/net.ts's freePort range, so
    // no other process's socket lands in the range while the test counts on it.
    const first = 30_000 + Math.floor(Math.random() * 200) * 12;
    const server = await startTestServer({ media: { workers: 1, rtcMinPort: first, rtcMaxPort: first + 11 } });
    const viewers: Array<{ close(): void }> = [];
    try {
      const ports = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const t = await server.media.createViewerTransport();
        viewers.push(t);
        for (const c of t.iceCandidates) ports.add(`${c.protocol}/${c.port}`);
      }
      assert.equal(ports.size, 2, `one UDP and one TCP port for all: ${[...ports].join(', ')}`);
      for (const p of ports) {
        const port = Number(p.split('/')[1]);
        assert.ok(port >= first && port <= first + 11, `${p} in the worker's range`);
      }
      const { json } = await addCamera(server, { name: 'cam-ports', mainUrl: cam.url });
      const sink = await openRtpSink(server, json.id);
      try {
        await sink.waitForPackets(30);
      } finally {
        await sink.close();
      }
    } finally {
      for (const v of viewers) v.close();
      await server.stop();
      await cam.stop();
    }
  });
});
