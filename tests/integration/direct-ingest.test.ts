// The direct path (a camera's `ingest: 'direct'`): the camera's RTP over UDP straight into the
// media worker, no process of ours in between. Real parts: GStreamer's gst-rtsp-server, the
// server's mediasoup worker, and scripted cameras where the test must control the packets (a
// stranger on the worker's port, a SETUP without SSRC).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { parameterSetPacket, spropParameterSets } from '../../server/media/rtp/rtp.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { h264Packet, hostileServer, SDP, udpCamera, validAnswer } from '../support/hostile-rtsp.js';
import { openRtpSink } from '../support/rtp-sink.js';
import { until } from '../support/until.js';
import { addCamera, adminBearer, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

const CAMERA_SSRC = 7; // h264Packet's
const sets = spropParameterSets(/sprop-parameter-sets=([^;\r\n]+)/.exec(SDP)![1]);

/**
 * A keyframe every 50 packets, its parameter sets in-band before it (before the first only,
 * with `onceOnly`); P slices otherwise.
 */
const withInbandSets = (i: number, onceOnly = false) => {
  const frame = Math.floor(i / 2);
  if (i % 50 === 0 && (i === 0 || !onceOnly)) return { rtp: parameterSetPacket(sets.sps!, sets.pps!, h264Packet(i, frame * 3600, true)) };
  return { rtp: h264Packet(i, frame * 3600, i % 50 === 1) };
};

describe('direct ingest', { timeout: 120_000 }, () => {
  let server: TestServer;
  const cameras: TestCamera[] = [];
  const closers: Array<() => Promise<unknown> | void> = [];

  before(async () => {
    server = await startTestServer({ ingest: { graceMs: 500, backoffInitialMs: 200, backoffMaxMs: 1000 } });
  });
  after(async () => {
    for (const c of closers) await c();
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  test('a camera with in-band parameter sets plays straight into the worker: keyframes reach viewers decodable, frames are counted', async () => {
    const cam = await startCamera({ inband: true, fps: 25, gop: 25 });
    cameras.push(cam);
    // The start-of-run frame counter (a DirectTransport consumer) must end once it has seen the
    // first keyframes: its channel write per packet would slow every viewer's packets.
    const counters: Array<{ closed: boolean }> = [];
    const onTransport = (t: { constructor: { name: string }; closed: boolean }) => { if (t.constructor.name === 'DirectTransport') counters.push(t); };
    for (const slot of server.media.pool.slots) slot.router.observer.on('newtransport', onTransport);
    const { status, json } = await addCamera(server, { name: 'direct', mainUrl: cam.url, ingest: 'direct' });
    assert.equal(status, 201, JSON.stringify(json));
    assert.equal(json.ingest, 'direct');
    const sink = await openRtpSink(server, json.id);
    try {
      await sink.waitForPackets(100);
      await sink.waitForIdr();
      assert.ok(sink.idr.total >= 1 && sink.idr.withParameterSets === sink.idr.total, await sink.describe());
      const h = await waitForHealth(server, json.id, (x) => x.state === 'live' && x.fps > 0);
      assert.equal(h.ingest, 'direct');
      assert.equal(h.transcoding, false);
      // The producer expects the camera's own SSRC (nothing rewrites it on the way).
      const producer = server.cameras.stream(json.id, 'main').producer!;
      const [stats] = await producer.getStats();
      assert.equal(stats?.ssrc, producer.rtpParameters.encodings![0]!.ssrc);
      assert.ok((stats?.packetCount ?? 0) > 0);
      assert.equal(counters.length, 1, 'one frame counter for the run');
      await until('the frame counter to end after the first keyframes (a 1 s GOP)', () => counters[0]!.closed, 10_000);
      // Frames go on being counted, from the producer's packets: the rate stays the camera's.
      const framesAtEnd = server.cameras.stream(json.id, 'main').totals.frames;
      await until('3 s of frames after the counter ended', () => server.cameras.stream(json.id, 'main').totals.frames > framesAtEnd + 75, 10_000);
      const fps = server.cameras.get(json.id).health.fps;
      assert.ok(fps >= 18 && fps <= 32, `fps after the counter near the camera's 25: ${fps}`);
      // ... and stop when the camera does: frames go on only while packets arrive.
      cam.proc.kill('SIGSTOP');
      try {
        await waitForHealth(server, json.id, (x) => x.state === 'stalled');
      } finally {
        cam.proc.kill('SIGCONT');
      }
      await waitForHealth(server, json.id, (x) => x.state === 'live');
    } finally {
      for (const slot of server.media.pool.slots) slot.router.observer.off('newtransport', onTransport);
      await sink.close();
    }
  });

  test('the worker takes media from the camera\'s media port only: a stranger sending the camera\'s SSRC to the same port is ignored', async () => {
    const cam = await udpCamera((i) => withInbandSets(i), { setupSsrc: CAMERA_SSRC });
    closers.push(() => cam.close());
    const { json } = await addCamera(server, { name: 'direct-stranger', mainUrl: cam.url, ingest: 'direct' });
    const stream = server.cameras.stream(json.id, 'main');
    const release = stream.acquire();
    const stranger = dgram.createSocket('udp4');
    closers.push(() => void stranger.close());
    try {
      const to = await cam.playing;
      await waitForHealth(server, json.id, (x) => x.state === 'live' && x.ingest === 'direct');
      const producer = stream.producer!;
      assert.equal(producer.rtpParameters.encodings![0]!.ssrc, CAMERA_SSRC, 'the SSRC the camera named in SETUP');
      const count = async () => (await producer.getStats())[0]?.packetCount ?? 0;
      cam.held = true;
      const before = await count();
      // The stranger's packets: well-formed, the camera's SSRC, the next sequence numbers.
      for (let i = 0; i < 50; i++) {
        await new Promise<void>((r) => stranger.send(h264Packet(60_000 + i, 0, i === 0, 0xee), to.rtp, '127.0.0.1', () => r()));
      }
      // One packet from the camera after them: the worker reads its socket in order, so once
      // this one is counted the stranger's have all been seen.
      cam.sendNext();
      await until('the camera\'s packet after the stranger\'s', async () => (await count()) > before, 5000);
      assert.equal(await count(), before + 1, 'only the camera\'s packet was taken');
      cam.held = false;
      await until('the camera to play on', async () => (await count()) > before + 10, 5000);
    } finally {
      release();
    }
  });

  test('a camera that changes its SSRC mid-session is set up again at once, not after the stall watchdog', async () => {
    // An encoder restart: the same ports, a new SSRC, which the next SETUP names.
    let ssrc = CAMERA_SSRC;
    const cam = await udpCamera((i) => {
      const { rtp } = withInbandSets(i);
      rtp.writeUInt32BE(ssrc, 8);
      return { rtp };
    }, { setupSsrc: () => ssrc });
    closers.push(() => cam.close());
    const { json } = await addCamera(server, { name: 'direct-ssrc-change', mainUrl: cam.url, ingest: 'direct' });
    const stream = server.cameras.stream(json.id, 'main');
    const release = stream.acquire();
    const seen: Array<{ state: string; reason?: string }> = [];
    const onHealth = (id: string, kind: string, h: { state: string; reason?: string }) => { if (id === json.id && kind === 'main') seen.push({ state: h.state, reason: h.reason }); };
    try {
      await waitForHealth(server, json.id, (x) => x.state === 'live' && x.ingest === 'direct');
      assert.equal(stream.producer!.rtpParameters.encodings![0]!.ssrc, CAMERA_SSRC);
      server.cameras.on('health', onHealth);
      ssrc = 0x0badcafe;
      await until('a producer for the new SSRC', () => stream.producer?.rtpParameters.encodings?.[0]?.ssrc === 0x0badcafe && !stream.producer.closed, 15_000);
      await waitForHealth(server, json.id, (x) => x.state === 'live' && x.ingest === 'direct');
      const sink = await openRtpSink(server, json.id);
      try {
        await sink.waitForIdr();
      } finally {
        await sink.close();
      }
      // The stall watchdog's restart (8 s without frames) would give its own reason instead.
      assert.ok(seen.some((x) => /none under the SSRC it named in SETUP \(00000007\)/.test(x.reason ?? '')), `the reason names the SSRC: ${JSON.stringify(seen)}`);
    } finally {
      server.cameras.off('health', onHealth);
      release();
    }
  });

  test('a camera that names no SSRC in SETUP fails with the reason', async () => {
    const cam = await udpCamera((i) => withInbandSets(i));
    closers.push(() => cam.close());
    const { json } = await addCamera(server, { name: 'direct-no-ssrc', mainUrl: cam.url, ingest: 'direct' });
    const release = server.cameras.stream(json.id, 'main').acquire();
    try {
      const h = await waitForHealth(server, json.id, (x) => x.state === 'offline' && /named no SSRC/.test(x.reason ?? ''));
      assert.equal(h.ingest, 'direct');
    } finally {
      release();
    }
  });

  test('a camera that sends its parameter sets only in the SDP fails with the reason instead of looking live; through the relay it plays', async () => {
    // Keyframes every 25 packets, never a parameter set in the stream.
    const cam = await udpCamera(undefined, { setupSsrc: CAMERA_SSRC });
    closers.push(() => cam.close());
    const { json } = await addCamera(server, { name: 'direct-sdp-sets', mainUrl: cam.url, ingest: 'direct', rtspTransport: 'udp' });
    const release = server.cameras.stream(json.id, 'main').acquire();
    try {
      const h = await waitForHealth(server, json.id, (x) => x.state === 'offline' && /parameter sets in-band/.test(x.reason ?? ''));
      assert.match(h.reason, /use ingest 'auto'/);
      // The relay puts the SDP's sets in front of each keyframe.
      const res = await fetch(`${server.url}/api/cameras/${json.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminBearer(server)}` },
        body: JSON.stringify({ ingest: 'auto' }),
      });
      assert.equal(res.status, 200);
      assert.equal((await waitForHealth(server, json.id, (x) => x.state === 'live')).ingest, 'relay');
    } finally {
      release();
    }
  });

  test('a camera that sends its parameter sets once, at the start, fails with the reason (later viewers could never start)', async () => {
    const cam = await udpCamera((i) => withInbandSets(i, true), { setupSsrc: CAMERA_SSRC });
    closers.push(() => cam.close());
    const { json } = await addCamera(server, { name: 'direct-sets-once', mainUrl: cam.url, ingest: 'direct' });
    const release = server.cameras.stream(json.id, 'main').acquire();
    try {
      const h = await waitForHealth(server, json.id, (x) => x.state === 'offline' && /only in its SDP \(or once, at the start\)/.test(x.reason ?? ''));
      assert.equal(h.ingest, 'direct');
    } finally {
      release();
    }
  });

  test('the worker holding a direct camera dies: the camera comes back on a live worker, as a restart and not an outage', async () => {
    const cam = await startCamera({ inband: true });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'direct-worker-lost', mainUrl: cam.url, ingest: 'direct' });
    const stream = server.cameras.stream(json.id, 'main');
    const release = stream.acquire();
    const states: string[] = [];
    const onHealth = (id: string, kind: string, h: { state: string }) => { if (id === json.id && kind === 'main') states.push(h.state); };
    try {
      await waitForHealth(server, json.id, (x) => x.state === 'live' && x.ingest === 'direct');
      const first = stream.producer!;
      server.cameras.on('health', onHealth);
      const replaced = once(server.media, 'workerReplaced');
      process.kill(stream.slot!.worker.pid!, 'SIGKILL');
      await replaced;
      await until('a new producer', () => stream.producer !== undefined && stream.producer !== first && !stream.producer.closed, 20_000);
      await waitForHealth(server, json.id, (x) => x.state === 'live' && x.ingest === 'direct' && x.fps > 0);
      const sink = await openRtpSink(server, json.id);
      try {
        await sink.waitForIdr();
      } finally {
        await sink.close();
      }
      assert.ok(states.includes('restarting') && !states.includes('offline'), states.join(' → '));
    } finally {
      server.cameras.off('health', onHealth);
      release();
    }
  });

  test('a camera the direct path cannot carry is refused with the reason when transcoding is off', async () => {
    // A scripted camera describing MJPEG (RTP/JPEG, RFC 2435) with its rtpmap.
    const sdp = SDP.replace('m=video 0 RTP/AVP 96', 'm=video 0 RTP/AVP 26').replace(/a=rtpmap:96 H264\/90000\r\na=fmtp:[^\r]*\r\n/, 'a=rtpmap:26 JPEG/90000\r\n');
    assert.match(sdp, /rtpmap:26 JPEG/);
    const cam = await hostileServer((r, sock) => {
      if (r.method === 'DESCRIBE') sock.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`);
      else sock.write(validAnswer(r.method, r.cseq));
    });
    closers.push(() => cam.close());
    const { json } = await addCamera(server, { name: 'direct-mjpeg', mainUrl: cam.url, ingest: 'direct', transcode: 'never' });
    const release = server.cameras.stream(json.id, 'main').acquire();
    try {
      const refused = await waitForHealth(server, json.id, (x) => x.state === 'offline' && /MJPEG/.test(x.reason ?? ''));
      assert.equal(refused.reason, "camera sends MJPEG, which browsers cannot play without transcoding (transcode is 'never')");
    } finally {
      release();
    }
  });
});
