// Three nodes as on three hosts (scripts/cluster-netns.sh: a network namespace and an address
// each): media nodes A and B, edge C; PostgreSQL, Redis, the camera and Chromium on this host.
// A camera registered through A is pulled once (the camera counts one RTSP session) while pages
// on the edge and on the media node that does not own it both play it, piped over the bridge
// between namespaces. Then the owner is killed with SIGKILL: the other media node takes the
// camera over and both pages play again by themselves, without a reload, within 10 s. Then the
// edge is killed: its page reconnects through another node (the nodes' public URLs) and plays
// again. The 24/7 report then counts the dead node's time as unmonitored, with no outage, for
// the camera that moved, and nothing for an always-on camera of the surviving node. Redis is
// restarted empty: no page stops, and a change made through one node reaches the pages. Last,
// the viewer's role revoked through a media node stops the video on the edge (started again)
// and on every other page within 2 s.
// Real parts: server processes in network namespaces, PostgreSQL, redis-server, mediasoup,
// a GStreamer camera, headless Chromium.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { ARTIFACTS, expectFrames, framesOf, launchBrowser, openClient, screenshot, tileStates } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { startNetnsCluster, type NetnsCluster, type NetnsNode } from '../support/netns-cluster.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { apiCall, login } from '../support/server.js';
import { until } from '../support/until.js';

describe('a cluster of three nodes in network namespaces', { timeout: 300_000 }, () => {
  let pg_: TestPostgres;
  let cluster: NetnsCluster;
  let camera: TestCamera;
  /** An always-on camera that the owner's death must not touch (placed on the other media node). */
  let steadyCamera: TestCamera;
  let steadyId: string;
  let browser: Browser;
  const pages: Page[] = [];
  /** Pages playing the camera (the ops page aside). */
  const watching: Page[] = [];
  let cameraId: string;

  before(async () => {
    pg_ = await createTestDatabase();
    cluster = await startNetnsCluster({
      name: 'gsc', subnet: 79,
      nodes: [{ id: 'a', role: 'media' }, { id: 'b', role: 'media' }, { id: 'c', role: 'edge' }],
      databaseUrl: pg_.url,
      env: {
        CREDENTIALS_KEY: randomBytes(32).toString('base64'), TOKEN_SECRET: randomBytes(32).toString('base64'), AUDIT_KEY: randomBytes(32).toString('base64'),
        DEMO: '0', MEDIA_WORKERS: '1', LOG_LEVEL: 'info', INGEST_GRACE_MS: '2000',
      },
      // Database heartbeats every second: a dead node's open views are closed 3 s after its last.
      config: { demoAccounts: true, auth: { totp: 'off' }, cluster: { beatMs: 500 }, monitoring: { heartbeatSeconds: 1 } },
    });
    // The nodes' pages are on other hosts' addresses over plain HTTP: treated as secure, as a
    // deployment's HTTPS would be (WebRTC pages need a secure context; localhost is one).
    const secure = `--unsafely-treat-insecure-origin-as-secure=${cluster.nodes.map((n) => n.url).join(',')}`;
    [camera, steadyCamera, browser] = await Promise.all([
      startCamera({ width: 320, height: 180, fps: 15, gop: 30, address: cluster.gateway }),
      startCamera({ width: 320, height: 180, fps: 10, gop: 20, address: cluster.gateway }),
      launchBrowser([secure]),
    ]);
  });
  after(async () => {
    // Each node's log, for whoever reads a failure.
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const n of cluster?.nodes ?? []) fs.writeFileSync(path.join(ARTIFACTS, `cluster-node-${n.id}.log`), n.output.join(''));
    for (const p of pages) await p.context().close().catch(() => undefined);
    await browser?.close();
    await cluster?.stop();
    await camera?.stop();
    await steadyCamera?.stop();
    await pg_?.drop();
  });

  /** The nodes' warnings and what they said of owners and pipes, for a failure message. */
  const said = () => cluster.nodes.map((n) => `${n.id}:\n${n.output.join('').split('\n').filter((l) => /"level":(40|50)|owns|pipe|left|consume|fail|error/i.test(l)).slice(-15).join('\n')}`).join('\n');
  /** The cluster as node `n` reports it (ops at nation scope). */
  const clusterOf = async (n: NetnsNode) => (await apiCall(n, (await login(n, 'vanhanh')).accessToken, 'GET', '/api/ops/cluster')).json;
  const ownerOf = async (id = cameraId): Promise<NetnsNode | undefined> => {
    for (const n of cluster.nodes.filter((x) => x.role === 'media' && x.alive)) {
      if ((await clusterOf(n)).owned.includes(id)) return n;
    }
    return undefined;
  };
  const watch = async (n: NetnsNode): Promise<Page> => {
    const session = await login(n, 'khachsan');
    const page = await openClient(browser, `${n.url}/`, session);
    pages.push(page);
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    await expectFrames(page, cameraId, 10, 30_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; tiles on ${n.id}: ${await tileStates(page)}; the page said:\n${consoleLines.slice(-20).join('\n')}\nthe nodes said:\n${said()}`);
    });
    await page.evaluate(() => { (window as unknown as { __marker: number }).__marker = 42; });
    watching.push(page);
    return page;
  };

  test('a camera registered through A is pulled once and plays on the edge and on the other media node', async () => {
    const a = cluster.node('a');
    await until('the three nodes to see each other', async () => (await clusterOf(a)).nodes.length === 3, 15_000);
    const created = await apiCall(a, (await login(a, 'quantri-tw')).accessToken, 'POST', '/api/cameras', { name: 'Cổng chính', mainUrl: camera.url, facilityId: DEMO_IDS.hotel });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    cameraId = created.json.id;
    const onEdge = await watch(cluster.node('c'));
    assert.equal(camera.clients, 1, 'one RTSP session');
    const owner = await ownerOf();
    assert.ok(owner, 'a media node owns the camera');
    assert.deepEqual((await clusterOf(cluster.node('c'))).owned, [], 'the edge ingests nothing');
    const other = cluster.nodes.find((n) => n.role === 'media' && n !== owner)!;
    const onOther = await watch(other);
    assert.equal(camera.clients, 1, 'still one RTSP session with pages on two other nodes');
    const pipes = (await clusterOf(owner)).pipes.exported.map((p: { edge: string }) => p.edge).sort();
    assert.deepEqual(pipes, [`node-${other.id}`, 'node-c'].sort(), 'one pipe to each node with a viewer');
    // An always-on camera goes to the less loaded media node: the one that does not own the first.
    const steady = await apiCall(a, (await login(a, 'quantri-tw')).accessToken, 'POST', '/api/cameras', { name: 'Hành lang', mainUrl: steadyCamera.url, alwaysOn: true, facilityId: DEMO_IDS.hotel });
    assert.equal(steady.status, 201, JSON.stringify(steady.json));
    steadyId = steady.json.id;
    await until('the always-on camera placed and live', async () => (await ownerOf(steadyId))?.id === other.id && steadyCamera.clients === 1, 20_000);
    await screenshot(onEdge, 'cluster-edge-page');
    await screenshot(onOther, 'cluster-other-media-node-page');
    // The ops page of any node shows the cluster: every node, and which one ingests the camera.
    const edge = cluster.node('c');
    const ops = await openClient(browser, `${edge.url}/ops.html`, await login(edge, 'vanhanh'));
    pages.push(ops);
    await ops.setViewportSize({ width: 1366, height: 768 });
    await ops.locator('#node-table tbody tr').nth(2).waitFor({ timeout: 15_000 });
    assert.deepEqual(await ops.locator('#node-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.nodeId)), ['node-a', 'node-b', 'node-c']);
    const row = ops.locator(`#camera-table tr[data-camera-id="${cameraId}"]`);
    await row.locator('td', { hasText: `node-${owner.id}` }).waitFor({ timeout: 10_000 });
    await ops.locator('#cluster').scrollIntoViewIfNeeded();
    await screenshot(ops, 'cluster-ops-page');
  });

  test('the owner killed with SIGKILL: both pages play again without a reload within 10 s', async () => {
    const owner = (await ownerOf())!;
    const survivor = cluster.nodes.find((n) => n.role === 'media' && n !== owner)!;
    // The report's period starts with both cameras live: every unmonitored second in it is the kill's.
    const from = new Date();
    await new Promise((r) => setTimeout(r, 1500)); // live for a beat or so before the kill (a span to measure, not a wait for an event)
    const t0 = Date.now();
    await owner.kill('SIGKILL');
    const times = await Promise.all(watching.map(async (page) => {
      await expectFrames(page, cameraId, 10, 20_000).catch(async (err: Error) => {
        throw new Error(`${err.message}; tiles: ${await tileStates(page)}; the nodes said:\n${said()}`);
      });
      return Date.now() - t0;
    }));
    console.log(`# kill -9 of the owner to 10 new frames on each page: ${times.join(', ')} ms`);
    for (const ms of times) assert.ok(ms <= 10_000, `a page played again ${ms} ms after the kill (≤ 10 s)`);
    for (const page of watching) assert.equal(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker), 42, 'the same document: no reload');
    assert.equal((await ownerOf())?.id, survivor.id, 'the other media node owns the camera now');
    await until('one RTSP session again', () => camera.clients === 1, 10_000);

    // The 24/7 report, as ops read it on a live node: the moved camera counts the dead node's
    // time as unmonitored and no outage; the survivor's own camera counts nothing but up time.
    const token = (await login(survivor, 'vanhanh')).accessToken;
    type Row = { id: string; upMs: number; downMs: number; unmonitoredMs: number; outages: number };
    // The survivor finds the dead node silent for three heartbeats (1 s each here) and records
    // "unknown" from its last beat for the streams it was ingesting.
    await until('the dead node\'s time recorded as unknown', async () => {
      const db = new pg.Client({ connectionString: pg_.url });
      await db.connect();
      try {
        const { rows } = await db.query(`SELECT 1 FROM "CameraHealthEvent" WHERE "cameraId" = $1 AND "state" = 'unknown' AND "nodeId" = $2`, [cameraId, `node-${owner.id}`]);
        return rows.length > 0;
      } finally {
        await db.end();
      }
    }, 15_000);
    const rows: Row[] = (await apiCall(survivor, token, 'GET', `/api/reports/uptime?from=${from.toISOString()}`)).json.cameras;
    const moved = rows.find((r) => r.id === cameraId)!;
    const steady = rows.find((r) => r.id === steadyId)!;
    console.log(`# 24/7 report after the kill: moved camera ${JSON.stringify(moved)}; the survivor's camera ${JSON.stringify(steady)}`);
    assert.equal(moved.outages, 0, 'a node\'s death is not the camera\'s outage');
    assert.ok(moved.unmonitoredMs >= 500 && moved.unmonitoredMs <= 10_000, `the dead time unmonitored: ${JSON.stringify(moved)}`);
    assert.equal(steady.outages, 0);
    assert.equal(steady.unmonitoredMs, 0, `the survivor's camera was watched all along: ${JSON.stringify(steady)}`);
    assert.equal(steady.downMs, 0);
  });

  /** khachsan's views of the camera as the database has them (which node served each, whether it ended). */
  const viewsOf = async () => {
    const db = new pg.Client({ connectionString: pg_.url });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT v."nodeId", v."startedAt", v."endedAt" FROM "ViewSession" v JOIN "User" u ON u.id = v."userId" WHERE u.username = 'khachsan' AND v."cameraId" = $1`, [cameraId]);
      return rows as Array<{ nodeId: string | null; startedAt: Date; endedAt: Date | null }>;
    } finally {
      await db.end();
    }
  };

  test('the edge killed: its page reconnects through another node and plays again, without a reload', async () => {
    const edge = cluster.node('c');
    const edgePage = watching[0]!;
    await expectFrames(edgePage, cameraId, 5, 10_000);
    const t0 = Date.now();
    await edge.kill('SIGKILL');
    await expectFrames(edgePage, cameraId, 10, 20_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; tiles: ${await tileStates(edgePage)}; the nodes said:\n${said()}`);
    });
    const ms = Date.now() - t0;
    console.log(`# kill -9 of the edge to 10 new frames on its page, served by another node: ${ms} ms`);
    assert.ok(ms <= 10_000, `the page played again ${ms} ms after the kill (≤ 10 s)`);
    assert.equal(await edgePage.evaluate(() => (window as unknown as { __marker?: number }).__marker), 42, 'the same document: no reload');
    // The new view is served by a live node; the one the edge left open is closed at its last beat.
    await until('the edge\'s open view closed by a live node', async () => !(await viewsOf()).some((v) => v.nodeId === 'node-c' && !v.endedAt), 10_000);
    const open = (await viewsOf()).filter((v) => !v.endedAt && v.startedAt.getTime() >= t0);
    const live = cluster.nodes.filter((n) => n.alive).map((n) => `node-${n.id}`);
    assert.ok(open.length >= 1 && open.every((v) => live.includes(v.nodeId!)), `the page's view is served by a live node: ${JSON.stringify(open)}`);
    await screenshot(edgePage, 'cluster-edge-killed-page');
    // The edge comes back for the revocation test: a page on it again.
    await edge.restart();
    await until('the edge back in the cluster', async () => (await clusterOf(cluster.nodes.find((n) => n.alive && n !== edge)!)).nodes.some((n: { id: string }) => n.id === 'node-c'), 20_000);
    await watch(edge);
  });

  test('Redis restarted empty: no page loses its video, and pushes resume', async () => {
    const before = await Promise.all(watching.map((page) => framesOf(page, cameraId)));
    const t0 = Date.now();
    await cluster.restartRedis();
    // Video goes on through the pipes (media does not touch Redis): frames keep coming, no notice.
    for (const page of watching) await expectFrames(page, cameraId, 15, 10_000);
    const after = await Promise.all(watching.map((page) => framesOf(page, cameraId)));
    after.forEach((n, i) => assert.ok(n > before[i]!, `page ${i} kept playing`));
    for (const page of watching) assert.equal(await page.locator(`.tile[data-camera-id="${cameraId}"] .notice`).textContent(), '', `no notice on the tile: ${await tileStates(page)}`);
    const ended = (await viewsOf()).filter((v) => v.endedAt && v.endedAt.getTime() >= t0 - 1000);
    assert.deepEqual(ended, [], 'no view ended over the restart');
    // A change made through one node reaches a page on another (the bus and the pages' pushes).
    const through = cluster.nodes.find((n) => n.role === 'media' && n.alive)!;
    const admin = (await login(through, 'quantri-tw')).accessToken;
    await until('the camera renamed through a node once Redis is back', async () => (await apiCall(through, admin, 'PATCH', `/api/cameras/${cameraId}`, { name: 'Cổng chính (đổi tên)' })).status === 200, 10_000);
    const edgePage = watching.at(-1)!;
    await edgePage.locator('aside').getByText('Cổng chính (đổi tên)').first().waitFor({ timeout: 10_000 });
    console.log(`# Redis restarted empty: pages played on; a rename through node ${through.id} reached the edge's page ${Date.now() - t0} ms after the restart`);
    assert.equal(camera.clients, 1, 'still one RTSP session');
  });

  test('a role revoked through one node stops the video on the edge (and on every node) within 2 s', async () => {
    const onEdge = watching.at(-1)!;
    await expectFrames(onEdge, cameraId, 5, 10_000);
    const through = cluster.nodes.find((n) => n.role === 'media' && n.alive)!;
    const db = new pg.Client({ connectionString: pg_.url });
    await db.connect();
    const { rows } = await db.query(`SELECT a.id FROM "RoleAssignment" a JOIN "User" u ON u.id = a."userId" WHERE u.username = 'khachsan' AND a."revokedAt" IS NULL`);
    await db.end();
    assert.equal(rows.length, 1);
    const admin = (await login(through, 'quantri')).accessToken;
    assert.equal((await apiCall(through, admin, 'DELETE', `/api/assignments/${rows[0].id}`, { reason: 'kiểm tra cụm' })).status, 204);
    const t0 = Date.now();
    const times = await Promise.all(watching.map(async (page) => {
      await page.locator('.tile .notice', { hasText: /thu hồi|withdrawn/ }).first().waitFor({ timeout: 2000 });
      return Date.now() - t0;
    }));
    const frozen = await Promise.all(watching.map((page) => framesOf(page, cameraId)));
    await onEdge.waitForTimeout(1000);
    assert.deepEqual(await Promise.all(watching.map((page) => framesOf(page, cameraId))), frozen, 'no frames after the revocation');
    console.log(`# revoked through node ${through.id}: the pages' video stopped after ${times.join(', ')} ms (the last on the edge)`);
    await screenshot(onEdge, 'cluster-edge-revoked');
  });

  test('a page opened over plain HTTP at another host\'s address says why it cannot play', async () => {
    const plain = await launchBrowser();
    try {
      const edge = cluster.node('c');
      const page = await openClient(plain, `${edge.url}/`, await login(edge, 'soyte'));
      await page.locator('#banner', { hasText: 'https://' }).waitFor({ timeout: 15_000 });
      await screenshot(page, 'cluster-insecure-page');
    } finally {
      await plain.close();
    }
  });
});
