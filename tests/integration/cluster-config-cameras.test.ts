// Nodes started together from one configuration file that names the same always-on camera
// (how an operator brings up a cluster of processes on one host): they agree on one camera
// record and on one owner, so the camera counts one RTSP session, and both nodes show it live.
// Real parts: PostgreSQL, Redis, mediasoup, a GStreamer camera.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCamera, type TestCamera } from '../support/camera.js';
import { clusterSettings } from '../support/cluster.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { startTestServer, waitForHealth, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

describe('nodes sharing a configuration file that names the same camera', { timeout: 120_000 }, () => {
  let pg: TestPostgres;
  let camera: TestCamera;
  let nodes: TestServer[] = [];

  before(async () => {
    [pg, camera] = await Promise.all([createTestDatabase(), startCamera({ width: 320, height: 180, fps: 15 })]);
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await camera?.stop();
    await pg?.drop();
  });

  test('agree on one record and one owner: one RTSP session, live on every node', async () => {
    const shared = { ...clusterSettings(pg.url, { beatMs: 300 }), media: { workers: 1 }, cameras: [{ name: 'Cổng cấu hình', mainUrl: camera.url, alwaysOn: true }] };
    // Started at the same moment, as a process manager starts them.
    nodes = await Promise.all(['node-a', 'node-b', 'node-c'].map((nodeId) => startTestServer({ ...shared, monitoring: { nodeId } })));
    const ids = nodes.map((n) => n.cameras.list().map((c) => c.id));
    assert.equal(ids[0]!.length, 1, 'one camera record');
    assert.deepEqual(ids[1], ids[0]);
    assert.deepEqual(ids[2], ids[0]);
    const id = ids[0]![0]!;
    await Promise.all(nodes.map((n) => waitForHealth(n, id, (h) => h.state === 'live', 30_000)));
    await camera.waitForClients(1);
    const owners = () => nodes.filter((n) => n.ownership!.view().owned.includes(id)).map((n) => n.ownership!.view().self);
    await until('one owner', () => owners().length === 1, 10_000);
    // Still one after several sweeps of every node.
    await new Promise((r) => setTimeout(r, 2000)); // a span of sweeps (one per second per node) to hold through, not an event to wait for
    assert.equal(owners().length, 1, `owners: ${owners().join(', ')}`);
    assert.equal(camera.mostClients, 1, 'never two RTSP sessions');
  });
});
