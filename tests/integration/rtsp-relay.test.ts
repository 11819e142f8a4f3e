// runs-alone: keyframe requests are judged by windows of a few hundred milliseconds.
// The in-process RTSP relay on its own terms, with real parts: GStreamer's gst-rtsp-server
// (Digest and Basic authentication, TCP and UDP), a second independent RTSP server
// (RTSP::Server, Debian's rtsp-server-perl, fed by ffmpeg), keyframes on demand, the
// abs-capture-time clock, redirects, and a fuzz run of malformed RTSP/SDP/interleaved data
// from a scripted hostile server.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RtspRelayIngest, type RtspRelayOptions } from '../../server/media/RtspRelayIngest.js';
import { allocateUdpPort } from '../../server/media/udp-port.js';
import { pliPacket } from '../../server/media/rtp/rtp.js';
import type { IngestExit, IngestProgress } from '../../server/media/Ingest.js';
import { rtpHeaderLength } from '../../server/media/rtp/rtp.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { openRtpSink } from '../support/rtp-sink.js';
import { addCamera, adminBearer, startTestServer, waitForHealth, type TestServer } from '../support/server.js';
import { freePort, untilDescribable, waitForPort } from '../support/net.js';
import { h264Packet, hostileServer, interleaved, SDP, udpCamera, validAnswer, type Script } from '../support/hostile-rtsp.js';

const withCredentials = (url: string, user: string, password: string) => url.replace('rtsp://', `rtsp://${user}:${password}@`);

describe('RTSP relay', { timeout: 180_000 }, () => {
  let server: TestServer;
  const cameras: TestCamera[] = [];
  const closers: Array<() => Promise<unknown> | void> = [];

  before(async () => {
    server = await startTestServer({ ingest: { graceMs: 500, backoffInitialMs: 200, backoffMaxMs: 1000 } });
  });
  after(async () => {
    for (const c of closers) await c();
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  for (const auth of ['digest', 'basic'] as const) {
    test(`a ${auth}-authenticated camera plays with the right password and is refused with a wrong one`, async () => {
      const cam = await startCamera({ auth });
      cameras.push(cam);
      const good = await addCamera(server, { name: `auth-${auth}`, mainUrl: withCredentials(cam.url, 'viewer', 's3cret'), ...(auth === 'basic' ? { rtspBasicAuth: true } : {}) });
      const sink = await openRtpSink(server, good.json.id);
      try {
        await sink.waitForPackets(30);
        const h = await waitForHealth(server, good.json.id, (x) => x.state === 'live');
        assert.equal(h.ingest, 'relay');
      } finally {
        await sink.close();
      }
      const bad = await addCamera(server, { name: `auth-${auth}-wrong`, mainUrl: withCredentials(cam.url, 'viewer', 'wr0ng-pw'), ...(auth === 'basic' ? { rtspBasicAuth: true } : {}) });
      const release = server.cameras.stream(bad.json.id, 'main').acquire();
      try {
        const h = await waitForHealth(server, bad.json.id, (x) => x.state === 'offline');
        assert.match(h.reason, /401 Unauthorized/);
        assert.doesNotMatch(JSON.stringify(h), /wr0ng-pw/);
      } finally {
        release();
      }
    });
  }

  for (const ingest of ['auto', 'ffmpeg'] as const) {
    test(`a Basic-only camera is not sent its password unless its settings allow it (${ingest === 'auto' ? 'relay' : 'ffmpeg'})`, async () => {
      const cam = await startCamera({ auth: 'basic' });
      cameras.push(cam);
      const { json } = await addCamera(server, { name: `basic-only-${ingest}`, mainUrl: withCredentials(cam.url, 'viewer', 's3cret'), ingest });
      assert.equal(json.rtspBasicAuth, false, 'off unless asked for');
      const release = server.cameras.stream(json.id, 'main').acquire();
      try {
        const h = await waitForHealth(server, json.id, (x) => x.state === 'offline');
        assert.match(h.reason, /only Basic authentication, which would send the password readable over plain RTSP/);
        // Allowed in the camera's settings, it plays (the edit restarts the ingest).
        const res = await fetch(`${server.url}/api/cameras/${json.id}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminBearer(server)}` },
          body: JSON.stringify({ rtspBasicAuth: true }),
        });
        assert.equal(res.status, 200);
        assert.equal((await res.json()).rtspBasicAuth, true);
        await waitForHealth(server, json.id, (x) => x.state === 'live', 30_000);
      } finally {
        release();
      }
    });
  }

  test('RTP over UDP (client_port) plays as well as over TCP', async () => {
    const cam = await startCamera({});
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'udp-cam', mainUrl: cam.url, rtspTransport: 'udp' });
    const sink = await openRtpSink(server, json.id);
    try {
      await sink.waitForPackets(100);
      assert.ok(sink.idr.total >= 1 && sink.idr.withParameterSets === sink.idr.total, await sink.describe());
      assert.equal((await waitForHealth(server, json.id, (h) => h.state === 'live')).ingest, 'relay');
    } finally {
      await sink.close();
    }
  });

  test('a second, independent RTSP server (RTSP::Server, fed by ffmpeg) plays through the relay', async () => {
    const [clientPort, sourcePort] = [await freePort(), await freePort()];
    const perl = spawn('/usr/bin/rtsp-server-perl', ['-c', String(clientPort), '-s', String(sourcePort), '--rtp_start_port', String(24000 + (clientPort % 1000) * 4), '-l', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    closers.push(() => stop(perl));
    await Promise.all([waitForPort(clientPort), waitForPort(sourcePort)]);
    const publisher = spawn(server.media.ffmpeg.path, [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '25',
      '-f', 'rtsp', '-rtsp_transport', 'udp', `rtsp://127.0.0.1:${sourcePort}/perl`,
    ], { stdio: 'ignore' });
    closers.push(() => stop(publisher));
    // The mount exists once ffmpeg has announced it.
    await untilDescribable(`rtsp://127.0.0.1:${clientPort}/perl`);
    const { json } = await addCamera(server, { name: 'perl-cam', mainUrl: `rtsp://127.0.0.1:${clientPort}/perl`, rtspTransport: 'udp' });
    // Its mount can answer DESCRIBE a moment before its source has finished setting up (then
    // it answers 404 or 400 for a while): the stream retries as for any camera failure.
    const hold = server.cameras.stream(json.id, 'main').acquire();
    closers.push(hold);
    await waitForHealth(server, json.id, (h) => h.state === 'live', 20_000);
    const sink = await openRtpSink(server, json.id);
    try {
      await sink.waitForPackets(100, 15_000);
      assert.ok(sink.idr.total >= 1 && sink.idr.withParameterSets === sink.idr.total, `SPS/PPS before every IDR: ${await sink.describe()}`);
      assert.equal((await waitForHealth(server, json.id, (h) => h.state === 'live')).ingest, 'relay');
    } finally {
      await sink.close();
    }
  });

  test('keyframes on demand: a new viewer gets an IDR at once from a camera with a 40 s GOP', async () => {
    const cam = await startCamera({ gop: 1000 });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'long-gop', mainUrl: cam.url });
    const first = await openRtpSink(server, json.id);
    try {
      const coldMs = await first.waitForIdr(5000);
      // A second viewer on the running stream: its consumer's keyframe request must reach the
      // camera (without it, the next IDR is up to 40 s away).
      const second = await openRtpSink(server, json.id);
      try {
        const warmMs = await second.waitForIdr(3000);
        console.log(`# first IDR: cold ${coldMs} ms, warm ${warmMs} ms (camera GOP 40 s)`);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });

  test("the camera's capture clock reaches viewers as abs-capture-time", async () => {
    const cam = await startCamera({});
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'clocked', mainUrl: cam.url });
    const producer = await (async () => {
      const release = server.cameras.stream(json.id, 'main').acquire();
      closers.push(release);
      return server.cameras.stream(json.id, 'main').waitForProducer(10_000);
    })();
    assert.ok(producer.rtpParameters.headerExtensions?.some((e) => e.uri.endsWith('abs-capture-time')));
    const sink = await openRtpSink(server, json.id);
    try {
      // The camera sends a sender report within ~5 s; from then on the relay stamps frames.
      const deadline = Date.now() + 12_000;
      while (sink.captureTimes.length < 3 && Date.now() < deadline) await sink.waitForPackets(25);
      assert.ok(sink.captureTimes.length >= 3, `abs-capture-time seen ${sink.captureTimes.length} times`);
      for (const { capture, arrived } of sink.captureTimes) {
        // Same machine, same clock: capture happened shortly before arrival.
        assert.ok(arrived - capture > -5 && arrived - capture < 1000, `capture ${arrived - capture} ms before arrival`);
      }
    } finally {
      await sink.close();
    }
  });

  test('the RTSP session is kept alive past the camera\'s session timeout', async () => {
    // An 8 s timeout over UDP (over TCP gst-rtsp-server keeps a session while its connection
    // is open): the relay's keep-alive (OPTIONS at half the timeout, RTCP receiver reports)
    // must hold the one session for 20 s. Without it the session expires (checked by hand).
    const cam = await startCamera({ sessionTimeout: 8 });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'keep-alive', mainUrl: cam.url, rtspTransport: 'udp' });
    const sink = await openRtpSink(server, json.id);
    try {
      await sink.waitForPackets(25);
      const restarts = server.cameras.get(json.id).health.restarts;
      // 20 s of video; a dropped session stops the packets and the wait fails.
      for (const until = Date.now() + 20_000; Date.now() < until;) await sink.waitForPackets(50, 5000);
      assert.equal(server.cameras.get(json.id).health.restarts, restarts, 'no reconnect');
      assert.equal(cam.clients, 1);
    } finally {
      await sink.close();
    }
  });

  test('a redirect (302 with Location) is followed', async () => {
    const cam = await startCamera({});
    cameras.push(cam);
    const redirector = net.createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', (d) => {
        const cseq = /CSeq: (\d+)/i.exec(d.toString())?.[1] ?? '1';
        s.end(`RTSP/1.0 302 Moved Temporarily\r\nCSeq: ${cseq}\r\nLocation: ${cam.url}\r\n\r\n`);
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => redirector.once('listening', r));
    closers.push(() => new Promise((r) => redirector.close(r)));
    const { json } = await addCamera(server, { name: 'redirected', mainUrl: `rtsp://127.0.0.1:${(redirector.address() as net.AddressInfo).port}/old` });
    const sink = await openRtpSink(server, json.id);
    try {
      await sink.waitForPackets(30);
    } finally {
      await sink.close();
    }
  });
});

// ---- fuzzing -------------------------------------------------------------------------------

/** Runs the relay against `url` until it exits (or `ms` pass, then stops it); `options` go to the relay. */
async function runRelay(url: string, sink: dgram.Socket, ms = 4500, options: Partial<RtspRelayOptions> = {}): Promise<IngestExit> {
  const port = sink.address().port;
  const relay = RtspRelayIngest.start({
    url, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort: 0, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500, ...options,
  });
  const exit = new Promise<IngestExit>((resolve) => relay.once('exit', resolve));
  const timer = setTimeout(() => void relay.stop(), ms);
  const e = await exit;
  clearTimeout(timer);
  return e;
}

describe('RTSP relay against malformed input (fuzz)', { timeout: 240_000 }, () => {
  let sink: dgram.Socket;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  before(async () => {
    process.on('uncaughtException', onUncaught);
    sink = dgram.createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  });
  after(() => {
    sink.close();
    process.off('uncaughtException', onUncaught);
    assert.deepEqual(uncaught, [], 'nothing escaped as an uncaught exception');
  });

  const cases: Array<[string, Script, RegExp]> = [
    ['binary garbage instead of a response', (_r, s) => s.end(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])), /not a valid RTSP/],
    ['an HTTP answer', (_r, s) => s.end('HTTP/1.1 200 OK\r\n\r\n'), /not a valid RTSP/],
    ['an endless header', (_r, s) => s.write('RTSP/1.0 200 OK\r\nX: ' + 'a'.repeat(40_000)), /oversized/],
    ['a huge Content-Length', (r, s) => s.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Length: 999999999\r\n\r\n`), /body length/],
    ['a negative Content-Length', (r, s) => s.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Length: -5\r\n\r\n`), /body length/],
    ['a truncated body, then hang-up', (r, s) => s.end(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Length: 500\r\n\r\nv=0\r\n`), /closed the connection/],
    ['a status line without a code', (_r, s) => s.write('RTSP/1.0 OK\r\nCSeq: 1\r\n\r\n'), /not a valid RTSP/],
    ['no answer at all', () => undefined, /did not answer/],
    ['an SDP without video', (r, s) => {
      const sdp = 'v=0\r\nm=audio 0 RTP/AVP 0\r\n';
      s.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
    }, /no video stream/],
    ['SDP garbage', (r, s) => {
      const sdp = '\x00\x01garbage=\xff\r\nm=video x y z\r\n';
      s.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Length: ${Buffer.byteLength(sdp, 'latin1')}\r\n\r\n${sdp}`, 'latin1');
    }, /no video stream/],
    ['an SDP clock rate of 0', (r, s) => {
      const sdp = SDP.replace('H264/90000', 'H264/0');
      s.write(r.method === 'DESCRIBE' ? `RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}` : validAnswer(r.method, r.cseq));
    }, /clock rate/],
    ['SETUP without a session', (r, s) => s.write(r.method === 'SETUP' ? `RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n` : validAnswer(r.method, r.cseq)), /without a session/],
    ['a 500 to PLAY', (r, s) => s.write(r.method === 'PLAY' ? `RTSP/1.0 500 Internal Server Error\r\nCSeq: ${r.cseq}\r\n\r\n` : validAnswer(r.method, r.cseq)), /500 Internal Server Error/],
    ['a redirect loop', (r, s) => s.write(`RTSP/1.0 301 Moved\r\nCSeq: ${r.cseq}\r\nLocation: rtsp://127.0.0.1:${(s.localPort)}/again\r\n\r\n`), /redirected too often/],
    ['interleaved frames that are not RTP', (r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method === 'PLAY') for (let i = 0; i < 150; i++) s.write(interleaved(0, Buffer.from('not rtp at all, just text')));
    }, /not a valid RTSP\/RTP/],
    ['frames on an interleaved channel the session did not set up', (r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method !== 'PLAY') return;
      for (let i = 0; i < 150; i++) s.write(Buffer.concat([interleaved(0, h264Packet(i, i * 3600, i === 0)), interleaved(6, Buffer.from('a channel nobody set up'))]));
    }, /interleaved channel 6, which the session did not set up/],
    ['RTP timestamps that jump again and again', (r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method !== 'PLAY') return;
      // Each frame 40 s of clock after the last: an encoder restart makes one such jump, not ten.
      for (let i = 0; i < 10; i++) s.write(interleaved(0, h264Packet(i, i * 3_600_000, i === 0)));
    }, /timestamps jumped 6 times within 60 s/],
    ['PLAY answered, then no media at all', (r, s) => s.write(validAnswer(r.method, r.cseq)), /no video within 3 s of PLAY/],
    ['an interleaved frame cut short, then hang-up', (r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method === 'PLAY') s.end(Buffer.from([0x24, 0, 0xff, 0xff, 0x80, 0x60]));
    }, /closed the connection/],
  ];
  for (const [what, script, reason] of cases) {
    test(what, async () => {
      const srv = await hostileServer(script);
      try {
        const e = await runRelay(srv.url, sink);
        assert.equal(e.requested, false, 'the relay gave up on its own');
        assert.match(e.reason, reason);
      } finally {
        await srv.close();
      }
    });
  }

  test('a redirect is followed only on the camera\'s host, and its credentials never leave the camera\'s own port', async () => {
    // Elsewhere on the same host: followed, but the credentials stay behind (the 401 there is final).
    const heard: string[] = [];
    const elsewhere = net.createServer((s) => {
      s.on('error', () => undefined);
      s.on('data', (d) => {
        const text = d.toString('latin1');
        heard.push(text);
        const cseq = /CSeq: (\d+)/i.exec(text)?.[1] ?? '1';
        s.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="elsewhere"\r\n\r\n`);
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => elsewhere.once('listening', r));
    const port = (elsewhere.address() as net.AddressInfo).port;
    const to = (location: string) => hostileServer((r, s) => s.write(`RTSP/1.0 302 Moved\r\nCSeq: ${r.cseq}\r\nLocation: ${location}\r\n\r\n`));
    const samePortElsewhere = await to(`rtsp://127.0.0.1:${port}/cam`);
    const otherHost = await to(`rtsp://localhost:${port}/cam`);
    const notRtsp = await to('http://127.0.0.1/cam');
    const withCredentials = (url: string) => url.replace('rtsp://', 'rtsp://ky-thuat:mat-khau-camera@');
    try {
      let e = await runRelay(withCredentials(samePortElsewhere.url), sink);
      assert.match(e.reason, /asks for credentials/);
      assert.ok(heard.length > 0, 'the other port was asked');
      assert.ok(heard.every((h) => !/authorization/i.test(h) && !h.includes('mat-khau')), 'without the camera\'s credentials');
      e = await runRelay(withCredentials(otherHost.url), sink);
      assert.match(e.reason, /redirected to another host \(localhost\); not followed/);
      e = await runRelay(withCredentials(notRtsp.url), sink);
      assert.match(e.reason, /redirected to a http address; not followed/);
    } finally {
      await Promise.all([samePortElsewhere.close(), otherHost.close(), notRtsp.close(), new Promise((r) => elsewhere.close(r))]);
    }
  });

  test('sender reports without a wall clock (NTP 0, as RFC 3550 allows, or a time before 2000) are no clock: video goes on, nothing throws', async () => {
    const sr = (ntp: bigint, rtpTs: number) => {
      const b = Buffer.alloc(28);
      b[0] = 0x80; b[1] = 200; b.writeUInt16BE(6, 2); b.writeUInt32BE(7, 4); b.writeBigUInt64BE(ntp, 8); b.writeUInt32BE(rtpTs, 16);
      return b;
    };
    const frame = (i: number) => {
      const p = Buffer.alloc(12 + 20);
      p[0] = 0x80; p[1] = 0x80 | 96; p.writeUInt16BE(i, 2); p.writeUInt32BE(i * 3600, 4); p.writeUInt32BE(7, 8); p[12] = i % 25 === 0 ? 0x65 : 0x41;
      return p;
    };
    const timers: NodeJS.Timeout[] = [];
    const srv = await hostileServer((r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method !== 'PLAY') return;
      let i = 0;
      timers.push(setInterval(() => {
        if (s.destroyed) return;
        s.write(interleaved(0, frame(i)));
        if (i === 3) s.write(interleaved(1, sr(0n, 3 * 3600)));
        if (i === 20) s.write(interleaved(1, sr(1n << 32n, 20 * 3600)));
        i++;
      }, 40));
    });
    let received = 0;
    const count = () => { received++; };
    sink.on('message', count);
    const port = sink.address().port;
    const relay = RtspRelayIngest.start({ url: srv.url, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort: 0, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500 });
    const clocks: unknown[] = [];
    relay.on('clock', (c) => clocks.push(c));
    try {
      const exit = new Promise<IngestExit>((resolve) => relay.once('exit', resolve));
      await new Promise((r) => setTimeout(r, 2500));
      const before = received;
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(received > before, `video still flows after the clockless reports (${before} then ${received} packets)`);
      await relay.stop();
      const e = await exit;
      assert.equal(e.requested, true, `the relay ran until stopped, not failed (${e.reason})`);
      assert.deepEqual(clocks, [], 'no capture clock from a sender without one');
    } finally {
      sink.off('message', count);
      for (const t of timers) clearInterval(t);
      await srv.close();
    }
  });

  test('a Basic challenge over plain RTSP is answered only when the camera\'s settings allow it', async () => {
    const heard: string[] = [];
    const srv = await hostileServer((r, s) => {
      heard.push(r.head);
      const auth = /^Authorization: (.*)$/im.exec(r.head)?.[1];
      if (auth) s.write(`RTSP/1.0 403 Forbidden\r\nCSeq: ${r.cseq}\r\n\r\n`);
      else s.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${r.cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`);
    });
    const url = srv.url.replace('rtsp://', 'rtsp://viewer:s3cret@');
    try {
      const port = sink.address().port;
      const run = (allowBasic: boolean) => {
        const relay = RtspRelayIngest.start({ url, allowBasic, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort: 0, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500 });
        return new Promise<IngestExit>((resolve) => relay.once('exit', resolve));
      };
      let e = await run(false);
      assert.match(e.reason, /only Basic authentication/);
      assert.ok(heard.length > 0 && heard.every((h) => !/authorization/i.test(h)), 'no Authorization header was sent');
      e = await run(true);
      assert.match(e.reason, /403 Forbidden/, 'allowed, the password was sent');
      assert.ok(heard.some((h) => h.includes(`Authorization: Basic ${Buffer.from('viewer:s3cret').toString('base64')}`)));
    } finally {
      await srv.close();
    }
  });

  test('RTP after TEARDOWN: the relay stops as asked and forwards nothing more', async () => {
    const timers: NodeJS.Timeout[] = [];
    let tornDown = false;
    const srv = await hostileServer((r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method === 'TEARDOWN') tornDown = true;
      if (r.method !== 'PLAY') return;
      // Media goes on regardless of TEARDOWN, and the connection stays open.
      let i = 0;
      timers.push(setInterval(() => { if (!s.destroyed) s.write(interleaved(0, h264Packet(i, i * 3600, i % 25 === 0))); i++; }, 10));
    });
    const port = sink.address().port;
    const relay = RtspRelayIngest.start({ url: srv.url, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort: 0, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500 });
    let received = 0;
    const count = () => { received++; };
    sink.on('message', count);
    try {
      await new Promise<void>((resolve) => relay.on('progress', (p) => { if (p.frames > 20) resolve(); }));
      const exit = new Promise<IngestExit>((resolve) => relay.once('exit', resolve));
      await relay.stop();
      const e = await exit;
      assert.ok(tornDown, 'TEARDOWN was sent');
      assert.equal(e.requested, true, e.reason);
      const atExit = received;
      // The sink is a UDP socket on this host: what was sent before the exit has arrived
      // once a probe sent after it comes back.
      await new Promise<void>((resolve) => {
        const probe = dgram.createSocket('udp4');
        sink.once('message', () => { probe.close(); resolve(); });
        probe.send(Buffer.from('probe'), port, '127.0.0.1');
      });
      assert.equal(received, atExit + 1, 'nothing forwarded after the exit but the probe');
    } finally {
      sink.off('message', count);
      for (const t of timers) clearInterval(t);
      await srv.close();
    }
  });

  test('over UDP, data from anyone but the camera\'s media ports is dropped, and the camera plays on', async () => {
    const cam = await udpCamera();
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    const payloads: Buffer[] = [];
    const keep = (m: Buffer) => { payloads.push(m.subarray(rtpHeaderLength(m) ?? 12)); };
    sink.on('message', keep);
    const port = sink.address().port;
    const relay = RtspRelayIngest.start({ url: cam.url, transport: 'udp', rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort: 0, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500 });
    try {
      const clientPorts = await cam.playing;
      // The stranger, on the camera's own host, sends RTP that looks like the camera's.
      for (let i = 0; i < 50; i++) stranger.send(h264Packet(1000 + i, i * 3600, true, 0xee), clientPorts.rtp, '127.0.0.1');
      await new Promise<void>((resolve) => relay.on('progress', (p) => { if (p.frames >= 60) resolve(); }));
      assert.ok(payloads.some((b) => b[1] === 0x11), 'the camera\'s video arrives');
      assert.equal(payloads.filter((b) => b[1] === 0xee).length, 0, 'nothing of the stranger\'s');
      assert.match(relay.recentLog.join('\n'), /dropped UDP data from 127\.0\.0\.1:\d+, not the camera's media ports/);
    } finally {
      sink.off('message', keep);
      await relay.stop();
      stranger.close();
      await cam.close();
    }
  });

  test('a camera that names its SSRC in SETUP is asked for a keyframe before its first packet', async () => {
    // The camera sends nothing until it is asked for a keyframe for the SSRC it announced
    // (as a viewer arriving with the producer asks before any media): before, the request
    // was dropped for want of an SSRC, and the camera was given up as silent.
    const localRtcpPort = await allocateUdpPort();
    const asked: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    const srv = await hostileServer((r, s) => {
      if (r.method === 'SETUP') {
        s.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nSession: 12345678;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=0000BEEF\r\n\r\n`);
        s.on('data', (d: Buffer) => {
          for (let at = d.indexOf(Buffer.from([0x81, 206, 0, 2])); at >= 0 && at + 12 <= d.length; at = d.indexOf(Buffer.from([0x81, 206, 0, 2]), at + 1)) {
            asked.push(d.readUInt32BE(at + 8));
          }
          if (asked.includes(0xbeef) && !timer) {
            let i = 0;
            timer = setInterval(() => { if (!s.destroyed) s.write(interleaved(0, h264Packet(i, i * 3600, i++ % 25 === 0, 0x11))); }, 10);
          }
        });
        return;
      }
      if (['DESCRIBE', 'PLAY', 'OPTIONS', 'GET_PARAMETER', 'TEARDOWN'].includes(r.method)) s.write(validAnswer(r.method, r.cseq));
    });
    // mediasoup's side: the consumer's keyframe request, from the moment the relay starts.
    const pli = pliPacket(1, 1234);
    const asking = setInterval(() => sink.send(pli, localRtcpPort, '127.0.0.1'), 50);
    try {
      const e = await runRelay(srv.url, sink, 4000, { localRtcpPort });
      assert.equal(e.reason, 'stopped', `the camera played: ${e.reason}`);
      assert.equal(asked[0], 0xbeef, `the first request named the announced SSRC: ${asked.map((a) => a.toString(16))}`);
    } finally {
      clearInterval(asking);
      clearInterval(timer);
      await srv.close();
    }
  });

  test('a camera that answers a keyframe request with SPS and PPS packets ahead of its IDR is seen to answer it', async () => {
    // Most cameras (GStreamer's too) send the parameter sets as packets of their own under
    // the IDR's timestamp. Before, only an IDR that began its access unit counted, so such a
    // camera was taken for one that ignores keyframe requests, and every viewer got a fast start.
    const localRtcpPort = await allocateUdpPort();
    let idrs = 0;
    let timer: NodeJS.Timeout | undefined;
    const srv = await hostileServer((r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method !== 'PLAY' || timer) return;
      let seq = 0;
      let ts = 0;
      const nal = (ts: number, type: number, marker: boolean) => {
        const p = h264Packet(seq++, ts, false, 0x11);
        p[1] = (marker ? 0x80 : 0) | 96;
        p[12] = type;
        return interleaved(0, p);
      };
      s.on('data', (d: Buffer) => {
        // A PLI (anywhere in what the relay sent): SPS, PPS, then the IDR, one timestamp.
        if (d.indexOf(Buffer.from([0x81, 206, 0, 2])) < 0) return;
        ts += 3600;
        s.write(Buffer.concat([nal(ts, 0x67, false), nal(ts, 0x68, false), nal(ts, 0x65, true)]));
        idrs++;
      });
      timer = setInterval(() => {
        ts += 3600;
        if (!s.destroyed) s.write(nal(ts, 0x41, true));
      }, 20);
    });
    const port = sink.address().port;
    const relay = RtspRelayIngest.start({ url: srv.url, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500 });
    try {
      await new Promise<void>((resolve) => relay.once('progress', () => resolve()));
      // Twice: the run's first IDR proves nothing (cameras open a session with one).
      for (let n = 1; n <= 2; n++) {
        sink.send(pliPacket(1, 1234), localRtcpPort, '127.0.0.1');
        const deadline = Date.now() + 5000;
        while (idrs < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        // Past the time an answer must come in (600 ms), and the relay's request spacing (300 ms).
        await new Promise((r) => setTimeout(r, 800));
        assert.equal(idrs, n, 'the camera was asked');
        assert.equal(relay.honoursKeyframeRequests, n === 1 ? undefined : true);
      }
    } finally {
      clearInterval(timer);
      await relay.stop();
      await srv.close();
    }
  });

  test('a camera that ignores keyframe requests is not taken for one that answers them when its own IDR comes just after a request', async () => {
    // Its own IDR every 1.5 s. With a 10 s GOP, one of a camera's own IDRs now and then comes
    // within the answer window of some viewer's request: taken for an answer, the camera
    // counted as honouring requests, and the next viewers got no fast start (black until its
    // next IDR). Once it does answer, at a time its interval does not explain, it counts.
    const localRtcpPort = await allocateUdpPort();
    const IDR_EVERY_MS = 1500;
    let honour = false;
    let lastIdrAt = 0;
    const idrs: Array<{ at: number; answer: boolean }> = [];
    const idrListeners = new Set<() => void>();
    let timer: NodeJS.Timeout | undefined;
    const srv = await hostileServer((r, s) => {
      s.write(validAnswer(r.method, r.cseq));
      if (r.method !== 'PLAY' || timer) return;
      let seq = 0;
      let ts = 0;
      const frame = (type: number) => {
        ts += 3600;
        const p = h264Packet(seq++, ts, false, 0x11);
        p[12] = type;
        if (!s.destroyed) s.write(interleaved(0, p));
        if (type === 0x65) {
          idrs.push({ at: Date.now(), answer: type === 0x65 && honour });
          for (const l of idrListeners) l();
        }
      };
      s.on('data', (d: Buffer) => { if (honour && d.indexOf(Buffer.from([0x81, 206, 0, 2])) >= 0) frame(0x65); });
      lastIdrAt = Date.now();
      frame(0x65);
      timer = setInterval(() => {
        if (Date.now() - lastIdrAt >= IDR_EVERY_MS) {
          lastIdrAt += IDR_EVERY_MS;
          const wasHonouring = honour;
          honour = false; // its own, not an answer
          frame(0x65);
          honour = wasHonouring;
        } else frame(0x41);
      }, 20);
    });
    const nextIdr = () => new Promise<void>((resolve) => {
      const l = () => { idrListeners.delete(l); resolve(); };
      idrListeners.add(l);
    });
    // The relay reads the camera's frame a moment after the camera wrote it (loopback TCP).
    const settle = () => new Promise((r) => setTimeout(r, 100));
    const ask = () => sink.send(pliPacket(1, 1234), localRtcpPort, '127.0.0.1');
    const port = sink.address().port;
    const relay = RtspRelayIngest.start({ url: srv.url, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500 });
    try {
      await new Promise<void>((resolve) => relay.once('progress', () => resolve()));
      // Two of its own IDRs unasked: its interval is known.
      await nextIdr();
      await nextIdr();
      // A request right after one of its IDRs goes unanswered: it ignores them.
      ask();
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(relay.honoursKeyframeRequests, false, 'an unanswered request');
      await nextIdr();
      // A request 200 ms before its next own IDR: that IDR comes within the answer window.
      await new Promise((r) => setTimeout(r, Math.max(0, lastIdrAt + IDR_EVERY_MS - 200 - Date.now())));
      ask();
      await nextIdr();
      await settle();
      const coincidence = idrs.at(-1)!;
      assert.ok(!coincidence.answer);
      assert.equal(relay.honoursKeyframeRequests, false, 'its own IDR, on its schedule, is no answer');
      // Now it answers, off its schedule: it honours requests.
      await nextIdr();
      honour = true;
      await new Promise((r) => setTimeout(r, 300));
      ask();
      await nextIdr();
      await settle();
      assert.ok(idrs.at(-1)!.answer, 'the camera answered');
      assert.equal(relay.honoursKeyframeRequests, true, 'an answer off its schedule counts');
    } finally {
      clearInterval(timer);
      await relay.stop();
      await srv.close();
    }
  });

  test('random mutations of RTP and RTCP over UDP never crash the relay', async () => {
    let seed = 0xfade;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const mutate = (b: Buffer) => {
      const out = Buffer.from(b);
      const kind = rand(3);
      if (kind === 0) for (let i = 0; i < 1 + rand(8); i++) out[rand(out.length)] = rand(256);
      if (kind === 1) return out.subarray(0, rand(out.length));
      if (kind === 2) return Buffer.concat([out, Buffer.from(Array.from({ length: rand(1200) }, () => rand(256)))]);
      return out;
    };
    const reasons = new Map<string, number>();
    for (let round = 0; round < 12; round++) {
      const cam = await udpCamera((i) => {
        const rtp = h264Packet(i, (i * 3600) >>> 0, i % 10 === 0, 0x11);
        const sr = Buffer.alloc(28);
        sr[0] = 0x80; sr[1] = 200; sr.writeUInt16BE(6, 2); sr.writeUInt32BE(7, 4); sr.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000) + 2_208_988_800) << 32n, 8); sr.writeUInt32BE(i * 3600, 16);
        return { rtp: rand(2) ? mutate(rtp) : rtp, rtcp: i % 5 === 0 ? mutate(sr) : undefined };
      });
      try {
        const e = await runRelay(cam.url, sink, 800, { transport: 'udp' });
        assert.ok(e.reason.length > 0);
        reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
      } finally {
        await cam.close();
      }
    }
    console.log(`# UDP fuzz outcomes: ${JSON.stringify(Object.fromEntries(reasons))}`);
  });

  test('random mutations of a valid session never crash the relay', async () => {
    // A seeded generator, so a failure can be replayed.
    let seed = 0x5eed;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const mutate = (b: Buffer) => {
      const out = Buffer.from(b);
      const kind = rand(4);
      if (kind === 0) for (let i = 0; i < 1 + rand(8); i++) out[rand(out.length)] = rand(256);
      if (kind === 1) return out.subarray(0, rand(out.length));
      if (kind === 2) return Buffer.concat([out, Buffer.from(Array.from({ length: rand(300) }, () => rand(256)))]);
      if (kind === 3) out.write(String(rand(100000)), out.indexOf('Content-Length: ') + 16 > 16 ? out.indexOf('Content-Length: ') + 16 : 0, 'latin1');
      return out;
    };
    const rtp = (i: number) => {
      const p = Buffer.alloc(12 + 20);
      p[0] = 0x80; p[1] = 96; p.writeUInt16BE(i, 2); p.writeUInt32BE(i * 3600, 4); p.writeUInt32BE(7, 8); p[12] = 0x65;
      return p;
    };
    const reasons = new Map<string, number>();
    for (let round = 0; round < 40; round++) {
      const target = rand(4); // which answer (or the media) gets mutated
      const srv = await hostileServer((r, s) => {
        const step = ['DESCRIBE', 'SETUP', 'PLAY'].indexOf(r.method);
        const answer = Buffer.from(validAnswer(r.method, r.cseq), 'latin1');
        s.write(step === target ? mutate(answer) : answer);
        if (r.method === 'PLAY') for (let i = 0; i < 30; i++) s.write(target === 3 ? mutate(interleaved(0, rtp(i))) : interleaved(0, rtp(i)));
      });
      try {
        const e = await runRelay(srv.url, sink, 800);
        assert.equal(typeof e.reason, 'string');
        assert.ok(e.reason.length > 0);
        reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
      } finally {
        await srv.close();
      }
    }
    console.log(`# fuzz outcomes: ${JSON.stringify(Object.fromEntries(reasons))}`);
  });
});

test('the relay counts lost RTP packets from sequence gaps: wrap-around, late packets and renumbering are not loss', { timeout: 30_000 }, async () => {
  // Sequence numbers as a camera would send them: across the 16-bit wrap, with 4 and 5
  // missing, 8 arriving late (after 9), then a renumbering jump (a camera restart).
  const seqs = [65533, 65534, 65535, 0, 1, 2, 3, 6, 7, 9, 8, 10, 20000, 20001, 20002];
  const rtp = (seq: number, i: number) => {
    const p = Buffer.alloc(12 + 20);
    p[0] = 0x80; p[1] = 0x80 | 96; p.writeUInt16BE(seq, 2); p.writeUInt32BE(i * 3600, 4); p.writeUInt32BE(7, 8);
    p[12] = i === 0 ? 0x65 : 0x41; // an IDR first, then P slices; one packet per frame (marker set)
    return p;
  };
  const srv = await hostileServer((r, s) => {
    s.write(validAnswer(r.method, r.cseq));
    if (r.method === 'PLAY') seqs.forEach((seq, i) => s.write(interleaved(0, rtp(seq, i))));
  });
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const port = sink.address().port;
  const relay = RtspRelayIngest.start({ url: srv.url, rtpPort: port, rtcpPort: port, localRtpPort: 0, localRtcpPort: 0, ssrc: 1234, payloadType: 96, ioTimeoutMs: 1500 });
  try {
    const progress = await new Promise<IngestProgress>((resolve) => {
      relay.on('progress', (p) => {
        if (p.frames === seqs.length) resolve(p);
      });
    });
    assert.equal(progress.packetsLost, 2, 'packets 4 and 5; the late 8 is not lost');
  } finally {
    await relay.stop();
    sink.close();
    await srv.close();
  }
});

// ---- helpers -------------------------------------------------------------------------------

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}
