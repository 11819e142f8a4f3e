// Bad input from clients, operators and cameras: each gets a clear error, nothing stored
// changes, and a viewer already watching keeps receiving media throughout.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { startCamera, type TestCamera } from '../support/camera.js';
import { openRtpSink, type RtpSink } from '../support/rtp-sink.js';
import { addCamera, adminBearer, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

type AckBody = { ok: boolean; data?: any; error?: { code: string; message: string } };

describe('bad input', { timeout: 180_000 }, () => {
  let server: TestServer;
  let cam: TestCamera;
  let sink: RtpSink;
  let socket: Socket;
  let goodId: string;
  const closers: Array<() => unknown> = [];

  const ask = (event: string, ...args: unknown[]): Promise<AckBody> => socket.timeout(15_000).emitWithAck(event, ...args);
  /** A signaling connection of `username`'s, connected. */
  const connectAs = async (username: string): Promise<Socket> => {
    const { accessToken } = await login(server, username);
    const s = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: accessToken } });
    await new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('connect_error', reject));
    return s;
  };
  const api = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminBearer(server)}`, ...headers },
      body,
    });

  before(async () => {
    [server, cam] = await Promise.all([startTestServer({ ingest: { startTimeoutMs: 8000 } }), startCamera({})]);
    goodId = (await addCamera(server, { name: 'good', mainUrl: cam.url })).json.id;
    sink = await openRtpSink(server, goodId);
    await sink.waitForPackets(20);
    socket = await connectAs('quocgia');
  });
  after(async () => {
    socket?.close();
    for (const c of closers) await c();
    await sink?.close();
    await server?.stop();
    await cam?.stop();
  });

  test('malformed signaling events get a clear error acknowledgement', async () => {
    let r = await ask('noSuchEvent', {});
    assert.equal(r.error?.code, 'UNKNOWN_EVENT');
    r = await ask('__proto__', {});
    assert.equal(r.error?.code, 'UNKNOWN_EVENT');
    r = await ask('consume', { transportId: 1, cameraId: ['x'], rtpCapabilities: 'all' });
    assert.equal(r.error?.code, 'BAD_REQUEST');
    assert.match(r.error!.message, /transportId/);
    r = await ask('consume', 'just a string');
    assert.equal(r.error?.code, 'BAD_REQUEST');
    r = await ask('createTransport', { extra: true });
    assert.equal(r.error?.code, 'BAD_REQUEST', 'unknown fields are refused');
    r = await ask('listCameras', {}, {});
    assert.equal(r.error?.code, 'BAD_REQUEST', 'one payload only');
    r = await ask('connectTransport', { transportId: 'nope', dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] } });
    assert.equal(r.error?.code, 'NOT_FOUND');
    r = await ask('resumeConsumer', { consumerId: 'x'.repeat(65) });
    assert.equal(r.error?.code, 'BAD_REQUEST');
    socket.emit('consume', { junk: true }); // no acknowledgement callback: ignored, nothing breaks
    const list = await ask('listCameras', {});
    assert.equal(list.ok, true, 'the connection still works');
  });

  test('per-session limits on transports and consumers hold under parallel requests', async () => {
    const other = await connectAs('quocgia');
    // Every view start and end of the burst reaches the audit log (a burst once lost a third of them).
    const audited = { start: new Set<string>(), end: new Set<string>() };
    const onAppended = (e: { action: string; details?: Record<string, unknown> }) => {
      if (e.action === 'view.start') audited.start.add(String(e.details?.consumer));
      if (e.action === 'view.end') audited.end.add(String(e.details?.consumer));
    };
    server.audit.observer.on('appended', onAppended);
    let consumerIds: string[] = [];
    try {
      const send = (event: string, body: unknown): Promise<AckBody> => other.timeout(30_000).emitWithAck(event, body);
      const transports = await Promise.all(Array.from({ length: 12 }, () => send('createTransport', {})));
      assert.equal(transports.filter((r) => r.ok).length, 4, 'four transports, however the requests interleave');
      for (const r of transports.filter((x) => !x.ok)) assert.match(r.error!.message, /at most 4 transports per session/);
      const transportId = transports.find((r) => r.ok)!.data.id;
      const consumes = await Promise.all(Array.from({ length: 80 }, () => send('consume', { transportId, cameraId: goodId, rtpCapabilities: server.media.rtpCapabilities })));
      assert.equal(consumes.filter((r) => r.ok).length, 64, `64 consumers at most (${JSON.stringify(consumes.find((r) => !r.ok && !/at most 64/.test(r.error?.message ?? '')))})`);
      for (const r of consumes.filter((x) => !x.ok)) assert.match(r.error!.message, /at most 64 consumers per session/);
      consumerIds = consumes.filter((r) => r.ok).map((r) => String(r.data.consumerId));
    } finally {
      other.close();
    }
    // The socket's end closes its 64 consumers; wait for their ends to be written.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (consumerIds.every((id) => audited.end.has(id))) {
          server.audit.observer.off('appended', check);
          resolve();
        }
      };
      server.audit.observer.on('appended', check);
      check();
    });
    server.audit.observer.off('appended', onAppended);
    const stored = await server.db.prisma.auditEntry.findMany({ where: { action: { in: ['view.start', 'view.end'] } }, select: { action: true, details: true } });
    const storedFor = (action: string) => new Set(stored.filter((r) => r.action === action).map((r) => String((r.details as { consumer?: string }).consumer)));
    for (const action of ['view.start', 'view.end']) {
      const have = storedFor(action);
      assert.deepEqual(consumerIds.filter((id) => !have.has(id)), [], `every ${action} of the burst is stored`);
    }
    assert.equal(server.audit.state().refused, 0);
    assert.equal((await server.audit.verify()).ok, true);
  });

  test('an account that watches no camera (an installer) gets no media transport', async () => {
    const installer = await connectAs('kythuat');
    try {
      const r: AckBody = await installer.timeout(15_000).emitWithAck('createTransport', {});
      assert.equal(r.error?.code, 'FORBIDDEN');
      assert.match(r.error!.message, /watches no camera/);
      assert.equal((await ask('createTransport', {})).ok, true, 'a monitor still gets one');
    } finally {
      installer.close();
    }
  });

  test('a receive transport asked for with the sign-in comes with the connection, counted against the session\'s transports; a bad or refused one is told and the connection stays', async () => {
    const { accessToken } = await login(server, 'quocgia');
    const { accessToken: installerToken } = await login(server, 'kythuat');
    const open = async (auth: Record<string, unknown>) => {
      const s = io(server.url, { transports: ['websocket'], reconnection: false, auth });
      closers.push(() => s.close());
      // Listened for before the connection opens: the server pushes it as it connects.
      const pushed = new Promise<AckBody>((resolve) => s.once('transport', resolve));
      await new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('connect_error', reject));
      return { s, pushed: await pushed };
    };
    const made = await open({ token: accessToken, transport: {} });
    assert.equal(made.pushed.ok, true, JSON.stringify(made.pushed));
    assert.ok(made.pushed.data.id && made.pushed.data.iceParameters && made.pushed.data.dtlsParameters, 'transport parameters');
    const send = (event: string, body: unknown): Promise<AckBody> => made.s.timeout(15_000).emitWithAck(event, body);
    // It is the session's: a consume on it works, and it counts against the four transports.
    assert.equal((await send('consume', { transportId: made.pushed.data.id, cameraId: goodId, rtpCapabilities: server.media.rtpCapabilities })).ok, true);
    const more = await Promise.all(Array.from({ length: 4 }, () => send('createTransport', {})));
    assert.deepEqual(more.map((r) => r.ok), [true, true, true, false], JSON.stringify(more.map((r) => r.error)));
    // Junk in its place: told, as a request would be, and the connection is still of use.
    const junk = await open({ token: accessToken, transport: { dtlsParameters: 'x', extra: 1 } });
    assert.equal(junk.pushed.error?.code, 'BAD_REQUEST');
    assert.equal((await junk.s.timeout(15_000).emitWithAck('listCameras', {})).ok, true);
    // An account that watches nothing gets none, as with createTransport.
    const installer = await open({ token: installerToken, transport: {} });
    assert.equal(installer.pushed.error?.code, 'FORBIDDEN');
    // Without it, nothing is pushed (a listener would hear only what follows).
    const plain = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: accessToken } });
    closers.push(() => plain.close());
    let pushes = 0;
    plain.on('transport', () => pushes++);
    await new Promise<void>((resolve) => plain.once('connect', () => resolve()));
    await plain.timeout(15_000).emitWithAck('listCameras', {}); // a round trip after the connection
    assert.equal(pushes, 0);
  });

  test('a transport connected as it is made: bad DTLS parameters leave no transport behind, and it cannot be connected twice', async () => {
    const viewer = await connectAs('quocgia');
    try {
      const send = (event: string, body: unknown): Promise<AckBody> => viewer.timeout(15_000).emitWithAck(event, body);
      const fingerprints = [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':') }];
      let r = await send('createTransport', { dtlsParameters: { role: 'server', fingerprints } });
      assert.equal(r.error?.code, 'BAD_REQUEST', 'the page is the DTLS client');
      // Refused by mediasoup after the transport was made (six times: more than the session's
      // limit of four), each leaves nothing behind.
      for (let i = 0; i < 6; i++) {
        r = await send('createTransport', { dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'md5', value: 'AA' }] } });
        assert.equal(r.error?.code, 'BAD_REQUEST');
        assert.match(r.error!.message, /cannot connect transport/);
      }
      const made = await Promise.all(Array.from({ length: 4 }, () => send('createTransport', { dtlsParameters: { role: 'client', fingerprints } })));
      assert.deepEqual(made.map((m) => m.ok), [true, true, true, true], 'the session still has its four transports');
      const [first] = made;
      assert.equal(first!.data.connected, true);
      assert.equal(first!.data.dtlsParameters.role, 'server', 'the server answers the page\'s handshake');
      r = await send('connectTransport', { transportId: first!.data.id, dtlsParameters: { role: 'client', fingerprints } });
      assert.equal(r.error?.code, 'BAD_REQUEST', 'connected once is enough');
      assert.equal((await send('createTransport', {})).error?.code, 'BAD_REQUEST', 'and the limit holds');
    } finally {
      viewer.close();
    }
  });

  test('signaling requests are rate-limited per socket: a flood is refused before any work, the socket recovers, others are untouched', async () => {
    const flooder = await connectAs('quocgia');
    try {
      const send = (event: string, body: unknown): Promise<AckBody> => flooder.timeout(30_000).emitWithAck(event, body);
      const answers = await Promise.all(Array.from({ length: 300 }, () => send('createTransport', { extra: true })));
      const codes = answers.map((a) => a.error?.code);
      const limited = codes.filter((c) => c === 'TOO_MANY_REQUESTS').length;
      assert.ok(codes.filter((c) => c === 'BAD_REQUEST').length >= 100, 'a burst of 100 is served');
      assert.ok(limited >= 150, `the rest is refused (${limited} of 300)`);
      assert.match(answers.find((a) => a.error?.code === 'TOO_MANY_REQUESTS')!.error!.message, /at most 30 requests per second/);
      // Another socket is not slowed by it.
      assert.equal((await ask('noSuchEvent', {})).error?.code, 'UNKNOWN_EVENT');
      // The flooder is served again once the rate allows (a token every 33 ms).
      const t0 = Date.now();
      const deadline = Date.now() + 3000;
      let again: AckBody;
      do again = await send('noSuchEvent', {}); while (again.error?.code === 'TOO_MANY_REQUESTS' && Date.now() < deadline);
      console.log(`# served again after ${Date.now() - t0} ms`);
      assert.equal(again.error?.code, 'UNKNOWN_EVENT');
    } finally {
      flooder.close();
    }
  });

  test('an account holds at most 10 signaling connections at once, however many arrive together', async () => {
    const { accessToken } = await login(server, 'khachsan');
    // Each asks for its receive transport with the sign-in, as the page does: one per connection let in.
    const pushes = new Map<Socket, AckBody[]>();
    const open = () => {
      const s = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: accessToken, transport: {} } });
      pushes.set(s, []);
      s.on('transport', (res: AckBody) => pushes.get(s)!.push(res));
      return s;
    };
    const outcome = (s: Socket) => new Promise<string>((resolve) => {
      s.once('connect', () => resolve('connected'));
      s.once('connect_error', (e: Error & { data?: { code?: string } }) => resolve(`${e.data?.code}: ${e.message}`));
    });
    const sockets = Array.from({ length: 14 }, open);
    try {
      const results = await Promise.all(sockets.map(outcome));
      assert.equal(results.filter((r) => r === 'connected').length, 10, results.join('\n'));
      for (const r of results.filter((x) => x !== 'connected')) assert.match(r, /^TOO_MANY_REQUESTS: at most 10 connections per account at once/);
      const connected = sockets.filter((_, i) => results[i] === 'connected');
      // Each connection's transport comes; a round trip later, no second one has.
      await Promise.all(connected.map((c) => pushes.get(c)!.length > 0 || new Promise((resolve) => c.once('transport', resolve))));
      await Promise.all(connected.map((c) => c.timeout(15_000).emitWithAck('listCameras', {})));
      assert.deepEqual(connected.map((c) => pushes.get(c)!.map((r) => r.ok)), connected.map(() => [true]), 'one transport each');
      assert.ok(sockets.filter((_, i) => results[i] !== 'connected').every((c) => pushes.get(c)!.length === 0), 'none for a refused connection');
      // Another account is not affected.
      assert.equal((await ask('listCameras', {})).ok, true);
      // Closing one gives its place back.
      const sessionsBefore = server.signaling.sessionCount;
      sockets[results.indexOf('connected')]!.close();
      const deadline = Date.now() + 5000;
      while (server.signaling.sessionCount >= sessionsBefore && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      const again = open();
      sockets.push(again);
      assert.equal(await outcome(again), 'connected');
      const over = open();
      sockets.push(over);
      assert.match(await outcome(over), /^TOO_MANY_REQUESTS/);
    } finally {
      for (const s of sockets) s.close();
    }
  });

  test('an unknown camera id is a NOT_FOUND and starts nothing', async () => {
    const t = await ask('createTransport', {});
    assert.equal(t.ok, true);
    const r = await ask('consume', { transportId: t.data.id, cameraId: '00000000-0000-4000-8000-000000000000', rtpCapabilities: server.media.rtpCapabilities });
    assert.equal(r.error?.code, 'NOT_FOUND');
    assert.equal(server.media.streams.size, 1, 'no stream was opened');
  });

  test('an oversized message closes only the sender\'s connection', async () => {
    const other = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: (await login(server, 'quocgia')).accessToken } });
    closers.push(() => other.close());
    await new Promise<void>((resolve) => other.once('connect', () => resolve()));
    const gone = new Promise((resolve) => other.once('disconnect', resolve));
    other.emit('listCameras', { pad: 'x'.repeat(200 * 1024) });
    assert.equal(await gone, 'transport close');
    assert.equal((await ask('listCameras', {})).ok, true, 'other clients are unaffected');
  });

  test('the camera API refuses bad input and changes nothing', async () => {
    // What is stored (live health changes by itself and is not compared).
    const stored = async () => ((await (await api('GET', '/api/cameras')).json()) as Array<Record<string, unknown>>)
      .map(({ id, name, location, alwaysOn, hasSubStream }) => ({ id, name, location, alwaysOn, hasSubStream }));
    const before = await stored();
    let res = await api('POST', '/api/cameras', JSON.stringify({ name: 'web', mainUrl: 'http://10.0.0.1/video' }));
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /rtsp/);
    res = await api('POST', '/api/cameras', '{"name": ');
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.message, 'request body is not valid JSON');
    res = await api('POST', '/api/cameras', JSON.stringify({ name: 'big', mainUrl: 'rtsp://h/x', location: 'x'.repeat(64 * 1024) }));
    assert.equal(res.status, 400);
    res = await api('POST', '/api/cameras', JSON.stringify({ name: 'good', mainUrl: 'rtsp://h/other' }));
    assert.equal(res.status, 409, 'duplicate name');
    res = await api('PATCH', `/api/cameras/${goodId}`, JSON.stringify({ mainUrl: 'file:///etc/passwd' }));
    assert.equal(res.status, 400);
    res = await api('GET', '/api/cameras/00000000-0000-4000-8000-000000000000');
    assert.equal(res.status, 404);
    res = await api('DELETE', '/api/cameras/not-a-uuid');
    assert.equal(res.status, 404, 'an id that cannot exist is simply not found');
    res = await api('GET', '/api/cameras', undefined, { authorization: 'Bearer wrong-token-wrong-token' });
    assert.equal(res.status, 401);
    res = await fetch(`${server.url}/api/cameras`);
    assert.equal(res.status, 401);
    assert.deepEqual(await stored(), before, 'nothing changed');
    assert.equal(server.cameras.record(goodId).mainUrl, cam.url);
  });

  const garbageSockets = new Set<net.Socket>();
  const garbage = net.createServer((s) => {
    garbageSockets.add(s);
    s.on('close', () => garbageSockets.delete(s));
    s.on('error', () => undefined);
    s.end(Buffer.from('HTTP/1.0 200 OK\r\n\r\n\x00\xff\x13garbage garbage garbage\r\n\r\n', 'latin1'));
  });

  const broken: Array<[string, () => Promise<string>, RegExp]> = [
    ['an unreachable host (connection refused)', async () => {
      const srv = net.createServer().listen(0, '127.0.0.1');
      await new Promise((r) => srv.once('listening', r));
      const port = (srv.address() as net.AddressInfo).port;
      await new Promise((r) => srv.close(r));
      return `rtsp://127.0.0.1:${port}/stream`;
    }, /refused/],
    ['a host name that does not resolve', async () => 'rtsp://camera-42.invalid/stream', /resolve/],
    ['a wrong RTSP path', async () => `rtsp://user:s3cret-pw@127.0.0.1:${cam.port}/no-such-path`, /404/],
    ['a server that answers garbage', async () => {
      garbage.listen(0, '127.0.0.1');
      await new Promise((r) => garbage.once('listening', r));
      closers.push(() => new Promise((r) => {
        garbage.close(r);
        for (const s of garbageSockets) s.destroy();
      }));
      return `rtsp://127.0.0.1:${(garbage.address() as net.AddressInfo).port}/x`;
    }, /.+/],
  ];
  for (const [what, makeUrl, reason] of broken) {
    test(`${what}: the viewer gets CAMERA_UNAVAILABLE with a reason, the camera shows offline`, async () => {
      const url = await makeUrl();
      const { status, json } = await addCamera(server, { name: what, mainUrl: url });
      assert.equal(status, 201);
      const t = await ask('createTransport', {});
      const r = await ask('consume', { transportId: t.data.id, cameraId: json.id, rtpCapabilities: server.media.rtpCapabilities });
      assert.equal(r.error?.code, 'CAMERA_UNAVAILABLE');
      assert.match(r.error!.message, reason);
      assert.doesNotMatch(r.error!.message, /s3cret-pw/, 'credentials never reach the client');
      const health = await waitForHealth(server, json.id, (h) => h.state === 'offline' || (h.state === 'connecting' && h.reason));
      assert.match(health.reason, reason);
      assert.doesNotMatch(JSON.stringify(health), /s3cret-pw/);
      await ask('closeTransport', { transportId: t.data.id });
    });
  }

  test('the viewer that was watching all along kept receiving media', async () => {
    const before = sink.packets;
    await sink.waitForPackets(50);
    assert.ok(sink.packets > before);
    assert.equal(server.cameras.get(goodId).health.state, 'live');
  });
});
