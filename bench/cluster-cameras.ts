// Many always-on cameras in a cluster: two media nodes and an edge (one PostgreSQL, one Redis)
// and N always-on cameras registered through node A. Prints how the cameras spread over the
// media nodes (the edge ingests none), how long until all are live, that each is pulled once
// (RTSP sessions counted by the sources: duplicates = sessions - cameras), the RTP packets lost
// between the sources and the nodes over a window, each node's worker CPU and the test
// process's CPU; then node B leaves and the time until node A carries every camera again,
// still one session each.
//   npm run bench:cluster-cameras [-- --cameras 300 --sources 3 --seconds 15 --hold-backlog]
// The cameras pull a few shared 360p test sources (one GStreamer process serves ~100 clients
// well here), so the sources' own cost stays small. Node A runs in this process; node B and
// the edge are server processes of their own, as deployed (three nodes in one process read
// their sockets late under this load, and the sources drop what they cannot send).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cpuSeconds } from './lib/proc-stats.js';
import { startCamera, type TestCamera } from '../tests/support/camera.js';
import { clusterSettings } from '../tests/support/cluster.js';
import { createTestDatabase } from '../tests/support/postgres.js';
import { freePort } from '../tests/support/net.js';
import { startServerProcess } from '../tests/support/server-process.js';
import { addCamera, adminBearer, startTestServer } from '../tests/support/server.js';
import { until } from '../tests/support/until.js';

const { values: args } = parseArgs({
  options: {
    cameras: { type: 'string', default: '300' },
    sources: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '15' },
    // The sources wait for a slow reader instead of dropping (see TestCameraOptions.holdBacklog).
    'hold-backlog': { type: 'boolean', default: false },
  },
});
const N = Number(args.cameras);

const pg = await createTestDatabase();
const sources: TestCamera[] = await Promise.all(Array.from({ length: Number(args.sources) }, () => startCamera({ width: 640, height: 360, fps: 25, gop: 50, kbps: 600, ...(args['hold-backlog'] ? { holdBacklog: true } : {}) })));
const shared = { ...clusterSettings(pg.url), media: { workers: 1 } };
const metricsToken = 'bench-scrape-token-0123456789';
const a = await startTestServer({ ...shared, monitoring: { nodeId: 'node-a' } });
const dataDirs: string[] = [];
/** Another node, a server process of its own. */
const startNode = async (id: string, role: 'both' | 'edge') => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `giamsat-bench-${id}-`));
  dataDirs.push(dataDir);
  const output: string[] = [];
  const started = await startServerProcess({
    PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0', MEDIA_WORKERS: '1', LOG_LEVEL: 'warn',
    DATABASE_URL: pg.url, REDIS_URL: shared.cluster.redisUrl, CLUSTER_NAME: shared.cluster.name, NODE_ID: id, NODE_ROLE: role,
    CREDENTIALS_KEY: shared.credentialsKey, TOKEN_SECRET: shared.tokenSecret, AUDIT_KEY: shared.audit.key, METRICS_TOKEN: metricsToken,
  }, output);
  return { ...started, output };
};
let b: { proc: ChildProcess; url: string } | undefined = await startNode('node-b', 'both');
const edge = await startNode('node-c', 'edge');
/** A metric of node B, summed over its series. */
const scrapeB = async (metric: string): Promise<number> => {
  const text = await (await fetch(`${b!.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  return text.split('\n').filter((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
};
const load = (id: string) => a.ownership!.view().nodes.find((n) => n.id === id)?.load ?? 0;
const sessions = () => sources.reduce((s, c) => s + c.clients, 0);
const live = (ids: string[]) => ids.filter((id) => a.cameras.get(id).health.state === 'live').length;
try {
  await until('node A to see the others', () => a.ownership!.view().nodes.length === 3, 20_000);
  await adminBearer(a); // signed in once, before the parallel requests share it
  const t0 = Date.now();
  const ids: string[] = [];
  // In batches: each test source answers RTSP requests one at a time.
  for (let i = 0; i < N; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, N - i) }, (_, j) => addCamera(a, { name: `cam-${i + j}`, mainUrl: sources[(i + j) % sources.length]!.url, alwaysOn: true })));
    ids.push(...batch.map((r) => r.json.id as string));
    await until(`cameras ${i}..${i + batch.length} live`, () => live(ids) === ids.length, 120_000, 200);
  }
  const allLive = Date.now() - t0;
  const owned = { a: a.ownership!.view().owned.length, b: load('node-b'), edge: load('node-c') };
  console.log(`# ${N} always-on cameras registered through node A: all live after ${(allLive / 1000).toFixed(1)} s; node A ingests ${owned.a}, node B ${owned.b}, the edge ${owned.edge}; RTSP sessions ${sessions()} (duplicates ${sessions() - N})`);
  // RTP packets lost between the sources and the nodes that ingest them (sequence gaps seen by the relays).
  const lost = async () => ({ a: a.ownership!.view().owned.reduce((sum, id) => sum + a.cameras.stream(id, 'main').totals.packetsLost, 0), b: await scrapeB('giamsat_camera_rtp_packets_lost_total') });
  const lostBefore = await lost();
  const rcvbufErrorsBefore = udpRcvbufErrors();
  // What node A's producers say arrived from its relays: loss inside the node (relay -> worker over loopback UDP).
  const producerLoss = async () => (await Promise.all(a.ownership!.view().owned.map(async (id) => {
    const stats = await a.cameras.stream(id, 'main').producer?.getStats().catch(() => []) ?? [];
    return stats.reduce((sum, st) => sum + (st.packetsLost ?? 0), 0);
  }))).reduce((x, y) => x + y, 0);
  const producerLossBefore = await producerLoss();
  const lostBeforeAfterProducers = (await lost()).a;
  const startLoss = a.ownership!.view().owned.map((id) => a.cameras.stream(id, 'main').totals.packetsLost).sort((x, y) => y - x);
  console.log(`# while the cameras started: node A's cameras that lost packets ${startLoss.filter((n) => n > 0).length} of ${startLoss.length}, most ${startLoss[0]}, median ${startLoss[Math.floor(startLoss.length / 2)]}`);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const workers = [a.media.pool.slots[0]!.worker.pid];
  const before = { workers: workers.map(cpuSeconds), self: cpuSeconds(process.pid), b: cpuSeconds(b.proc.pid!), at: Date.now() };
  await new Promise((r) => setTimeout(r, Number(args.seconds) * 1000));
  const wall = (Date.now() - before.at) / 1000;
  const pct = (sec: number) => `${((sec / wall) * 100).toFixed(0)} %`;
  loopDelay.disable();
  const lostNow = await lost();
  const rcvbufErrors = udpRcvbufErrors() - rcvbufErrorsBefore;
  // The producers count every gap in what they receive: the camera's own gaps (forwarded as they
  // are) plus any the node adds between its relay and its worker. The difference is the node's.
  // Read between two reads of the relays' count (reading 150 producers' stats takes a while, and
  // the cameras go on dropping): the node's own loss lies between the two differences.
  const atProducers = await producerLoss() - producerLossBefore;
  const lostEndAfterProducers = (await lost()).a;
  const fewest = lostNow.a - lostBeforeAfterProducers;
  const most = lostEndAfterProducers - lostBefore.a;
  console.log(`# node A over the window: gaps arriving from the cameras ${fewest}..${most}, gaps seen by its producers ${atProducers}: lost inside the node ${Math.max(0, atProducers - most)}..${Math.max(0, atProducers - fewest)}; UDP datagrams this host dropped for full receive buffers ${rcvbufErrors} (net.core.rmem_default ${fs.readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim()})`);
  console.log(`# node A's event loop delay over the window: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`);
  console.log(`# over ${wall.toFixed(0)} s: node A's worker CPU ${pct(cpuSeconds(workers[0]!) - before.workers[0]!)}, node A's process ${pct(cpuSeconds(process.pid) - before.self)}, node B's process ${pct(cpuSeconds(b.proc.pid!) - before.b)}; live on A's view ${live(ids)}; RTP packets lost ${lostNow.a + lostNow.b - lostBefore.a - lostBefore.b} (node A's cameras ${lostNow.a - lostBefore.a}, node B's ${lostNow.b - lostBefore.b}; since the start ${lostNow.a + lostNow.b}); RTSP sessions ${sessions()}`);

  // Node B leaves (a clean stop: its leases are released at once); A takes every camera.
  const t1 = Date.now();
  await stopProcess(b.proc);
  b = undefined;
  await until('node A to carry every camera', () => a.ownership!.view().owned.length === N && live(ids) === N, 180_000, 200);
  console.log(`# node B left: node A carries all ${N} cameras, live, ${((Date.now() - t1) / 1000).toFixed(1)} s later; RTSP sessions ${sessions()}`);
} finally {
  await stopProcess(edge.proc);
  if (b) await stopProcess(b.proc);
  await a.stop();
  await Promise.all(sources.map((s) => s.stop()));
  await pg.drop();
  for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
}

/** The kernel's count of UDP datagrams dropped because a socket's receive buffer was full. */
function udpRcvbufErrors(): number {
  const [names, values] = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  return Number(values!.split(/\s+/)[names!.split(/\s+/).indexOf('RcvbufErrors')]);
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}
