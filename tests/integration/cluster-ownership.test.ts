// One ingest per camera in a cluster: two nodes on one PostgreSQL and one Redis, a camera
// registered through node A. Exactly one node owns it (a lease on Redis) and pulls it: the
// camera counts one RTSP session while viewers on both nodes watch, the other node's viewers
// through an SRTP pipe from the owner (keyframe requests travel back through it). An always-on
// camera runs on one node only, and both nodes show its health. When the owner leaves, the
// other node takes the camera over and its viewer gets video again by asking again, still
// over one RTSP session. The nodes' cluster routes answer nodes only; a node with another
// credentials key refuses to join. Real parts: PostgreSQL, Redis, mediasoup, a GStreamer
// camera, socket.io.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { createClient } from 'redis';
import { io, type Socket } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { PIPES_PATH } from '../../server/cluster/CameraOwnership.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { clusterSettings, REDIS_URL, type ClusterSettings } from '../support/cluster.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { openStreamSink } from '../support/rtp-sink.js';
import { addCamera, apiCall, login, openSocket, startTestServer, waitForHealth, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };

describe('a cluster ingests each camera once, and any node serves it', { timeout: 240_000 }, () => {
  let pg: TestPostgres;
  const nodes: Record<'a' | 'b' | 'c', TestServer | undefined> = { a: undefined, b: undefined, c: undefined };
  let camera: TestCamera;
  let alwaysOnCamera: TestCamera;
  const sockets: Socket[] = [];
  let shared: ClusterSettings;
  const node = (id: 'a' | 'b' | 'c') => nodes[id]!;
  const start = (id: 'a' | 'b' | 'c') => startTestServer({
    ...shared,
    cluster: { ...shared.cluster, publicUrl: `https://node-${id}.example.vn` },
    monitoring: { nodeId: `node-${id}` },
    media: { workers: 1 },
  });

  before(async () => {
    pg = await createTestDatabase();
    shared = clusterSettings(pg.url, { beatMs: 300 });
    [camera, alwaysOnCamera] = await Promise.all([startCamera({ width: 320, height: 180, fps: 15 }), startCamera({ width: 320, height: 180, fps: 15 })]);
    nodes.a = await start('a');
    nodes.b = await start('b');
  });
  after(async () => {
    for (const s of sockets) s.close();
    await nodes.c?.stop();
    await nodes.b?.stop();
    await nodes.a?.stop();
    await camera?.stop();
    await alwaysOnCamera?.stop();
    await pg?.drop();
  });

  const open = async (server: TestServer, token: string): Promise<Socket> => {
    const s = await openSocket(server, token);
    sockets.push(s);
    return s;
  };
  /** The nodes that ingest the camera (a node that pipes it in leaves its own stream idle). */
  const owners = (cameraId: string) => (['a', 'b', 'c'] as const).filter((id) => nodes[id] && nodes[id].cameras.stream(cameraId, 'main').status.phase !== 'idle');

  let cameraId: string;
  let alwaysOnId: string;

  test('a camera added through node A is pulled once, and plays on both nodes', async () => {
    cameraId = (await addCamera(node('a'), { name: 'Cổng chính', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
    await until('node B to know the camera', () => node('b').cameras.has(cameraId), 10_000);
    // A viewer on B, through signaling: the view is authorized and served there.
    const viewer = await login(node('b'), 'khachsan');
    const s = await open(node('b'), viewer.accessToken);
    const transport: Ack = await s.timeout(10_000).emitWithAck('createTransport', {});
    assert.equal(transport.ok, true, JSON.stringify(transport));
    const consumed: Ack = await s.timeout(20_000).emitWithAck('consume', { transportId: transport.data.id, cameraId, rtpCapabilities: node('b').media.rtpCapabilities });
    assert.equal(consumed.ok, true, JSON.stringify(consumed));
    // Media reaches a receiver on each node, starting with a keyframe and its parameter sets.
    const onB = await openStreamSink(await node('b').ownership!.streamFor(cameraId, 'main'));
    const onA = await openStreamSink(await node('a').ownership!.streamFor(cameraId, 'main'));
    try {
      await Promise.all([onB.waitForIdr(15_000), onA.waitForIdr(15_000)]);
      assert.equal(onB.idr.withParameterSets, onB.idr.total, await onB.describe());
      await Promise.all([onB.waitForPackets(30), onA.waitForPackets(30)]);
      assert.equal(camera.clients, 1, 'one RTSP session for viewers on two nodes');
      const pulling = owners(cameraId);
      assert.equal(pulling.length, 1, `exactly one node ingests the camera (${pulling.join(', ')})`);
      const owner = node(pulling[0]!);
      const other = node(pulling[0] === 'a' ? 'b' : 'a');
      assert.equal(owner.ownership!.pipes.exported >= 1, true, 'the owner feeds a pipe');
      assert.equal(other.ownership!.pipes.imported, 1, 'the other node pipes the camera in');
      console.log(`# camera owned by ${pulling[0]}; first keyframe ${onA.firstIdrMs} ms (A), ${onB.firstIdrMs} ms (B) after asking`);
      // Prometheus sees the cluster from either node: every node's cameras, and this node's pipes.
      const scraped = await other.metrics.registry.metrics();
      assert.match(scraped, /^giamsat_cluster_nodes\{role="both"\} 2$/m);
      assert.match(scraped, new RegExp(`^giamsat_cluster_node_cameras\\{node="node-${pulling[0]}"\\} 1$`, 'm'));
      assert.match(scraped, /^giamsat_cluster_pipes\{direction="in"\} 1$/m);
      assert.match(await owner.metrics.registry.metrics(), /^giamsat_cluster_cameras_owned 1$/m);
    } finally {
      await onA.close();
      await onB.close();
    }
    s.close();
  });

  test('an always-on camera runs on one node only, and both nodes show it live', async () => {
    const id = alwaysOnId = (await addCamera(node('a'), { name: 'Hành lang', mainUrl: alwaysOnCamera.url, alwaysOn: true, facilityId: DEMO_IDS.hotel })).json.id;
    await Promise.all([waitForHealth(node('a'), id, (h) => h.state === 'live', 20_000), waitForHealth(node('b'), id, (h) => h.state === 'live', 20_000)]);
    await alwaysOnCamera.waitForClients(1);
    const pulling = owners(id);
    assert.equal(pulling.length, 1, `exactly one node ingests it (${pulling.join(', ')})`);
    // Still one after several sweeps of both nodes.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(alwaysOnCamera.clients, 1);
    assert.deepEqual(owners(id), pulling);
  });

  test('plugins asking which cameras a node ingests cost no Redis read per camera', async () => {
    // Recording, motion and snapshots ask about every camera every few seconds; at 20,000
    // cameras a read each would be thousands of Redis commands a second per node.
    const monitor = createClient({ url: REDIS_URL });
    await monitor.connect();
    const reads: string[] = [];
    await monitor.monitor((line) => {
      if (line.includes(`${shared.cluster.name}:owner:`) && /\] "(get|mget)"/i.test(line)) reads.push(line);
    });
    try {
      const answers = await Promise.all((['a', 'b'] as const).map(async (id) => Promise.all(Array.from({ length: 40 }, () => node(id).ownership!.ingestsHere(alwaysOnId)))));
      const says = (['a', 'b'] as const).filter((_, n) => answers[n]!.every(Boolean));
      assert.deepEqual(says, owners(alwaysOnId), 'the node that pulls the camera, and only it, says it ingests it');
      assert.ok(answers.flat().filter(Boolean).length === 40, JSON.stringify(answers));
      await new Promise((r) => setImmediate(r));
    } finally {
      await monitor.close();
    }
    const gets = reads.filter((l) => /\] "get"/i.test(l));
    // The owner answers from its held leases; the other reads them all with one MGET (the
    // nodes' sweeps may add one each in the meantime).
    console.log(`# ${2 * 40} questions: ${gets.length} GETs, ${reads.length - gets.length} MGETs on the owner keys`);
    assert.equal(gets.length, 0, gets.join('\n'));
    assert.ok(reads.length <= 4, reads.join('\n'));
  });

  test('the cluster routes answer nodes only; bad requests are refused and change nothing', async () => {
    const url = `${node('a').url}${PIPES_PATH}`;
    const fed = node('a').ownership!.pipes.exported;
    const body = JSON.stringify({ cameraId, stream: 'main', edge: { ip: '127.0.0.1', port: 9, srtpParameters: { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: 'A'.repeat(40) } } });
    const post = (authorization: string | undefined, b = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: b });
    assert.equal((await post(undefined)).status, 404, 'no token');
    const person = await login(node('a'), 'quocgia');
    assert.equal((await post(`Node ${person.accessToken}`)).status, 404, 'a person\'s token is no node\'s');
    assert.equal((await post(`Node ${jwt.sign({}, 'wrong-secret', { subject: 'node-x', audience: 'giamsat-node', issuer: 'giamsat' })}`)).status, 404, 'forged');
    const genuine = `Node ${jwt.sign({}, Buffer.from(shared.tokenSecret, 'base64'), { subject: 'node-x', audience: 'giamsat-node', issuer: 'giamsat', expiresIn: 30 })}`;
    const probe = await post(genuine, '{"cameraId":"x"}');
    assert.equal(probe.status, 400, 'a genuine token with a malformed body');
    assert.equal((await post(genuine, JSON.stringify({ ...JSON.parse(body), cameraId: randomUUID() }))).status, 404, 'unknown camera');
    assert.equal((await fetch(`${url}/${randomUUID()}`, { method: 'DELETE', headers: { authorization: genuine } })).status, 404);
    assert.equal(node('a').ownership!.pipes.exported, fed, 'no pipe was opened for them');
  });

  /** The nodes a page on `server` is told it may reconnect through, as it connects. */
  const nodesToldBy = async (server: TestServer): Promise<string[]> => {
    const s = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: (await login(server, 'khachsan')).accessToken } });
    sockets.push(s);
    try {
      return await new Promise<string[]>((resolve, reject) => {
        s.once('nodes', ({ urls }: { urls: string[] }) => resolve(urls)).once('connect_error', reject);
      });
    } finally {
      s.close();
    }
  };

  test('pages are told the nodes they may reconnect through, and may connect to them', async () => {
    assert.deepEqual(await nodesToldBy(node('b')), ['https://node-a.example.vn', 'https://node-b.example.vn']);
    // The page's policy lets its socket reach the other nodes (both schemes: CSP matches literally).
    const csp = (await fetch(`${node('b').url}/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /connect-src 'self' https:\/\/node-a\.example\.vn wss:\/\/node-a\.example\.vn https:\/\/node-b\.example\.vn wss:\/\/node-b\.example\.vn;/);
    // A connected page hears of a node that comes.
    const watcherSocket = await open(node('b'), (await login(node('b'), 'khachsan')).accessToken);
    const told = new Promise<string[]>((resolve) => watcherSocket.on('nodes', ({ urls }: { urls: string[] }) => { if (urls.length === 3) resolve(urls); }));
    nodes.c = await start('c');
    assert.deepEqual(await told, ['https://node-a.example.vn', 'https://node-b.example.vn', 'https://node-c.example.vn']);
    await nodes.c.stop();
    nodes.c = undefined;
    watcherSocket.close();
  });

  test('a node with another credentials key refuses to join', async () => {
    await assert.rejects(startTestServer({ ...shared, credentialsKey: randomBytes(32).toString('base64'), monitoring: { nodeId: 'node-c' }, media: { workers: 1 } }), /CREDENTIALS_KEY/);
  });

  let watcher: { socket: Socket; transportId: string };
  test('when the owner leaves, the other node takes the camera over and its viewer gets video again', async () => {
    // A viewer on B watches; whichever node owns the camera, the one that stays goes on serving.
    const viewer = await login(node('b'), 'khachsan');
    const s = await open(node('b'), viewer.accessToken);
    const transport: Ack = await s.timeout(10_000).emitWithAck('createTransport', {});
    const consumed: Ack = await s.timeout(20_000).emitWithAck('consume', { transportId: transport.data.id, cameraId, rtpCapabilities: node('b').media.rtpCapabilities });
    assert.equal(consumed.ok, true, JSON.stringify(consumed));
    await camera.waitForClients(1);
    const pulling = owners(cameraId);
    assert.equal(pulling.length, 1);
    if (pulling[0] === 'b') {
      // B owns it: A leaving changes nothing for B's viewer (checked below all the same).
      console.log('# B owned the camera; A leaves');
    }
    const closed = new Promise<{ reason: string }>((resolve) => s.on('consumerClosed', resolve));
    const t0 = Date.now();
    await node('a').stop();
    nodes.a = undefined;
    if (pulling[0] === 'a') {
      const ended = await closed;
      assert.equal(ended.reason, 'camera stream restarted');
      // The page asks again (as the web client does after a camera restart): B takes it over.
      await until('the view to be served again', async () => {
        const again: Ack = await s.timeout(20_000).emitWithAck('consume', { transportId: transport.data.id, cameraId, rtpCapabilities: node('b').media.rtpCapabilities });
        return again.ok;
      }, 20_000);
    }
    const sink = await openStreamSink(await node('b').ownership!.streamFor(cameraId, 'main'));
    try {
      await sink.waitForIdr(15_000);
      console.log(`# video again on B ${Date.now() - t0} ms after the owner left`);
    } finally {
      await sink.close();
    }
    assert.deepEqual(owners(cameraId), ['b']);
    await camera.waitForClients(1);
    watcher = { socket: s, transportId: transport.data.id };
  });

  test('a drained node hands its cameras to another; its viewers are served from there', async () => {
    nodes.c = await start('c');
    await until('node B to see node C', () => node('b').ownership!.view().nodes.some((n) => n.id === 'node-c'), 5000);
    const ops = (await login(node('b'), 'vanhanh')).accessToken;
    // Only ops at nation scope may drain, and only a clustered node can.
    const police = (await login(node('b'), 'congan')).accessToken;
    assert.equal((await apiCall(node('b'), police, 'POST', '/api/ops/cluster/drain')).status, 404);
    const closed = new Promise<{ reason: string }>((resolve) => watcher.socket.once('consumerClosed', resolve));
    const t0 = Date.now();
    const drained = await apiCall(node('b'), ops, 'POST', '/api/ops/cluster/drain');
    assert.equal(drained.status, 200, JSON.stringify(drained.json));
    assert.equal(drained.json.handedOver >= 2, true, 'the on-demand camera being watched and the always-on one');
    // B's viewer is told, asks again, and is served through a pipe from C.
    assert.equal((await closed).reason, 'camera stream restarted');
    await until('the view to be served again', async () => {
      const again: Ack = await watcher.socket.timeout(20_000).emitWithAck('consume', { transportId: watcher.transportId, cameraId, rtpCapabilities: node('b').media.rtpCapabilities });
      return again.ok;
    }, 20_000);
    const sink = await openStreamSink(await node('b').ownership!.streamFor(cameraId, 'main'));
    try {
      await sink.waitForIdr(15_000);
    } finally {
      await sink.close();
    }
    console.log(`# video again on the drained node ${Date.now() - t0} ms after the drain`);
    assert.deepEqual(owners(cameraId), ['c']);
    await until('the always-on camera to run on C', () => owners(alwaysOnId).join() === 'c', 10_000);
    await Promise.all([camera.waitForClients(1), alwaysOnCamera.waitForClients(1)]);
    const view = await apiCall(node('c'), (await login(node('c'), 'vanhanh')).accessToken, 'GET', '/api/ops/cluster');
    assert.equal(view.status, 200);
    assert.equal(view.json.clustered, true);
    assert.deepEqual(view.json.nodes.map((n: { id: string; draining: boolean }) => [n.id, n.draining]), [['node-b', true], ['node-c', false]]);
    assert.deepEqual(new Set(view.json.owned), new Set([cameraId, alwaysOnId]));
    assert.equal(view.json.pipes.exported.some((p: { cameraId: string; edge: string }) => p.cameraId === cameraId && p.edge === 'node-b'), true);
    const audited = await node('c').db.prisma.auditEntry.findFirst({ where: { action: 'node.drain' } });
    assert.equal(audited?.target, 'node:node-b');
    // New pages are not sent to a draining node.
    assert.deepEqual(await nodesToldBy(node('c')), ['https://node-c.example.vn']);
  });
});
