// A signaling connection lives exactly as long as the sign-in it belongs to: signing out,
// a password change elsewhere or a lapsed token ends it (the page renews its token over the
// connection), and health pushes stop at once for cameras the person may no longer see,
// whether or not the page asks for its list again; a view the page's list no longer allows ends
// as withdrawn before the list arrives. Real server, real camera, real sockets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, apiCall, login, startTestServer, waitForHealth, type TestServer, type TestSession } from '../support/server.js';

type AckBody = { ok: boolean; data?: any; error?: { code: string; message: string } };
/** Access tokens live 6 s here, so a lapse is seen within a test. */
// Long enough that a renewal slowed by a loaded machine still lands before the token runs out.
const TTL_S = 10;

describe('signaling connections and their sign-in', { timeout: 120_000 }, () => {
  let server: TestServer;
  let camera: TestCamera;
  let cameraId: string;
  const sockets: Socket[] = [];

  before(async () => {
    [server, camera] = await Promise.all([startTestServer({ auth: { accessTtlSeconds: TTL_S } }), startCamera({ width: 320, height: 180, fps: 15 })]);
    cameraId = (await addCamera(server, { name: 'Hành lang', mainUrl: camera.url, alwaysOn: true, facilityId: DEMO_IDS.hotel })).json.id;
    await waitForHealth(server, cameraId, (h) => h.state === 'live', 30_000);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await server?.stop();
    await camera?.stop();
  });

  const open = async (token: string): Promise<Socket> => {
    const s = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token } });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('connect_error', reject));
    return s;
  };
  const ask = (s: Socket, event: string, body: unknown = {}): Promise<AckBody> => s.timeout(10_000).emitWithAck(event, body);
  const ended = (s: Socket) => new Promise<{ reason: string }>((resolve) => s.once('sessionEnded', resolve));
  /**
   * Renews the sign-in a second after each renewal has finished and hands each token to the
   * connection, as the page does: one refresh at a time. (Overlapping refreshes would present a
   * refresh token already rotated, which the server takes for a stolen one and ends the sign-in.)
   */
  const keepRenewing = (s: Socket, session: TestSession): (() => void) => {
    let refreshToken = session.refreshToken;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const renew = async () => {
      const r = await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken }).catch(() => undefined);
      if (r?.status === 200) {
        refreshToken = r.json.refreshToken;
        await ask(s, 'renewSession', { token: r.json.accessToken }).catch(() => undefined);
      }
      if (!stopped) timer = setTimeout(() => void renew(), 1000);
    };
    timer = setTimeout(() => void renew(), 1000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  };
  const disconnected = (s: Socket) => new Promise<void>((resolve) => (s.disconnected ? resolve() : s.once('disconnect', () => resolve())));

  test('signing out ends that sign-in\'s connections at once; another sign-in of the same person goes on', async () => {
    const [first, second] = [await login(server, 'soyte'), await login(server, 'soyte')];
    const [a, b] = [await open(first.accessToken), await open(second.accessToken)];
    const end = ended(a);
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/logout', { refreshToken: first.refreshToken })).status, 204);
    assert.deepEqual(await end, { reason: 'signed-out' });
    await disconnected(a);
    assert.equal((await ask(b, 'listCameras')).ok, true, 'the other sign-in is untouched');
    // The signed-out sign-in's access token has not expired, yet it opens no connection.
    await assert.rejects(open(first.accessToken), /signed out/);
  });

  test('a connection ends with its token unless the page renews it, with a token of the same sign-in only', async () => {
    const [mine, other, someoneElse] = [await login(server, 'quocgia'), await login(server, 'quocgia'), await login(server, 'congan')];
    const [renewed, lapsing] = [await open(mine.accessToken), await open(other.accessToken)];
    const lapse = ended(lapsing);
    let renewedEnded = 'not ended';
    void ended(renewed).then((e) => (renewedEnded = e.reason));

    // Refused renewals change nothing.
    for (const [token, code] of [[other.accessToken, 'UNAUTHENTICATED'], [someoneElse.accessToken, 'UNAUTHENTICATED'], ['not-a-token', 'UNAUTHENTICATED'], [5, 'BAD_REQUEST']] as const) {
      assert.equal((await ask(renewed, 'renewSession', { token })).error?.code, code, String(token).slice(0, 20));
    }
    const refreshed = await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: mine.refreshToken });
    assert.equal(refreshed.status, 200);
    const r = await ask(renewed, 'renewSession', { token: refreshed.json.accessToken });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.ok(r.data.validUntil > Date.now() + (TTL_S - 2) * 1000);
    const stop = keepRenewing(renewed, { ...mine, refreshToken: refreshed.json.refreshToken });
    try {
      // The other connection was opened at the same moment and is not renewed: it ends.
      assert.deepEqual(await lapse, { reason: 'expired' });
      await disconnected(lapsing);
      assert.equal(renewed.connected, true, `the renewed one lives on (its session: ${renewedEnded})`);
      assert.equal((await ask(renewed, 'listCameras')).ok, true);
    } finally {
      stop();
    }
  });

  test('a password change ends the person\'s other sign-ins\' connections, not the one it was made from', async () => {
    const [here, elsewhere] = [await login(server, 'quansu'), await login(server, 'quansu')];
    const [kept, other] = [await open(here.accessToken), await open(elsewhere.accessToken)];
    const end = ended(other);
    const changed = await apiCall(server, here.accessToken, 'POST', '/api/me/password', { current: 'giamsat-demo-2021', password: 'Đổi mật khẩu ngày 2/12 lúc 15 giờ!', refreshToken: here.refreshToken });
    assert.equal(changed.status, 204, JSON.stringify(changed.json));
    assert.deepEqual(await end, { reason: 'signed-out' });
    assert.equal((await ask(kept, 'listCameras')).ok, true);
  });

  /**
   * Health pushes for `cameraId` that reach `s` while the server publishes `n` more health
   * updates of it (a round trip after them flushes anything on its way).
   */
  const pushesDuring = async (s: Socket, n: number): Promise<number> => {
    let got = 0;
    const onPush = (e: { cameraId: string }) => { if (e.cameraId === cameraId) got++; };
    s.on('cameraHealth', onPush);
    await new Promise<void>((resolve) => {
      let seen = 0;
      const onHealth = (id: string) => {
        if (id === cameraId && ++seen >= n) {
          server.cameras.off('health', onHealth);
          resolve();
        }
      };
      server.cameras.on('health', onHealth);
    });
    await ask(s, 'getRouterRtpCapabilities');
    s.off('cameraHealth', onPush);
    return got;
  };

  test('a revoked grant stops the camera\'s health pushes at once, though the page never asks for its list again', async () => {
    const leader = await login(server, 'khachsan');
    const s = await open(leader.accessToken);
    const stop = keepRenewing(s, leader);
    after(stop);
    const listed = await ask(s, 'listCameras');
    assert.ok(listed.data.some((c: { id: string }) => c.id === cameraId));
    assert.ok(await pushesDuring(s, 2) >= 1, 'pushes flow while the camera is theirs');

    const changed = new Promise<void>((resolve) => s.once('camerasChanged', () => resolve()));
    const admin = await login(server, 'quantri');
    const deny = await apiCall(server, admin.accessToken, 'POST', '/api/assignments', { userId: leader.userId, role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel, effect: 'DENY', reason: 'Tạm dừng' });
    assert.equal(deny.status, 201, JSON.stringify(deny.json));
    await changed;
    assert.equal(await pushesDuring(s, 3), 0, 'no push after the change, with no new list asked');
    assert.equal((await apiCall(server, (await login(server, 'quantri')).accessToken, 'DELETE', `/api/assignments/${deny.json.id}`, { reason: 'Xong' })).status, 204);
  });

  test('a spot check that runs out stops the inspector\'s pushes with no event but the clock', async () => {
    const admin = await login(server, 'quantri');
    const inspector: TestSession = await login(server, 'thanhtra');
    const endsAt = new Date(Date.now() + 4000).toISOString();
    const made = await apiCall(server, admin.accessToken, 'POST', '/api/spot-checks', { inspectorId: inspector.userId, facilityId: DEMO_IDS.hotel, endsAt, reason: 'Kiểm tra nhanh' });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const s = await open(inspector.accessToken);
    const stop = keepRenewing(s, inspector);
    after(stop);
    assert.ok((await ask(s, 'listCameras')).data.some((c: { id: string }) => c.id === cameraId));
    assert.ok(await pushesDuring(s, 1) >= 1);
    // The sweep finds the room no longer allowed, leaves it and tells the page (a connection
    // that ended instead says how, rather than leaving the test to wait).
    const why = await Promise.race([
      new Promise<string>((resolve) => s.once('camerasChanged', () => resolve('camerasChanged'))),
      ended(s).then((e) => `the connection ended: ${e.reason}`),
    ]);
    assert.equal(why, 'camerasChanged');
    assert.ok(Date.now() >= Date.parse(endsAt), 'only once the spot check ended');
    assert.equal(await pushesDuring(s, 3), 0);
  });
});

describe('the camera list and the open views agree', { timeout: 90_000 }, () => {
  let server: TestServer;
  let camera: TestCamera;
  let cameraId: string;
  let socket: Socket | undefined;

  before(async () => {
    // Re-checks 10 s apart: within a test only the list can notice a grant running out.
    [server, camera] = await Promise.all([startTestServer({ auth: { recheckMs: 10_000 } }), startCamera({ width: 320, height: 180, fps: 15 })]);
    cameraId = (await addCamera(server, { name: 'Sảnh', mainUrl: camera.url, alwaysOn: true, facilityId: DEMO_IDS.hotel })).json.id;
    await waitForHealth(server, cameraId, (h) => h.state === 'live', 30_000);
  });
  after(async () => {
    socket?.close();
    await server?.stop();
    await camera?.stop();
  });

  test('a view of a camera the list leaves out ends as withdrawn, told before the list arrives', async () => {
    const admin = await login(server, 'quantri');
    const inspector = await login(server, 'thanhtra');
    const endsAt = Date.now() + 3000;
    const made = await apiCall(server, admin.accessToken, 'POST', '/api/spot-checks', { inspectorId: inspector.userId, facilityId: DEMO_IDS.hotel, endsAt: new Date(endsAt).toISOString(), reason: 'Kiểm tra nhanh' });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const s = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: inspector.accessToken } });
    socket = s;
    await new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('connect_error', reject));
    const ask = (event: string, body: unknown = {}): Promise<AckBody> => s.timeout(15_000).emitWithAck(event, body);
    const transport = await ask('createTransport');
    assert.equal(transport.ok, true, JSON.stringify(transport));
    const consumed = await ask('consume', { transportId: transport.data.id, cameraId, rtpCapabilities: server.media.rtpCapabilities });
    assert.equal(consumed.ok, true, JSON.stringify(consumed));
    const order: string[] = [];
    s.on('consumerClosed', (e: { consumerId: string; reason: string }) => order.push(`closed ${e.consumerId === consumed.data.consumerId ? 'mine' : e.consumerId}: ${e.reason}`));
    // The grant runs out by the clock alone: nothing announces it.
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now()) + 50));
    const list = await ask('listCameras');
    order.push('list');
    assert.equal(list.ok, true);
    assert.ok(!list.data.some((c: { id: string }) => c.id === cameraId), 'the camera left the list');
    assert.deepEqual(order, ['closed mine: access revoked', 'list']);
    await server.audit.drain();
    const ends = await server.db.prisma.auditEntry.findMany({ where: { actorId: inspector.userId, action: { in: ['view.end', 'view.revoked'] } } });
    assert.deepEqual(ends.map((e) => e.action), ['view.revoked'], 'the audit says the view was withdrawn');
  });
});
