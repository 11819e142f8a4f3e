// "Test this camera" against real cameras (gst-rtsp-server) and real failures: what a
// technician needs within 10 s (codec, profile, resolution, frame rate, keyframe interval,
// bitrate, audio, a decoded frame), and for each way a camera fails, why: refused, a host that
// does not answer, 401 with the camera's realm, 404. Only those who register cameras may probe;
// bad addresses are refused naming the field; a burst of probes queues and then refuses
// instead of starting ffmpeg without bound.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { PROBE_DEADLINE_MS } from '../../server/cameras/camera-probe.js';
import { checkDirectFitness } from '../../server/media/direct-fitness.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { parameterSetPacket, spropParameterSets } from '../../server/media/rtp/rtp.js';
import { h264Packet, SDP, udpCamera } from '../support/hostile-rtsp.js';
import { freePort } from '../support/net.js';
import { login, startTestServer, type TestServer } from '../support/server.js';

describe('test this camera', { timeout: 240_000 }, () => {
  let server: TestServer;
  let cam: TestCamera;
  let locked: TestCamera;
  let installer: string;
  const hangers: net.Server[] = [];

  before(async () => {
    [server, cam, locked] = await Promise.all([
      startTestServer(),
      startCamera({ codec: 'h264', profile: 'main', width: 640, height: 360, fps: 15, gop: 15, kbps: 600 }),
      startCamera({ auth: 'digest', user: 'viewer', password: 's3cret' }),
    ]);
    installer = (await login(server, 'kythuat')).accessToken;
  });
  after(async () => {
    for (const h of hangers) h.close();
    await Promise.all([cam?.stop(), locked?.stop()]);
    await server?.stop();
  });

  const withCredentials = (url: string, password: string) => url.replace('rtsp://', `rtsp://viewer:${password}@`);
  const probe = async (body: unknown, token = installer) => {
    const res = await fetch(`${server.url}/api/cameras/probe`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: await res.json() as any };
  };

  /** A TCP server that accepts and never answers (a camera that hangs after connecting). */
  async function hanger(): Promise<number> {
    const s = net.createServer(() => undefined);
    hangers.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as net.AddressInfo).port;
  }

  test('a working camera: codec, profile, resolution, frame rate, keyframe interval, bitrate, no audio, and a frame', async () => {
    const r = await probe({ url: cam.url });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const { video } = r.json;
    assert.equal(r.json.reachable, true);
    assert.equal(r.json.failure, undefined);
    assert.equal(video.codec, 'h264');
    assert.equal(video.profile, 'Main');
    assert.deepEqual([video.width, video.height], [640, 360]);
    assert.ok(Math.abs(video.fps - 15) <= 2, `fps ${video.fps}`);
    assert.ok(Math.abs(video.keyframeIntervalS - 1) <= 0.2, `keyframe interval ${video.keyframeIntervalS}`);
    assert.ok(video.bitrateKbps > 10 && video.bitrateKbps < 5000, `bitrate ${video.bitrateKbps}`);
    assert.equal(r.json.audio, null);
    const jpeg = Buffer.from(r.json.frameJpeg, 'base64');
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
    assert.ok(jpeg.length > 500);
    assert.ok(r.json.elapsedMs < PROBE_DEADLINE_MS, `${r.json.elapsedMs} ms`);
    const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'camera.probe' }, orderBy: { seq: 'desc' } });
    assert.equal((entry.details as { host: string }).host, new URL(cam.url).host);
  });

  test('whether a camera can use the direct path: its SSRC in SETUP, parameter sets before a keyframe it was asked for', async () => {
    // The same encoder twice: x264's own headers come before its scheduled IDRs only; the one
    // whose payloader repeats them before every IDR (config-interval=-1) fits.
    const inband = await startCamera({ inband: true, fps: 15, gop: 75 });
    try {
      const fits = await probe({ url: inband.url });
      assert.equal(fits.status, 200, JSON.stringify(fits.json));
      assert.deepEqual(fits.json.direct, { fits: true, ssrcInSetup: true, udpReached: true, setsBeforeKeyframes: true, keyframeOnRequest: true });
    } finally {
      await inband.stop();
    }
    // A 5 s GOP: the keyframe that follows the request within 1 s is the answer to it, and
    // x264 forced to it puts no headers before it.
    const scheduledOnly = await startCamera({ fps: 15, gop: 75 });
    try {
      const r = await probe({ url: scheduledOnly.url });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.deepEqual(r.json.direct, { fits: false, reason: 'the camera\'s keyframe sent when asked came without its parameter sets (SPS/PPS): a new viewer could not start there (the relay adds them: use ingest \'auto\')', ssrcInSetup: true, udpReached: true, setsBeforeKeyframes: false, keyframeOnRequest: true });
    } finally {
      await scheduledOnly.stop();
    }
    // Scripted cameras (their packets are nothing ffmpeg could decode, so these ask the check
    // itself). One that names no SSRC in SETUP (every gst camera names one):
    const noSsrc = await udpCamera();
    try {
      assert.deepEqual(await checkDirectFitness({ url: noSsrc.url, allowBasic: false, deadline: Date.now() + 5000 }), { fits: false, reason: 'the camera names no SSRC in its SETUP answer', ssrcInSetup: false, udpReached: null, setsBeforeKeyframes: null, keyframeOnRequest: null });
    } finally {
      await noSsrc.close();
    }
    // One whose UDP never reaches the server (a firewall between them): said so.
    const blocked = await udpCamera(undefined, { setupSsrc: 7 });
    blocked.held = true;
    try {
      const b = await checkDirectFitness({ url: blocked.url, allowBasic: false, deadline: Date.now() + 1500 });
      assert.equal(b.fits, false);
      assert.equal(b.udpReached, false);
      assert.match(b.reason ?? '', /^no RTP reached the server over UDP/);
    } finally {
      await blocked.close();
    }
    // One that heads every keyframe with its sets but ignores keyframe requests (a keyframe
    // every 1.5 s, the first at once): it fits, with a slow first picture.
    const sets = spropParameterSets(/sprop-parameter-sets=([^;\r\n]+)/.exec(SDP)![1]);
    const deaf = await udpCamera((i) => {
      const ts = Math.floor(i / 2) * 3600;
      return { rtp: i % 150 === 0 ? parameterSetPacket(sets.sps!, sets.pps!, h264Packet(i, ts, true)) : h264Packet(i, ts, i % 150 === 1) };
    }, { setupSsrc: 7 });
    try {
      assert.deepEqual(await checkDirectFitness({ url: deaf.url, allowBasic: false, deadline: Date.now() + 5000 }), { fits: true, ssrcInSetup: true, udpReached: true, setsBeforeKeyframes: true, keyframeOnRequest: false });
    } finally {
      await deaf.close();
    }
  });

  test('a camera that offers only Basic over plain RTSP is not sent the password unless its settings allow it', async () => {
    const basic = await startCamera({ auth: 'basic', user: 'viewer', password: 's3cret' });
    try {
      const url = withCredentials(basic.url, 's3cret');
      const refused = await probe({ url });
      assert.equal(refused.status, 200);
      assert.equal(refused.json.failure.kind, 'basic-only');
      assert.match(refused.json.failure.message, /only Basic authentication/);
      assert.doesNotMatch(JSON.stringify(refused.json), /s3cret/);
      const allowed = await probe({ url, rtspBasicAuth: true });
      assert.equal(allowed.json.failure, undefined, JSON.stringify(allowed.json.failure));
      assert.equal(allowed.json.video.codec, 'h264');
    } finally {
      await basic.stop();
    }
  });

  test('each failure says why, within the deadline, and never echoes the credentials', async () => {
    const cases: Array<[string, string, (j: any) => void]> = [
      ['no credentials', locked.url, (j) => {
        assert.equal(j.failure.kind, 'unauthorized');
        assert.equal(j.failure.status, 401);
        assert.ok(j.failure.realm, 'the camera\'s realm');
      }],
      ['wrong password', withCredentials(locked.url, 'Sai-Mat-Khau'), (j) => assert.equal(j.failure.kind, 'unauthorized')],
      ['wrong path', cam.url.replace(/\/[^/]*$/, '/khong-co'), (j) => assert.equal(j.failure.kind, 'not-found')],
      ['refused', `rtsp://127.0.0.1:${await freePort()}/x`, (j) => assert.equal(j.failure.kind, 'refused')],
      ['silent host', `rtsp://127.0.0.1:${await hanger()}/x`, (j) => assert.equal(j.failure.kind, 'timeout')],
    ];
    for (const [what, url, check] of cases) {
      const r = await probe({ url });
      assert.equal(r.status, 200, what);
      assert.equal(r.json.reachable, false, what);
      check(r.json);
      assert.ok(r.json.elapsedMs < PROBE_DEADLINE_MS, `${what}: ${r.json.elapsedMs} ms`);
      assert.ok(!JSON.stringify(r.json).includes('Sai-Mat-Khau') && !JSON.stringify(r.json).includes('s3cret'), what);
    }
    const ok = await probe({ url: withCredentials(locked.url, 's3cret') });
    assert.equal(ok.json.reachable, true, 'with its credentials the locked camera plays');
  });

  test('only those who register cameras may probe; bad addresses name the field', async () => {
    assert.equal((await probe({ url: cam.url }, (await login(server, 'soyte')).accessToken)).status, 404);
    assert.equal((await probe({ url: cam.url }, (await login(server, 'quantri')).accessToken)).status, 200);
    for (const body of [{ url: 'ftp://10.0.0.1/x' }, { url: 'not a url' }, { url: 'rtsp:///x' }, {}, { url: cam.url, extra: 1 }, { url: cam.url, rtspTransport: 'http' }]) {
      const r = await probe(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error.code, 'BAD_REQUEST');
    }
    assert.match((await probe({ url: 'http://x/y' })).json.error.message, /url/);
  });

  test('a burst of probes: two run, eight wait, the rest are refused at once (429), none fails', async () => {
    const port = await hanger();
    const results = await Promise.all(Array.from({ length: 12 }, () => probe({ url: `rtsp://127.0.0.1:${port}/x` })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [...Array(10).fill(200), 429, 429]);
    assert.ok(results.filter((r) => r.status === 200).every((r) => r.json.failure.kind === 'timeout'));
  });
});
