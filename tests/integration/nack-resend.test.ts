// runs-alone: the packets lost are lost to a busy worker; another file's load would change how many.
// A fast start's replay is a burst of a whole GOP into the worker's socket. Packets of it lost
// on the way in (a worker not scheduled for a few milliseconds overflows its receive buffer)
// are reported by the real mediasoup worker in NACKs, because the fast-start producer asks
// for them, and the feed sends them again: the viewer's consumer gets the whole GOP. Without
// NACK the consumer would miss them, and the picture would wait for the camera's next IDR.
// A real worker, router, PlainTransports and FastStartFeed; the loss is made by the test's
// send function (the kernel's drops cannot be ordered on demand).
// The same for the shared stream: the RtpForwarder sends again from its GOP cache what the
// worker reports lost; here its packets cross a UDP hop of the test's that drops four.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import * as mediasoup from 'mediasoup';
import type { Router, RtpParameters, Worker } from 'mediasoup/node/lib/types.js';
import { FastStartFeed } from '../../server/media/FastStart.js';
import { nalCodec } from '../../server/media/rtp/nal-codec.js';
import { readRtcp } from '../../server/media/rtp/rtp.js';
import { RtpForwarder } from '../../server/media/rtp/RtpForwarder.js';
import { MEDIA_CODECS } from '../../server/media/WorkerPool.js';
import { freePort } from '../support/net.js';
import { plainReceiver } from '../support/rtp-sink.js';

let worker: Worker;
let router: Router;
before(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'error' });
  router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
});
after(() => worker?.close());

/** A GOP of `frames` frames: SPS, PPS and IDR under the first timestamp, then one P slice each. */
function gop(frames: number): Buffer[] {
  const packet = (ts: number, nal: number, marker: boolean) => {
    const p = Buffer.alloc(12 + 200, 0x11);
    p[0] = 0x80; p[1] = (marker ? 0x80 : 0) | 96; p.writeUInt32BE(ts, 4); p.writeUInt32BE(1, 8);
    p[12] = nal;
    return p;
  };
  const out = [packet(0, 0x67, false), packet(0, 0x68, false), packet(0, 0x65, true)];
  for (let i = 1; i < frames; i++) out.push(packet(i * 3600, 0x41, true));
  out.forEach((p, seq) => p.writeUInt16BE(seq, 2));
  return out;
}

/** A producer of `ssrc` on `ingest`, with generic NACK or without, and a consumer of it whose packets are counted. */
async function consumed(ingest: Awaited<ReturnType<Router['createPlainTransport']>>, ssrc: number, nack: boolean) {
  const rtcpFeedback = [{ type: 'nack', parameter: 'pli' }, ...(nack ? [{ type: 'nack' }] : [])];
  const rtpParameters: RtpParameters = {
    codecs: [{ mimeType: 'video/H264', payloadType: 96, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' }, rtcpFeedback }],
    encodings: [{ ssrc }],
  };
  const producer = await ingest.produce({ kind: 'video', rtpParameters });
  const { sock, transport } = await plainReceiver(router);
  const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
  const seen = new Set<number>();
  const out = consumer.rtpParameters.encodings![0]!.ssrc!;
  sock.on('message', (m) => { if (m[0]! >> 6 === 2 && m.readUInt32BE(8) === out) seen.add(m.readUInt16BE(2)); });
  await consumer.resume();
  return { seen, close: () => { sock.close(); transport.close(); } };
}

/** Until `seen` holds `n` packets, or the NACK retries (mediasoup's, every ~40 ms) would have been answered. */
async function settle(seen: Set<number>, n: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (seen.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Replays a GOP of 60 packets into a producer, dropping packets 5-8 of the burst; counts what its consumer sends. */
async function replay(nack: boolean): Promise<{ received: number; resent: number }> {
  const rtp = dgram.createSocket('udp4');
  const rtcp = dgram.createSocket('udp4');
  await Promise.all([rtp, rtcp].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
  const ingest = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: false, comedia: false });
  await ingest.connect({ ip: '127.0.0.1', port: rtp.address().port, rtcpPort: rtcp.address().port });
  const { seen, close } = await consumed(ingest, 0xfeed, nack);

  const packets = gop(58);
  let index = 0;
  const feed = new FastStartFeed(0xfeed, 96, (p) => {
    const i = index++;
    if (i >= 5 && i <= 8) return; // lost on the way into the worker
    rtp.send(p, ingest.tuple.localPort, '127.0.0.1');
  });
  rtcp.on('message', (m) => { for (const n of readRtcp(m).nacks ?? []) if (n.ssrc === 0xfeed) feed.resend(n.seqs); });
  feed.start(packets);
  await settle(seen, packets.length);
  const result = { received: seen.size, resent: feed.resent };
  feed.close();
  for (const s of [rtp, rtcp]) s.close();
  close();
  ingest.close();
  return result;
}

/**
 * A camera's GOP of 60 packets through the RtpForwarder into a producer; on the way (a UDP hop
 * of the test's, between the relay and the worker) packets 5-8 are dropped. Counts what the
 * consumer sends.
 */
async function forward(nack: boolean): Promise<{ received: number; resent: number }> {
  const hop = dgram.createSocket('udp4');
  await new Promise<void>((r) => hop.bind(0, '127.0.0.1', () => r()));
  const [localRtpPort, localRtcpPort] = [await freePort(), await freePort()];
  const ingest = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: false, comedia: false });
  // RTP comes from the hop; the worker's RTCP goes straight to the relay.
  await ingest.connect({ ip: '127.0.0.1', port: hop.address().port, rtcpPort: localRtcpPort });
  const forwarder = await RtpForwarder.open({
    rtpPort: hop.address().port, rtcpPort: ingest.rtcpTuple!.localPort, localRtpPort, localRtcpPort, ssrc: 0xabc, payloadType: 96,
    codec: nalCodec('H264')!, cameraPayloadType: 96, clockRate: 90000, sets: {}, toCamera: () => undefined,
  });
  let index = 0;
  hop.on('message', (m) => {
    const i = index++;
    if (i >= 5 && i <= 8) return; // lost on the way into the worker
    hop.send(m, ingest.tuple.localPort, '127.0.0.1');
  });
  const { seen, close } = await consumed(ingest, 0xabc, nack);
  const packets = gop(58);
  for (const p of packets) forwarder.rtp(p);
  await settle(seen, packets.length);
  const result = { received: seen.size, resent: forwarder.stats.resent };
  forwarder.close();
  hop.close();
  close();
  ingest.close();
  return result;
}

/** With NACK every packet reaches the consumer, at least the lost four sent again; without it the four stay lost. */
async function expectRecovered(run: (nack: boolean) => Promise<{ received: number; resent: number }>): Promise<void> {
  const withNack = await run(true);
  assert.equal(withNack.received, 60, `the consumer sent the whole GOP: ${JSON.stringify(withNack)}`);
  assert.ok(withNack.resent >= 4, `the lost packets were sent again: ${JSON.stringify(withNack)}`);
  const withoutNack = await run(false);
  assert.equal(withoutNack.received, 56, JSON.stringify(withoutNack));
  assert.equal(withoutNack.resent, 0);
}

test('packets of a fast start lost on the way into the worker are asked for again (NACK) and sent again', { timeout: 30_000 }, () => expectRecovered(replay));

test('packets of the shared stream lost on the way into the worker are sent again from the GOP cache', { timeout: 30_000 }, () => expectRecovered(forward));
