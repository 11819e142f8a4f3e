// Ops with real parts: /metrics scraped while a GStreamer RTSP camera feeds mediasoup and a
// real consumer receives it; the camera process killed and restarted while the metrics and
// the uptime report follow; the connection report's numbers for a scripted outage history;
// /readyz against a PostgreSQL server that stops accepting connections.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { parseMetrics, sumOf, valueOf } from '../support/metrics.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { openRtpSink } from '../support/rtp-sink.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

const H = 3_600_000;
const M = 60_000;

async function get(server: TestServer, url: string, token?: string): Promise<Response> {
  return fetch(`${server.url}${url}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

describe('metrics and the connection report, with a live camera', { timeout: 180_000 }, () => {
  let server: TestServer;
  let metricsToken: string;
  let opsToken: string;
  const cameras: TestCamera[] = [];
  const sockets: Socket[] = [];

  const scrape = async () => {
    const res = await get(server, '/metrics', metricsToken);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseMetrics(await res.text());
  };

  before(async () => {
    server = await startTestServer({ ingest: { graceMs: 1000, stallMs: 1500 } });
    metricsToken = fs.readFileSync(path.join(server.dataDir, 'metrics.token'), 'utf8').trim();
    opsToken = (await login(server, 'vanhanh')).accessToken;
  });
  after(async () => {
    for (const s of sockets) s.close();
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  test('/metrics answers the scrape token and ops at nation scope, nobody else', async () => {
    assert.equal((await get(server, '/metrics')).status, 401);
    assert.equal((await get(server, '/metrics', 'x'.repeat(32))).status, 401);
    assert.equal((await get(server, '/metrics', (await login(server, 'soyte')).accessToken)).status, 404, 'a provincial monitor has no operations duty');
    assert.equal((await get(server, '/metrics', opsToken)).status, 200);
    assert.equal((await get(server, '/metrics', metricsToken)).status, 200);
  });

  test('camera, worker, consumer, socket and sign-in metrics move with real traffic', async () => {
    const cam = await startCamera({ gop: 25 });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'Metrics cam', mainUrl: cam.url, facilityId: DEMO_IDS.hotel });
    const labels = { camera: json.id, stream: 'main' };
    let m = await scrape();
    // Names carry base units (promtool's lint: bytes not bits, seconds not milliseconds).
    const names = [...new Set(m.map((x) => x.name))];
    assert.deepEqual(names.filter((n) => /_(bits|kbps|kilobytes|milliseconds|ms|minutes|hours|percent)(_|$)/.test(n)), []);
    assert.equal(valueOf(m, 'giamsat_camera_state', { ...labels, state: 'idle' }), 1, 'an on-demand camera nobody watches is idle');
    assert.equal(valueOf(m, 'giamsat_camera_up', labels), 0);
    assert.equal(valueOf(m, 'giamsat_workers_alive'), 2);
    const loginsBefore = valueOf(m, 'giamsat_logins_total', { result: 'success' });
    const failuresBefore = valueOf(m, 'giamsat_logins_total', { result: 'failure' });

    const sink = await openRtpSink(server, json.id);
    try {
      await sink.waitForPackets(100);
      await waitForHealth(server, json.id, (h) => h.state === 'live' && h.fps > 0);
      m = await scrape();
      assert.equal(valueOf(m, 'giamsat_camera_up', labels), 1);
      assert.equal(valueOf(m, 'giamsat_camera_state', { ...labels, state: 'live' }), 1);
      assert.ok(valueOf(m, 'giamsat_camera_frames_per_second', labels) > 10);
      assert.ok(valueOf(m, 'giamsat_camera_receive_bytes_per_second', labels) > 0);
      assert.ok(valueOf(m, 'giamsat_camera_seconds_since_last_frame', labels) < 2);
      assert.equal(valueOf(m, 'giamsat_camera_rtp_packets_lost_total', labels), 0, 'nothing is lost on loopback');
      assert.ok(sumOf(m, 'giamsat_mediasoup_producers') >= 1);
      assert.ok(sumOf(m, 'giamsat_mediasoup_consumers') >= 1, 'the test receiver is a consumer');
      assert.ok(sumOf(m, 'giamsat_mediasoup_transports') >= 2, 'ingest and receiver transports');
      assert.ok(sumOf(m, 'giamsat_worker_resident_memory_bytes') > 10 * 1024 * 1024);
      const bytes1 = valueOf(m, 'giamsat_camera_received_bytes_total', labels);
      const frames1 = valueOf(m, 'giamsat_camera_frames_total', labels);
      const cpu1 = sumOf(m, 'giamsat_worker_cpu_seconds_total');
      await sink.waitForPackets(100);
      m = await scrape();
      assert.ok(valueOf(m, 'giamsat_camera_received_bytes_total', labels) > bytes1, 'received bytes rise');
      assert.ok(valueOf(m, 'giamsat_camera_frames_total', labels) > frames1, 'frames rise');
      assert.ok(sumOf(m, 'giamsat_worker_cpu_seconds_total') >= cpu1, 'worker CPU time never goes back');
    } finally {
      await sink.close();
    }

    // People: a socket connection, a good and a bad sign-in, a refused subscription.
    const s = await login(server, 'khachsan');
    const socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: s.accessToken } });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const bad = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'khachsan', password: 'wrong-password' }) });
    assert.equal(bad.status, 401);
    const outside = await addCamera(server, { name: 'Checkpoint cam', mainUrl: 'rtsp://127.0.0.1:9/none', facilityId: DEMO_IDS.checkpoint });
    const t = await socket.timeout(10_000).emitWithAck('createTransport', {});
    const r = await socket.timeout(10_000).emitWithAck('consume', { transportId: t.data.id, cameraId: outside.json.id, rtpCapabilities: server.media.rtpCapabilities });
    assert.equal(r.ok, false, 'a facility leader may not watch a checkpoint');
    await server.audit.drain();
    m = await scrape();
    assert.equal(valueOf(m, 'giamsat_socketio_connections'), 1);
    assert.equal(valueOf(m, 'giamsat_logins_total', { result: 'success' }), loginsBefore + 1);
    assert.equal(valueOf(m, 'giamsat_logins_total', { result: 'failure' }), failuresBefore + 1);
    assert.equal(valueOf(m, 'giamsat_access_denials_total', { reason: 'no-grant' }), 1);
  });

  test('a killed camera goes down in the metrics and the uptime report, and comes back', async () => {
    const cam = await startCamera({ gop: 25 });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'Always-on cam', mainUrl: cam.url, facilityId: DEMO_IDS.military, alwaysOn: true });
    const labels = { camera: json.id, stream: 'main' };
    const from = new Date();
    await waitForHealth(server, json.id, (h) => h.state === 'live');
    await cam.kill();
    const down = await waitForHealth(server, json.id, (h) => h.state === 'offline' || h.state === 'stalled');
    let m = await scrape();
    assert.equal(valueOf(m, 'giamsat_camera_up', labels), 0);
    assert.equal(valueOf(m, 'giamsat_camera_state', { ...labels, state: down.state }), 1);
    // Let some down time accumulate, measured by the server's own records.
    await waitForHealth(server, json.id, (h) => h.restarts >= 1, 20_000);
    await cam.restart();
    await waitForHealth(server, json.id, (h) => h.state === 'live', 30_000);
    m = await scrape();
    assert.equal(valueOf(m, 'giamsat_camera_up', labels), 1);
    assert.ok(valueOf(m, 'giamsat_camera_restarts_total', labels) >= 1);

    const res = await get(server, `/api/reports/uptime?from=${from.toISOString()}`, opsToken);
    assert.equal(res.status, 200);
    const report = await res.json();
    const row = report.cameras.find((c: { id: string }) => c.id === json.id);
    assert.ok(row.outages >= 1, 'the kill is an outage');
    assert.ok(row.downMs > 500, `down ${row.downMs} ms`);
    assert.ok(row.upMs > 0);
    assert.ok(row.uptime > 0 && row.uptime < 1, `uptime ${row.uptime}`);
    assert.ok(row.lastError && ['offline', 'stalled'].includes(row.lastError.state), `the failure is the last error: ${JSON.stringify(row)} ${JSON.stringify((await server.db.prisma.cameraHealthEvent.findMany({ where: { cameraId: json.id } })).map((e) => [e.state, e.reason, e.at]))}`);
    // The recorded history the report read: down time is the sum of its down intervals.
    const events = await server.db.prisma.cameraHealthEvent.findMany({ where: { cameraId: json.id, stream: 'main' }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    assert.equal(events.at(-1)!.state, 'live', 'live at the end of the period');
    let expectedDown = 0;
    for (let i = 0; i + 1 < events.length; i++) {
      if (['connecting', 'offline', 'stalled'].includes(events[i]!.state)) expectedDown += events[i + 1]!.at.getTime() - Math.max(events[i]!.at.getTime(), from.getTime());
    }
    assert.equal(row.downMs, expectedDown);
  });
});

describe('the connection report for a scripted outage history', { timeout: 60_000 }, () => {
  let server: TestServer;
  let cameraId: string;
  let hotelCam2: string;
  const T0 = new Date('2021-08-01T00:00:00Z');
  const at = (ms: number) => new Date(T0.getTime() + ms);

  before(async () => {
    server = await startTestServer();
    // Cameras nobody pulls (their URLs lead nowhere): the history below is all there is.
    cameraId = (await addCamera(server, { name: 'Cổng A', mainUrl: 'rtsp://127.0.0.1:9/a', facilityId: DEMO_IDS.hotel })).json.id;
    hotelCam2 = (await addCamera(server, { name: 'Hành lang B', mainUrl: 'rtsp://127.0.0.1:9/b', facilityId: DEMO_IDS.hotel })).json.id;
    await addCamera(server, { name: 'Chốt C', mainUrl: 'rtsp://127.0.0.1:9/c', facilityId: DEMO_IDS.checkpoint });
    const history: Array<[string, string, number, string?]> = [
      [cameraId, 'live', -1 * H],                 // before the period: live at its start
      [cameraId, 'offline', 2 * H, 'camera closed the connection'],
      [cameraId, 'connecting', 2 * H + 20 * M],
      [cameraId, 'live', 2 * H + 30 * M],
      [cameraId, 'stalled', 5 * H, 'no frames for 3 s'],
      [cameraId, 'live', 5 * H + 10 * M],
      [cameraId, 'unknown', 8 * H, 'server stopped'],
      [cameraId, 'connecting', 9 * H],
      [cameraId, 'live', 9 * H + 1 * M],
      [cameraId, 'offline', 11 * H, 'after the period'],
      [hotelCam2, 'live', 0],
      [hotelCam2, 'idle', 4 * H],                // on demand, nobody watching: unmonitored
    ];
    await server.db.prisma.cameraHealthEvent.createMany({
      data: history.map(([id, state, ms, reason]) => ({ cameraId: id, stream: 'main', state, at: at(ms), reason: reason ?? null })),
    });
    // A sub-stream outage must not count against the camera.
    await server.db.prisma.cameraHealthEvent.create({ data: { cameraId, stream: 'sub', state: 'offline', at: at(H) } });
  });
  after(async () => {
    await server?.stop();
  });

  const report = async (who: string, query: string) => {
    const res = await get(server, `/api/reports/uptime?${query}`, (await login(server, who)).accessToken);
    // CSV as raw bytes: Response.text() would drop the byte-order mark the test checks.
    return { status: res.status, res, json: res.headers.get('content-type')?.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
  };
  const period = `from=${T0.toISOString()}&to=${at(10 * H).toISOString()}`;

  test('camera, facility, district and province figures match the scripted history', async () => {
    const { status, json } = await report('quocgia', `${period}&threshold=99`);
    assert.equal(status, 200);
    const cam = json.cameras.find((c: { id: string }) => c.id === cameraId);
    // up: 0-2h, 2h30-5h, 5h10-8h, 9h01-10h; down: 2h-2h30 (offline 20 min + connecting 10), 5h-5h10, 9h-9h01; unknown 8h-9h.
    assert.equal(cam.upMs, 2 * H + 150 * M + 170 * M + 59 * M);
    assert.equal(cam.downMs, 30 * M + 10 * M + 1 * M);
    assert.equal(cam.unmonitoredMs, 1 * H);
    assert.equal(cam.outages, 2, 'a server stop is not a camera outage');
    assert.equal(cam.uptime, cam.upMs / (cam.upMs + cam.downMs));
    assert.deepEqual(cam.lastError, { at: at(5 * H).toISOString(), state: 'stalled', reason: 'no frames for 3 s' });
    const cam2 = json.cameras.find((c: { id: string }) => c.id === hotelCam2);
    assert.equal(cam2.upMs, 4 * H);
    assert.equal(cam2.downMs, 0);
    assert.equal(cam2.unmonitoredMs, 6 * H);

    const hotel = json.facilities.find((f: { id: string }) => f.id === DEMO_IDS.hotel);
    assert.equal(hotel.upMs, cam.upMs + cam2.upMs);
    assert.equal(hotel.downMs, cam.downMs);
    assert.equal(hotel.cameras, 2);
    assert.equal(hotel.connectedCameras, 2);
    const pleiku = json.units.find((d: { id: string }) => d.id === DEMO_IDS.pleiku);
    assert.equal(pleiku.upMs, hotel.upMs, 'the other Pleiku facility has no camera');
    const gialai = json.units.find((p: { id: string }) => p.id === DEMO_IDS.gialai);
    assert.equal(gialai.cameras, 3);
    assert.equal(gialai.connectedCameras, 2);

    const problems = Object.fromEntries(json.shortfalls.map((s: { facilityId: string; problem: string }) => [s.facilityId, s.problem]));
    assert.deepEqual(problems, {
      [DEMO_IDS.hotel]: 'below-threshold', // 94.7 % < 99 %
      [DEMO_IDS.military]: 'no-camera',
      [DEMO_IDS.school]: 'no-camera',
      [DEMO_IDS.hospitalKonTum]: 'no-camera',
      [DEMO_IDS.checkpoint]: 'never-connected',
    });
    const relaxed = await report('quocgia', `${period}&threshold=90`);
    assert.ok(!relaxed.json.shortfalls.some((s: { facilityId: string }) => s.facilityId === DEMO_IDS.hotel), 'above a lower threshold');
  });

  test('each monitor sees only their scope; others are refused', async () => {
    const health = await report('soyte', period);
    assert.deepEqual(health.json.facilities.map((f: { id: string }) => f.id).sort(), [DEMO_IDS.military, DEMO_IDS.hotel, DEMO_IDS.school].sort(),
      'Gia Lai health department: quarantine facilities of its province, no checkpoint, not Kon Tum');
    assert.ok(!health.json.cameras.some((c: { name: string }) => c.name === 'Chốt C'));
    const police = await report('congan', period);
    assert.deepEqual(police.json.facilities.map((f: { id: string }) => f.id), [DEMO_IDS.checkpoint]);
    const denied = await report('soyte-chan', period);
    assert.ok(!denied.json.facilities.some((f: { id: string }) => f.id === DEMO_IDS.hotel), 'a deny over the hotel hides it from the report too');
    for (const who of ['khachsan', 'thanhtra', 'quantri']) {
      assert.equal((await report(who, period)).status, 404, `${who} has no report duty`);
    }
    assert.equal((await get(server, `/api/reports/uptime?${period}`)).status, 401);
  });

  test('bad report queries are refused clearly', async () => {
    for (const q of ['', 'from=yesterday', `from=${at(H).toISOString()}&to=${T0.toISOString()}`, `${period}&threshold=120`, `${period}&format=xml`, `${period}&extra=1`, 'from=2020-01-01T00:00:00Z&to=2021-06-01T00:00:00Z']) {
      const r = await report('quocgia', q);
      assert.equal(r.status, 400, q);
      assert.equal(r.json.error.code, 'BAD_REQUEST', q);
    }
  });

  test('the CSV export carries the same numbers', async () => {
    const { status, res, json: bytes } = await report('quocgia', `${period}&format=csv&threshold=99`);
    assert.equal(status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="?uptime-2021-08-01-2021-08-01\.csv"?/);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a BOM so spreadsheet programs read UTF-8');
    const lines = bytes.subarray(3).toString('utf8').trim().split('\r\n').map((l: string) => l.split(','));
    assert.deepEqual(lines[0], ['level', 'unit_1', 'unit_2', 'facility', 'camera', 'cameras', 'connected_cameras', 'uptime_percent', 'up_seconds', 'down_seconds', 'unmonitored_seconds', 'outages', 'problem']);
    const camLine = lines.find((l: string[]) => l[0] === 'camera' && l[4] === 'Cổng A')!;
    const up = 2 * H + 150 * M + 170 * M + 59 * M;
    const down = 41 * M;
    assert.deepEqual(camLine.slice(1, 4), ['Tỉnh Gia Lai', 'TP. Pleiku', 'Khách sạn Hoàng Anh (cách ly)']);
    assert.deepEqual(camLine.slice(7, 12), [((up / (up + down)) * 100).toFixed(2), String(up / 1000), String(down / 1000), '3600', '2']);
    const hotelLine = lines.find((l: string[]) => l[0] === 'facility' && l[3] === 'Khách sạn Hoàng Anh (cách ly)')!;
    assert.equal(hotelLine[12], 'below-threshold');
    assert.ok(lines.some((l: string[]) => l[0] === 'facility' && l[12] === 'no-camera'));
  });
});

describe('/healthz and /readyz', { timeout: 60_000 }, () => {
  let db: TestPostgres;
  let server: TestServer;

  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url });
  });
  after(async () => {
    await server?.stop();
    await db?.allowConnections().catch(() => undefined);
    await db?.drop();
  });

  test('ready while PostgreSQL answers, not ready while it refuses connections, ready again after', async () => {
    let res = await get(server, '/readyz');
    const ok = await res.json();
    assert.equal(res.status, 200, JSON.stringify(ok));
    assert.deepEqual({ ready: ok.ready, db: ok.checks.database, workers: ok.checks.workers.ok, ffmpeg: ok.checks.ffmpeg.ok },
      { ready: true, db: { ok: true, detail: 'postgresql' }, workers: true, ffmpeg: true });
    assert.equal(ok.checks.workers.detail, '2/2 alive');
    assert.deepEqual(ok.checks.ffmpeg, { ok: true, detail: 'present' }, 'no binary path or version in a public answer');
    assert.deepEqual(ok.checks.audit, { ok: true, detail: 'writing' });

    // The database stops taking connections (ALLOW_CONNECTIONS binds superusers too) and drops the server's.
    await db.refuseConnections();
    res = await get(server, '/readyz');
    assert.equal(res.status, 503);
    const down = await res.json();
    assert.equal(down.ready, false);
    assert.equal(down.checks.database.ok, false);
    assert.equal(down.checks.database.detail, 'not answering', 'fixed words, no driver error text');
    assert.doesNotMatch(JSON.stringify(down), /terminat|connect|postgres:|\/usr\/|ffmpeg-static/i);
    assert.equal(down.checks.workers.ok, true, 'the media side is unaffected');
    assert.equal((await get(server, '/healthz')).status, 200, 'the process is still up');

    await db.allowConnections();
    res = await get(server, '/readyz');
    assert.equal(res.status, 200);
  });

  /** The scripts and styles a page names (content-hashed by scripts/build-client.mjs). */
  const assetsOf = async (page: string) => [...(await (await get(server, page)).text()).matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => `/${m[1]}`);

  test('every page and answer carries the security headers; the pages run under the policy', async () => {
    for (const p of ['/', '/lists.html', '/activate.html', '/api/info', '/readyz', ...(await assetsOf('/'))]) {
      const res = await get(server, p);
      assert.equal(res.status, 200, p);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, `${p}: no inline script allowed`);
      assert.match(csp, /frame-ancestors 'none'/, p);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', p);
      await res.arrayBuffer();
    }
  });

  test('scripts and styles are named by their content and kept by browsers for a year; pages are asked for every time (static-files.ts)', async () => {
    for (const page of ['/', '/ops.html', '/people.html']) {
      const assets = await assetsOf(page);
      assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `${page} names its script and style: ${assets.join(' ')}`);
      for (const a of assets) {
        assert.match(a, /^\/[a-z]+-[A-Z0-9]{8}\.(js|css)$/, 'named by its content');
        const res = await get(server, a);
        assert.equal(res.status, 200, a);
        assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', a);
        await res.arrayBuffer();
      }
      const res = await get(server, page);
      assert.equal(res.headers.get('cache-control'), 'no-cache', `${page} is revalidated at every load`);
      await res.arrayBuffer();
    }
    // Names without a hash are not made any more, and are not kept for a year if they appear.
    assert.equal((await get(server, '/app.js')).status, 404);
  });
});
