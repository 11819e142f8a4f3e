// Plugins in a cluster: continuous work on a camera runs once, on the node that ingests it.
// Two nodes share PostgreSQL, Redis and one plugin storage folder (as a deployment mounts one
// volume on every node), both configured to record the same camera and to take snapshots on
// demand. The camera is recorded by exactly one node (no pipe to the other, one RTSP session);
// the recordings are listed through either node; a snapshot asked for on the node that does
// not ingest the camera is piped from the owner (still one RTSP session); when the owner stops,
// the other node records on. Real parts: PostgreSQL, Redis, mediasoup, a GStreamer camera,
// ffmpeg writing segments and JPEGs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { clusterSettings } from '../support/cluster.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { addCamera, login, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

const CAMERA = 'Phòng ghi hình cụm';

describe('plugins in a cluster run each camera\'s continuous work once, on its owner', { timeout: 180_000 }, () => {
  let pg: TestPostgres;
  let camera: TestCamera;
  let storage: string;
  const nodes: Record<'a' | 'b', TestServer | undefined> = { a: undefined, b: undefined };
  const node = (id: 'a' | 'b') => nodes[id]!;
  let cameraId: string;

  before(async () => {
    pg = await createTestDatabase();
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-shared-plugins-'));
    const shared = {
      ...clusterSettings(pg.url, { beatMs: 300 }),
      pluginStorageDir: storage,
      media: { workers: 1 },
      plugins: {
        recording: { config: { cameras: [{ name: CAMERA }], segmentSeconds: 2, maxDiskMB: 1000, retentionCheckSeconds: 1 } },
        snapshots: { config: { intervalSeconds: 0 } },
      },
    };
    camera = await startCamera({ width: 320, height: 180, fps: 15, gop: 15 });
    nodes.a = await startTestServer({ ...shared, monitoring: { nodeId: 'node-a' } });
    nodes.b = await startTestServer({ ...shared, monitoring: { nodeId: 'node-b' } });
  });
  after(async () => {
    await nodes.b?.stop();
    await nodes.a?.stop();
    await camera?.stop();
    await pg?.drop();
    if (storage) fs.rmSync(storage, { recursive: true, force: true });
  });

  const segments = () => {
    const dir = path.join(storage, 'recording', cameraId);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort() : [];
  };
  const owner = async (): Promise<'a' | 'b' | undefined> => {
    for (const id of ['a', 'b'] as const) if (nodes[id] && (await nodes[id].ownership!.describe()).owned.includes(cameraId)) return id;
    return undefined;
  };
  const listed = async (server: TestServer) => {
    const { accessToken } = await login(server, 'khachsan');
    const from = new Date(Date.now() - 600_000).toISOString();
    const res = await fetch(`${server.url}/plugins/recording/cameras/${cameraId}/segments?from=${from}`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as Array<{ name: string }>;
  };

  test('the camera is recorded by one node; either node lists the recordings', async () => {
    cameraId = (await addCamera(node('a'), { name: CAMERA, mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
    await until('three segments in the shared storage', () => segments().length >= 3, 40_000);
    const recorder = await owner();
    assert.ok(recorder, 'a node ingests the camera (its recorder claimed it)');
    const other = recorder === 'a' ? 'b' : 'a';
    // The other node's recorder taps nothing: no pipe from the owner, one RTSP session.
    assert.equal(node(other).ownership!.pipes.imported, 0, 'the other node pipes nothing in');
    assert.equal(node(recorder).ownership!.pipes.exported, 0, 'the owner feeds no pipe');
    assert.equal(camera.mostClients, 1, 'one RTSP session, ever');
    const [onOwner, onOther] = await Promise.all([listed(node(recorder)), listed(node(other))]);
    assert.ok(onOther.length >= 3, 'the node that does not record lists the recordings (shared storage)');
    assert.deepEqual(onOther.map((s) => s.name).slice(0, 3), onOwner.map((s) => s.name).slice(0, 3));
  });

  test('a snapshot asked for on the node that does not ingest the camera is piped from the owner', async () => {
    const other = (await owner()) === 'a' ? 'b' : 'a';
    const { accessToken } = await login(node(other), 'khachsan');
    const res = await fetch(`${node(other).url}/plugins/snapshots/cameras/${cameraId}/snapshot`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    assert.equal(jpeg.subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG');
    assert.equal(camera.mostClients, 1, 'still one RTSP session: the snapshot came through a pipe');
    assert.ok(fs.existsSync(path.join(storage, 'snapshots', `${cameraId}.jpg`)), 'kept in the shared storage');
  });

  test('when the owner stops, the other node records on', async () => {
    const recorder = (await owner())!;
    const other = recorder === 'a' ? 'b' : 'a';
    const before = segments().length;
    const t0 = Date.now();
    await nodes[recorder]!.stop();
    nodes[recorder] = undefined;
    await until('new segments written by the other node', () => segments().length >= before + 2, 40_000);
    console.log(`# recording resumed on node ${other} ${Date.now() - t0} ms after node ${recorder} stopped`);
    assert.equal(await owner(), other);
    await camera.waitForClients(1);
    assert.equal(camera.mostClients, 1, 'never two RTSP sessions');
  });
});
