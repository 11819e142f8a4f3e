// The supervision client's server side: a person's saved wall (validated, never telling of
// cameras the person may not watch, untouched by a refused request) and an inspector's
// spot checks with their cameras; a suspended account's socket is told and disconnected.
// parallel-safe: the database, HTTP and socket.io only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { addCamera, login, startTestServer, type TestServer, type TestSession } from '../support/server.js';

describe('saved walls and spot-check lists', { timeout: 60_000 }, () => {
  let server: TestServer;
  const cam: Record<string, string> = {};

  before(async () => {
    server = await startTestServer();
    // Unreachable cameras: these tests read and write lists, no media flows.
    for (const [key, facility] of [['hotel', DEMO_IDS.hotel], ['school', DEMO_IDS.school], ['military', DEMO_IDS.military]] as const) {
      const { json } = await addCamera(server, { name: `cam-${key}`, mainUrl: 'rtsp://127.0.0.1:9/none', facilityId: facility });
      cam[key] = json.id;
    }
  });
  after(() => server?.stop());

  const call = async (s: TestSession | undefined, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(s ? { authorization: `Bearer ${s.accessToken}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: res.status === 204 ? undefined : await res.json() };
  };

  test('a wall is saved per person and read back; nothing saved yet reads as empty', async () => {
    const soyte = await login(server, 'soyte');
    const empty = await call(soyte, 'GET', '/api/me/wall');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, { layout: 4, tiles: [], updatedAt: null, cameras: [] });
    const tiles = [cam.hotel, null, cam.school, cam.military];
    const saved = await call(soyte, 'PUT', '/api/me/wall', { layout: 9, tiles });
    assert.equal(saved.status, 200);
    const read = await call(soyte, 'GET', '/api/me/wall');
    assert.equal(read.json.layout, 9);
    assert.deepEqual(read.json.tiles, tiles);
    assert.ok(read.json.updatedAt);
    // The wall describes its cameras, as the socket's list would: the page lays it out at once.
    assert.deepEqual(read.json.cameras.map((c: { id: string; name: string }) => [c.id, c.name]), [[cam.hotel, 'cam-hotel'], [cam.school, 'cam-school'], [cam.military, 'cam-military']]);
    assert.equal(read.json.cameras[0].hasSubStream, false);
    assert.ok(read.json.cameras[0].health.state);
    // Someone else's wall is their own.
    assert.deepEqual((await call(await login(server, 'quocgia'), 'GET', '/api/me/wall')).json.tiles, []);
  });

  test('bad walls are refused with a clear error and the saved one stays', async () => {
    const soyte = await login(server, 'soyte');
    const before = (await call(soyte, 'GET', '/api/me/wall')).json;
    const bad: Array<[unknown, RegExp]> = [
      [{ layout: 6, tiles: [] }, /layout/],
      [{ layout: 4, tiles: Array(17).fill(null) }, /tiles/],
      [{ layout: 4, tiles: ['not-a-uuid'] }, /tiles/],
      [{ layout: 4, tiles: [], extra: true }, /extra|unrecognized/i],
      [{ layout: '4', tiles: [] }, /layout/],
      ['{"layout": 4, "tiles": [', /json|parse|body/i],
    ];
    for (const [body, message] of bad) {
      const res = await call(soyte, 'PUT', '/api/me/wall', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(JSON.stringify(res.json.error), message);
    }
    const huge = await call(soyte, 'PUT', '/api/me/wall', { layout: 4, tiles: [], pad: 'x'.repeat(64 * 1024) });
    assert.equal(huge.status, 400);
    assert.match(huge.json.error.message, /too large/);
    assert.deepEqual((await call(soyte, 'GET', '/api/me/wall')).json, before);
    assert.equal((await call(undefined, 'PUT', '/api/me/wall', { layout: 4, tiles: [] })).status, 401);
  });

  test('a saved wall never tells of cameras the person may not watch (now)', async () => {
    // The facility leader of the hotel saves ids of cameras elsewhere (copied from somewhere).
    const leader = await login(server, 'khachsan');
    await call(leader, 'PUT', '/api/me/wall', { layout: 4, tiles: [cam.hotel, cam.school, cam.military, '00000000-0000-4000-8000-000000000000'] });
    const wall = (await call(leader, 'GET', '/api/me/wall')).json;
    assert.deepEqual(wall.tiles, [cam.hotel, null, null, null]);
    assert.deepEqual(wall.cameras.map((c: { id: string }) => c.id), [cam.hotel]);
    assert.doesNotMatch(JSON.stringify(wall), /cam-school|cam-military/);
  });

  test('the media capabilities are public and are what signaling answers', async () => {
    const res = await call(undefined, 'GET', '/api/media/capabilities');
    assert.equal(res.status, 200);
    assert.ok(res.json.codecs.some((c: { mimeType: string }) => c.mimeType === 'video/H264'), JSON.stringify(res.json).slice(0, 300));
    assert.deepEqual(res.json, JSON.parse(JSON.stringify(server.media.rtpCapabilities)));
  });

  test('an inspector lists spot checks that have not ended, with the cameras each opens', async () => {
    const inspector = await login(server, 'thanhtra');
    const admin = await login(server, 'quantri');
    const endsAt = new Date(Date.now() + 600_000).toISOString();
    const made = await call(admin, 'POST', '/api/spot-checks', { inspectorId: inspector.userId, facilityId: DEMO_IDS.hotel, endsAt, reason: 'Kiểm tra' });
    assert.equal(made.status, 201);
    const list = (await call(inspector, 'GET', '/api/me/spot-checks')).json as Array<{ id: string; facilityName: string; cameraIds: string[]; endsAt: string }>;
    const hotel = list.find((s) => s.id === made.json.id)!;
    assert.equal(hotel.facilityName, 'Khách sạn Hoàng Anh (cách ly)');
    assert.deepEqual(hotel.cameraIds, [cam.hotel]);
    assert.equal(hotel.endsAt, endsAt);
    // The demo's running check of the school is listed; its ended one (the military camp) is not.
    const school = list.find((s) => s.facilityName === 'Ký túc xá Trường THPT Chư Sê');
    assert.deepEqual(school?.cameraIds, [cam.school]);
    assert.equal(list.some((s) => s.cameraIds.includes(cam.military!)), false);
    // Withdrawn: gone from the list.
    assert.equal((await call(admin, 'DELETE', `/api/spot-checks/${made.json.id}`)).status, 204);
    assert.equal(((await call(inspector, 'GET', '/api/me/spot-checks')).json as Array<{ id: string }>).some((s) => s.id === made.json.id), false);
    // Someone with none has an empty list.
    assert.deepEqual((await call(await login(server, 'soyte'), 'GET', '/api/me/spot-checks')).json, []);
  });

  test('suspending an account tells its open sockets why, then disconnects them', async () => {
    const police = await login(server, 'congan');
    const socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: police.accessToken } });
    const next = (event: string) => new Promise<unknown[]>((resolve) => socket.once(event, (...args: unknown[]) => resolve(args)));
    await next('connect');
    const ended = next('sessionEnded');
    const gone = next('disconnect');
    const admin = await login(server, 'quantri');
    assert.equal((await call(admin, 'PATCH', `/api/users/${police.userId}/status`, { status: 'SUSPENDED' })).status, 204);
    assert.deepEqual(await ended, [{ reason: 'account-inactive' }]);
    assert.equal((await gone)[0], 'io server disconnect');
    socket.close();
  });
});
