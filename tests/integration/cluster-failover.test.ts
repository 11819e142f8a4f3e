// A media node killed with SIGKILL in a cluster of two: node A is a separate server process
// (killed where no shutdown code runs), node B runs in this process, both on one PostgreSQL and
// one Redis. Camera X is B's, camera Y is A's; B's receiver of Y is piped from A. After the
// kill, A's record expires, B's pipe from A ends and B takes Y over: video again on B, timed.
// The 24/7 history then says "unknown" from A's last beat only for Y (A's camera), nothing for
// X (B's, live all along), and A's open view session is closed at its last beat.
// Real parts: PostgreSQL, Redis, mediasoup, GStreamer cameras, a server process, socket.io.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CRASH_REASON } from '../../server/cameras/heartbeat.repository.js';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { clusterSettings, REDIS_URL } from '../support/cluster.js';
import { freePort } from '../support/net.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { openStreamSink } from '../support/rtp-sink.js';
import { startServerProcess } from '../support/server-process.js';
import { apiCall, login, openSocket, startTestServer, waitForHealth, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };

describe('a media node killed in a cluster', { timeout: 240_000 }, () => {
  let pg: TestPostgres;
  let b: TestServer;
  let a: ChildProcess | undefined;
  let camX: TestCamera;
  let camY: TestCamera;
  const output: string[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-cluster-'));

  before(async () => {
    pg = await createTestDatabase();
    [camX, camY] = await Promise.all([startCamera({ width: 320, height: 180, fps: 15 }), startCamera({ width: 320, height: 180, fps: 15 })]);
  });
  after(async () => {
    if (a && a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
    await b?.stop();
    await camX?.stop();
    await camY?.stop();
    await pg?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the other node takes the dead node\'s camera over; the history blames only the dead node\'s cameras', async () => {
    const shared = clusterSettings(pg.url, { beatMs: 300 });
    const { cluster } = shared;
    const monitoring = { heartbeatSeconds: 1 };
    b = await startTestServer({ ...shared, monitoring: { ...monitoring, nodeId: 'node-b' }, media: { workers: 1 } });
    const admin = (await login(b, 'quantri-tw')).accessToken;
    const x = await apiCall(b, admin, 'POST', '/api/cameras', { name: 'Cổng B', mainUrl: camX.url, alwaysOn: true, facilityId: DEMO_IDS.hotel });
    assert.equal(x.status, 201, JSON.stringify(x.json));
    await waitForHealth(b, x.json.id, (h) => h.state === 'live', 20_000);

    // Node A, a process of its own: Y is placed on it (B carries X already).
    const configFile = path.join(dataDir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({ demoAccounts: true, auth: { totp: 'off' }, cluster, monitoring, audit: shared.audit }));
    const started = await startServerProcess({
      PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0', MEDIA_WORKERS: '1', GIAMSAT_CONFIG: configFile, LOG_LEVEL: 'info',
      DATABASE_URL: pg.url, REDIS_URL, CLUSTER_NAME: cluster.name, NODE_ID: 'node-a', CREDENTIALS_KEY: shared.credentialsKey, TOKEN_SECRET: shared.tokenSecret,
    }, output);
    a = started.proc;
    const aUrl = { url: started.url };
    await until('node B to see node A', () => b.ownership!.view().nodes.some((n) => n.id === 'node-a'), 10_000);
    const y = await apiCall(aUrl, (await login(aUrl, 'quantri-tw')).accessToken, 'POST', '/api/cameras', { name: 'Cổng A', mainUrl: camY.url, alwaysOn: true, facilityId: DEMO_IDS.hotel });
    assert.equal(y.status, 201, JSON.stringify(y.json));
    await camY.waitForClients(1, 20_000);
    await waitForHealth(b, y.json.id, (h) => h.state === 'live', 20_000);
    assert.equal(b.cameras.stream(y.json.id, 'main').status.phase, 'idle', 'B does not pull A\'s camera');

    // A viewer on A (its view session is A's), and a receiver on B piped from A.
    const viewerOnA = await openSocket(aUrl, (await login(aUrl, 'khachsan')).accessToken);
    const transport: Ack = await viewerOnA.timeout(10_000).emitWithAck('createTransport', {});
    const consumed: Ack = await viewerOnA.timeout(20_000).emitWithAck('consume', { transportId: transport.data.id, cameraId: y.json.id, rtpCapabilities: b.media.rtpCapabilities });
    assert.equal(consumed.ok, true, JSON.stringify(consumed));
    const piped = await openStreamSink(await b.ownership!.streamFor(y.json.id, 'main'));
    await piped.waitForIdr(15_000);
    await piped.close();
    const sink = await openStreamSink(await b.ownership!.streamFor(y.json.id, 'main'));
    await sink.waitForPackets(20);
    await until('A\'s view session to be recorded', async () => (await b.db.prisma.viewSession.count({ where: { nodeId: 'node-a', cameraId: y.json.id, endedAt: null } })) === 1, 10_000);

    const killedAt = Date.now();
    a.kill('SIGKILL');
    await new Promise((r) => a!.once('exit', r));
    viewerOnA.close();
    // B hears A is gone (three missed beats), its pipe from A ends, and Y comes back on B.
    await until('B to take camera Y over', () => b.cameras.stream(y.json.id, 'main').status.phase === 'running', 15_000);
    const again = await openStreamSink(await b.ownership!.streamFor(y.json.id, 'main'));
    try {
      await again.waitForIdr(15_000);
    } finally {
      await again.close();
      await sink.close();
    }
    const failoverMs = Date.now() - killedAt;
    console.log(`# kill -9 of the owner to the next keyframe on B: ${failoverMs} ms`);
    assert.ok(failoverMs <= 10_000, `video again within 10 s (${failoverMs} ms)`);
    await camY.waitForClients(1);

    // B recovers A (three silent heartbeats): unknown rows for Y only, A's view closed at its last beat.
    await until('B to recover the dead node', async () => (await b.db.prisma.monitorHeartbeat.findUnique({ where: { nodeId: 'node-a' } }))?.stopped === true, 15_000);
    const lastBeat = (await b.db.prisma.monitorHeartbeat.findUniqueOrThrow({ where: { nodeId: 'node-a' } })).beatAt;
    // Beats are 1 s apart; a loaded machine may delay one by a few seconds.
    assert.ok(lastBeat.getTime() <= killedAt && lastBeat.getTime() >= killedAt - 5000, `the last beat is just before the kill (${killedAt - lastBeat.getTime()} ms)`);
    const unknownRows = await b.db.prisma.cameraHealthEvent.findMany({ where: { state: 'unknown', reason: CRASH_REASON } });
    assert.deepEqual(unknownRows.map((r) => [r.cameraId, r.nodeId]), [[y.json.id, 'node-a']], 'unknown only for the dead node\'s camera');
    assert.equal(unknownRows[0]!.at.getTime(), lastBeat.getTime());
    const session = await b.db.prisma.viewSession.findFirstOrThrow({ where: { nodeId: 'node-a', cameraId: y.json.id } });
    assert.equal(session.endReason, CRASH_REASON);
    assert.equal(session.endedAt?.getTime(), Math.max(lastBeat.getTime(), session.startedAt.getTime()));
    // X was B's and stayed live: nothing but its own states.
    const xRows = await b.db.prisma.cameraHealthEvent.findMany({ where: { cameraId: x.json.id } });
    assert.ok(xRows.every((r) => r.nodeId === 'node-b' && r.state !== 'unknown'), JSON.stringify(xRows.map((r) => [r.state, r.nodeId])));
    // Y's states after the kill are B's.
    const yAfter = await b.db.prisma.cameraHealthEvent.findMany({ where: { cameraId: y.json.id, at: { gt: lastBeat } }, orderBy: { at: 'asc' } });
    assert.ok(yAfter.some((r) => r.nodeId === 'node-b' && r.state === 'live'), JSON.stringify(yAfter.map((r) => [r.state, r.nodeId])));
    assert.match(output.join(''), /registered in the cluster/);
  });
});
