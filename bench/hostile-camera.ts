// Ten minutes (by default) of the worst a camera can send the RTSP relay, with the heap
// sampled after a full GC every 30 s: memory must stay flat. The camera, scripted in this
// process, answers DESCRIBE/SETUP/PLAY and then sends, over interleaved TCP, as fast as the
// relay reads:
//  - frames that never end (FU-A fragments without a marker), so the GOP cache fills to its cap;
//  - new in-band SPS/PPS in every keyframe (the relay copies them);
//  - sender reports with no clock (NTP 0), with a clock, and RTCP garbage;
//  - non-RTP garbage on the RTP channel, sequence jumps and a timestamp jump now and then;
//  - frames on channels it never set up, past the limit once in a while: the relay fails the
//    camera and a new relay starts, so sessions churn too.
// Meanwhile viewers open fast starts every 200 ms and start only half of them (closed 1.5 s
// later, as after a hand-over); the others must end by their timeout or queue bound.
// Prints one JSON line per sample and a verdict; exits 1 when the peak of heap + buffers in
// the last third of the run exceeds the first third's (after the first minute) by more than
// --max-growth-mb.
//   npm run bench:hostile-camera [-- --minutes 10 --max-growth-mb 16]
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { RtspRelayIngest } from '../server/media/RtspRelayIngest.js';
import { hostileServer, interleaved, validAnswer } from '../tests/support/hostile-rtsp.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'max-growth-mb': { type: 'string', default: '16' },
    'sample-seconds': { type: 'string', default: '30' },
  },
});
const MINUTES = Number(args.minutes);
const MAX_GROWTH_MB = Number(args['max-growth-mb']);
const SAMPLE_MS = Number(args['sample-seconds']) * 1000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:hostile-camera does)');

let seed = 0xbad5eed;
const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

function rtp(seq: number, ts: number, payload: Buffer, mark: boolean): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80; h[1] = (mark ? 0x80 : 0) | 96; h.writeUInt16BE(seq & 0xffff, 2); h.writeUInt32BE(ts >>> 0, 4); h.writeUInt32BE(0x1234, 8);
  return Buffer.concat([h, payload]);
}

/** One burst of the worst: ~100 packets of mixed hostility. */
function* burst(state: { seq: number; ts: number; n: number }): Generator<Buffer> {
  state.n++;
  // A keyframe with fresh parameter sets (STAP-A: SPS, PPS), then a frame that never ends.
  const sps = Buffer.concat([Buffer.from([0x67, 0x42, 0xc0, 0x1e]), Buffer.from(Array.from({ length: 8 }, () => rand(256)))]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80 | rand(128)]);
  const stap = Buffer.concat([Buffer.from([0x18, 0, sps.length]), sps, Buffer.from([0, pps.length]), pps]);
  state.ts += 3600;
  yield interleaved(0, rtp(state.seq++, state.ts, stap, false));
  yield interleaved(0, rtp(state.seq++, state.ts, Buffer.concat([Buffer.from([0x7c, 0x85]), Buffer.alloc(1300, rand(256))]), false));
  for (let i = 0; i < 80; i++) yield interleaved(0, rtp(state.seq++, state.ts, Buffer.concat([Buffer.from([0x7c, 0x05]), Buffer.alloc(1300, i)]), false));
  // Garbage on the RTP channel, RTCP of every kind.
  for (let i = 0; i < 5; i++) yield interleaved(0, Buffer.from(Array.from({ length: 1 + rand(1400) }, () => rand(256))));
  const sr = Buffer.alloc(28);
  sr[0] = 0x80; sr[1] = 200; sr.writeUInt16BE(6, 2); sr.writeUInt32BE(0x1234, 4);
  sr.writeBigUInt64BE(rand(2) ? 0n : BigInt(Math.floor(Date.now() / 1000) + 2_208_988_800) << 32n, 8); sr.writeUInt32BE(state.ts >>> 0, 16);
  yield interleaved(1, sr);
  yield interleaved(1, Buffer.from(Array.from({ length: 1 + rand(600) }, () => rand(256))));
  // Now and then: a sequence jump, a timestamp jump, a few stray-channel frames.
  // (A burst is ~110 kB: several hundred a second on this machine.)
  if (state.n % 50 === 0) state.seq += 20_000;
  if (state.n % 5000 === 0) state.ts += 90_000 * 3600;
  if (state.n % 20 === 0) yield interleaved(5, Buffer.alloc(200, 7));
  if (state.n % 20_000 === 0) for (let i = 0; i < 150; i++) yield interleaved(5, Buffer.alloc(200, 7));
}

/** The hostile camera: valid answers, then bursts of the worst from PLAY to TEARDOWN. */
function hostileCamera(): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new WeakMap<net.Socket, { state: { seq: number; ts: number; n: number }; playing: boolean }>();
  return hostileServer((r, s) => {
    let session = sessions.get(s);
    if (!session) sessions.set(s, session = { state: { seq: 0, ts: 0, n: 0 }, playing: false });
    const sess = session;
    const pump = () => {
      // As fast as the relay reads: write until the socket pushes back, go on when it drains.
      while (sess.playing && !s.destroyed) {
        let ok = true;
        for (const b of burst(sess.state)) ok = s.write(b) && ok;
        if (!ok) return void s.once('drain', pump);
      }
    };
    s.write(validAnswer(r.method, r.cseq));
    if (r.method === 'PLAY' && !sess.playing) {
      sess.playing = true;
      setImmediate(pump);
    }
    if (r.method === 'TEARDOWN') sess.playing = false;
  });
}

const camera = await hostileCamera();
// The PlainTransport's place: a socket that reads and drops, as mediasoup would for garbage.
const sink = dgram.createSocket('udp4');
sink.on('message', () => undefined);
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
const port = sink.address().port;
let relays = 0;
let relay: RtspRelayIngest;
const reasons = new Map<string, number>();
const startRelay = () => {
  relays++;
  relay = RtspRelayIngest.start({ url: camera.url, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort: 0, ssrc: 4242, payloadType: 96, ioTimeoutMs: 2000 });
  relay.once('exit', (e) => {
    reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
    if (!stopping) startRelay();
  });
};
let stopping = false;
startRelay();
let fastStarts = 0;
const viewers = setInterval(() => {
  const f = relay.openFastStart(1000 + (fastStarts % 1000), () => undefined);
  if (!f) return;
  // Half are started and closed after the hand-over time, as a viewer's would be; the other
  // half are never started and must end on their own.
  if (fastStarts++ % 2 === 0) {
    f.start();
    setTimeout(() => f.close(), 1500);
  }
}, 200);

const samples: Array<{ minute: number; heapMiB: number; externalMiB: number; rssMiB: number }> = [];
const sample = () => {
  gc();
  const m = process.memoryUsage();
  const s = { minute: Math.round(((Date.now() - t0) / 60_000) * 10) / 10, heapMiB: +(m.heapUsed / 2 ** 20).toFixed(1), externalMiB: +((m.external) / 2 ** 20).toFixed(1), rssMiB: +(m.rss / 2 ** 20).toFixed(1) };
  samples.push(s);
  console.log(JSON.stringify({ ...s, relays, fastStarts }));
};
const t0 = Date.now();
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    sample();
    if (Date.now() - t0 >= MINUTES * 60_000) {
      clearInterval(timer);
      resolve();
    }
  }, SAMPLE_MS);
});
stopping = true;
clearInterval(viewers);
await relay!.stop();
await camera.close();
sink.close();
const total = (s: { heapMiB: number; externalMiB: number }) => s.heapMiB + s.externalMiB;
// Buffers come and go in whole GOPs and fast-start queues (each bounded), so single samples
// swing by tens of MiB: a leak shows as the highest values rising. The peak of the last third
// of the run is compared with the peak of the first third after the first minute.
// (A run shorter than a few minutes has no settled part: all its samples are used.)
const settled = samples.filter((s) => s.minute >= 1).length >= 3 ? samples.filter((s) => s.minute >= 1) : samples;
const third = Math.max(1, Math.floor(settled.length / 3));
const peak = (list: typeof samples, f: (s: (typeof samples)[number]) => number) => Math.max(...list.map(f));
const early = settled.slice(0, third);
const late = settled.slice(-third);
const growth = peak(late, total) - peak(early, total);
console.log(JSON.stringify({
  summary: true, minutes: MINUTES, relays, fastStarts,
  heapAndExternalPeakMiB: { early: +peak(early, total).toFixed(1), late: +peak(late, total).toFixed(1), growth: +growth.toFixed(1) },
  heapPeakMiB: { early: peak(early, (s) => s.heapMiB), late: peak(late, (s) => s.heapMiB) },
  rssPeakMiB: { early: peak(early, (s) => s.rssMiB), late: peak(late, (s) => s.rssMiB) },
  exits: Object.fromEntries(reasons),
}));
if (growth > MAX_GROWTH_MB) {
  console.error(`heap and buffers grew by ${growth.toFixed(1)} MiB (more than ${MAX_GROWTH_MB})`);
  process.exit(1);
}
process.exit(0);
