// The latency one node-to-node hop adds: two nodes (one PostgreSQL, one Redis), one camera owned
// by node A; receivers of the same camera on A (local) and on B (piped from A over the SRTP
// pipe), in the same run. Each receiver notes when the first packet of every frame (by RTP
// timestamp, which neither consumers nor pipes rewrite) arrives; the hop is B's arrival minus
// A's for the same frame. A second local receiver on A against the first gives the noise
// floor of the measure itself.
//   npm run bench:hop [-- --seconds 30 --fps 25 --width 1280 --height 720]
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ViewableStream } from '../server/media/View.js';
import { DEMO_IDS } from '../server/demo/demo-province.js';
import { startCamera } from '../tests/support/camera.js';
import { createTestDatabase } from '../tests/support/postgres.js';
import { plainReceiver } from '../tests/support/rtp-sink.js';
import { addCamera, startTestServer } from '../tests/support/server.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    fps: { type: 'string', default: '25' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
  },
});

/** A plain RTP receiver of `stream`: frame (RTP timestamp) -> arrival of its first packet (ms). */
async function receiver(stream: ViewableStream) {
  const release = stream.acquire();
  const producer = await stream.waitForProducer(20_000);
  const router = stream.slot!.router;
  const { sock, transport } = await plainReceiver(router);
  const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
  const frames = new Map<number, number>();
  sock.on('message', (msg) => {
    const at = performance.now();
    if (msg.length < 12 || (msg[1]! & 0x7f) >= 72 && (msg[1]! & 0x7f) <= 95) return; // RTCP
    const ts = msg.readUInt32BE(4);
    if (!frames.has(ts)) frames.set(ts, at);
  });
  return {
    frames,
    close() {
      consumer.close();
      transport.close();
      sock.close();
      release();
    },
  };
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
function summary(label: string, a: Map<number, number>, b: Map<number, number>): void {
  const deltas = [...a].filter(([ts]) => b.has(ts)).map(([ts, at]) => b.get(ts)! - at).sort((x, y) => x - y);
  if (deltas.length === 0) {
    console.log(`${label}: no frame seen by both`);
    return;
  }
  const f = (x: number) => x.toFixed(2).padStart(7);
  console.log(`${label.padEnd(28)} frames ${String(deltas.length).padStart(5)}  p50 ${f(pct(deltas, 50))} ms  p95 ${f(pct(deltas, 95))} ms  p99 ${f(pct(deltas, 99))} ms  max ${f(deltas[deltas.length - 1]!)} ms`);
}

const pg = await createTestDatabase();
const camera = await startCamera({ width: Number(args.width), height: Number(args.height), fps: Number(args.fps), gop: 2 * Number(args.fps), kbps: 2500 });
const shared = {
  databaseUrl: pg.url,
  credentialsKey: randomBytes(32).toString('base64'),
  tokenSecret: randomBytes(32).toString('base64'),
  audit: { key: randomBytes(32).toString('base64') },
  cluster: { redisUrl: 'redis://127.0.0.1:6379', name: `bench-${randomUUID().slice(0, 8)}`, beatMs: 500 },
  media: { workers: 1 },
};
const a = await startTestServer({ ...shared, monitoring: { nodeId: 'node-a' } });
const b = await startTestServer({ ...shared, monitoring: { nodeId: 'node-b' } });
try {
  const id = (await addCamera(a, { name: 'Hop', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
  // A asks first: it places the camera on itself (equal loads, its id first) and ingests it.
  const local = await receiver(await a.ownership!.streamFor(id, 'main'));
  const twin = await receiver(await a.ownership!.streamFor(id, 'main'));
  const piped = await receiver(await b.ownership!.streamFor(id, 'main'));
  if (!a.ownership!.view().owned.includes(id)) throw new Error('node A does not own the camera');
  console.log(`# ${args.width}x${args.height} @ ${args.fps} fps, ${args.seconds} s; camera owned by node A, piped to node B`);
  await new Promise((r) => setTimeout(r, Number(args.seconds) * 1000));
  summary('local A vs local A (noise)', local.frames, twin.frames);
  summary('local A vs piped to B (hop)', local.frames, piped.frames);
  for (const r of [local, twin, piped]) r.close();
} finally {
  await b.stop();
  await a.stop();
  await camera.stop();
  await pg.drop();
}
