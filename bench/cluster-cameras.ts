// Many always-on cameras in a cluster: two media nodes and an edge (one PostgreSQL, one Redis)
// and N always-on cameras registered through node A. Prints how the cameras spread over the
// media nodes (the edge ingests none), how long until all are live, that each is pulled once
// (RTSP sessions counted by the sources: duplicates = sessions - cameras), the RTP packets lost
// between the sources and the nodes over a window, each node's worker CPU and the test
// process's CPU; then node B leaves and the time until node A carries every camera again,
// still one session each.
//   npm run bench:cluster-cameras [-- --cameras 300 --sources 3 --seconds 15]
// The cameras pull a few shared 360p test sources (one GStreamer process serves ~100 clients
// well here), so the sources' own cost stays small; both nodes run in this process.
import { parseArgs } from 'node:util';
import { cpuSeconds } from './lib/proc-stats.js';
import { startCamera, type TestCamera } from '../tests/support/camera.js';
import { clusterSettings } from '../tests/support/cluster.js';
import { createTestDatabase } from '../tests/support/postgres.js';
import { addCamera, adminBearer, startTestServer, type TestServer } from '../tests/support/server.js';
import { until } from '../tests/support/until.js';

const { values: args } = parseArgs({
  options: {
    cameras: { type: 'string', default: '300' },
    sources: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '15' },
  },
});
const N = Number(args.cameras);

const pg = await createTestDatabase();
const sources: TestCamera[] = await Promise.all(Array.from({ length: Number(args.sources) }, () => startCamera({ width: 640, height: 360, fps: 25, gop: 50, kbps: 600 })));
const shared = { ...clusterSettings(pg.url), media: { workers: 1 } };
const a = await startTestServer({ ...shared, monitoring: { nodeId: 'node-a' } });
let b: TestServer | undefined = await startTestServer({ ...shared, monitoring: { nodeId: 'node-b' } });
const edge = await startTestServer({ ...shared, cluster: { ...shared.cluster, role: 'edge' }, monitoring: { nodeId: 'node-c' } });
const sessions = () => sources.reduce((s, c) => s + c.clients, 0);
const live = (server: TestServer, ids: string[]) => ids.filter((id) => server.cameras.get(id).health.state === 'live').length;
try {
  await until('the nodes to see each other', () => [a, b!, edge].every((n) => n.ownership!.view().nodes.length === 3), 10_000);
  await adminBearer(a); // signed in once, before the parallel requests share it
  const t0 = Date.now();
  const ids: string[] = [];
  // In batches: each test source answers RTSP requests one at a time.
  for (let i = 0; i < N; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, N - i) }, (_, j) => addCamera(a, { name: `cam-${i + j}`, mainUrl: sources[(i + j) % sources.length]!.url, alwaysOn: true })));
    ids.push(...batch.map((r) => r.json.id as string));
    await until(`cameras ${i}..${i + batch.length} live`, () => live(a, ids) === ids.length, 120_000, 200);
  }
  const allLive = Date.now() - t0;
  const owned = { a: a.ownership!.view().owned.length, b: b.ownership!.view().owned.length, edge: edge.ownership!.view().owned.length };
  console.log(`# ${N} always-on cameras registered through node A: all live after ${(allLive / 1000).toFixed(1)} s; node A ingests ${owned.a}, node B ${owned.b}, the edge ${owned.edge}; RTSP sessions ${sessions()} (duplicates ${sessions() - N})`);
  // RTP packets lost between the sources and the nodes that ingest them (sequence gaps seen by the relay).
  const lost = () => {
    const owners = new Map<string, TestServer>();
    for (const n of [a, b!]) for (const id of n.ownership!.view().owned) owners.set(id, n);
    return ids.reduce((sum, id) => sum + (owners.get(id)?.cameras.stream(id, 'main').totals.packetsLost ?? 0), 0);
  };
  const lostBefore = lost();
  const workers = [a, b].map((s) => s.media.pool.slots[0]!.worker.pid);
  const before = { workers: workers.map(cpuSeconds), self: cpuSeconds(process.pid), at: Date.now() };
  await new Promise((r) => setTimeout(r, Number(args.seconds) * 1000));
  const wall = (Date.now() - before.at) / 1000;
  const pct = (sec: number) => `${((sec / wall) * 100).toFixed(0)} %`;
  console.log(`# over ${wall.toFixed(0)} s: worker CPU node A ${pct(cpuSeconds(workers[0]!) - before.workers[0]!)}, node B ${pct(cpuSeconds(workers[1]!) - before.workers[1]!)}; the nodes' process ${pct(cpuSeconds(process.pid) - before.self)}; live on A's view ${live(a, ids)}, on B's ${live(b, ids)}, on the edge's ${live(edge, ids)}; RTP packets lost ${lost() - lostBefore} (since the start: ${lost()}); RTSP sessions ${sessions()}`);

  // Node B leaves (a clean stop: its leases are released at once); A takes every camera.
  const t1 = Date.now();
  await b.stop();
  b = undefined;
  await until('node A to carry every camera', () => a.ownership!.view().owned.length === N && live(a, ids) === N, 180_000, 200);
  console.log(`# node B left: node A carries all ${N} cameras, live, ${((Date.now() - t1) / 1000).toFixed(1)} s later; RTSP sessions ${sessions()}`);
} finally {
  await edge.stop();
  await b?.stop();
  await a.stop();
  await Promise.all(sources.map((s) => s.stop()));
  await pg.drop();
}
