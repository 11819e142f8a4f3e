// runs-alone: camera-to-screen latency is measured.
// End to end in headless Chromium: a real RTSP camera, the server, the built web client.
// Frames are counted with requestVideoFrameCallback, which fires only for frames the
// browser really decoded and presented.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectFrames, launchBrowser, openClient, screenshot } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, adminBearer, login, startTestServer, type TestServer } from '../support/server.js';

describe('live view in Chromium', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const cameras: TestCamera[] = [];
  const pages: Page[] = [];

  before(async () => {
    [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.context().close()));
    await browser?.close();
    await server?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  });

  // Chromium's receive capabilities list no High profile (64xxxx); this is the case most
  // real cameras are in, and the one that proves the announced-profile policy works.
  for (const profile of ['baseline', 'high'] as const) {
    test(`a ${profile}-profile camera renders more than 25 frames within 10 s`, async () => {
      const cam = await startCamera({ profile, width: 640, height: 360, fps: 25 });
      cameras.push(cam);
      const { json } = await addCamera(server, { name: `e2e-${profile}`, mainUrl: cam.url });
      const page = await openClient(browser, `${server.url}/?layout=1`, await login(server, 'quocgia'));
      pages.push(page);
      const t0 = Date.now();
      await page.locator(`li[data-camera-id="${json.id}"]`).click();
      await expectFrames(page, json.id, 26, 10_000);
      const ms = Date.now() - t0;
      await screenshot(page, `live-${profile}`);
      // The tile shows the camera's state and its own measured fps.
      const tile = page.locator(`.tile[data-camera-id="${json.id}"]`);
      await tile.locator('.badge.state-live').waitFor({ timeout: 5000 });
      await page.waitForFunction((id) => Number(document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)?.dataset.fps) > 10, json.id, { timeout: 5000 });
      const profileName = (await fetch(`${server.url}/api/cameras/${json.id}`, { headers: { authorization: `Bearer ${await adminBearer(server)}` } }).then((r) => r.json())).health.profile;
      assert.equal(profileName, profile === 'high' ? 'High' : 'Constrained Baseline');
      // Camera-to-screen latency from RTP timing, once the camera's first sender report (GStreamer
      // sends one within ~5 s) has reached the tile. Camera and browser share this machine's
      // clock, so it must be positive and well under a second.
      await page.waitForFunction((id) => document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)?.dataset.latencyMs !== undefined, json.id, { timeout: 12_000 });
      const shown = await page.evaluate((id) => {
        const el = document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)!;
        return { latencyMs: Number(el.dataset.latencyMs), text: el.querySelector('.stats')!.textContent ?? '', path: el.dataset.path };
      }, json.id);
      const { latencyMs } = shown;
      // The path the video takes (docs/firewalls.md): here, straight to the server over UDP.
      assert.equal(shown.path, 'direct-udp');
      assert.ok(shown.text.includes('trực tiếp udp'), `the overlay names the path: "${shown.text}"`);
      assert.ok(latencyMs > 0 && latencyMs < 1000, `camera-to-screen ${latencyMs} ms`);
      assert.ok(shown.text.includes(`độ trễ ${latencyMs} ms`), `shown in the overlay, in Vietnamese by default: "${shown.text}"`);
      console.log(`# ${profile}: 26 frames rendered ${ms} ms after the click; camera-to-screen ${latencyMs} ms`);
    });
  }

  test('a returning page does not ask the browser for its codecs again, and no page asks to connect its transport or resume its consumer (native-capabilities.ts, dtls-certificate.ts)', async () => {
    const cam = await startCamera({ width: 320, height: 180, fps: 25 });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'e2e-returning', mainUrl: cam.url });
    const session = await login(server, 'quocgia');
    // Every RTCPeerConnection the page builds: mediasoup-client's codec probes (one per
    // direction) and the receive transport's own.
    const COUNT_PEER_CONNECTIONS = `(() => {
      let n = 0;
      window.RTCPeerConnection = new Proxy(window.RTCPeerConnection, { construct(target, args) { n++; return Reflect.construct(target, args); } });
      Object.defineProperty(window, '__peerConnections', { get: () => n });
    })();`;
    // Signaling requests the page sends: its transport is connected as it is made (the page's own
    // DTLS certificate, client/src/dtls-certificate.ts), so it never asks connectTransport.
    const COUNT_CONNECTS = `(() => {
      const n = { connect: 0, close: 0, resume: 0, consume: 0, fastStart: 0, create: 0 };
      // Answers with a fast start (a camera not yet seen to answer keyframe requests): its two
      // consumers wait for resumeConsumer, the replay must not start before the page is ready.
      const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
      Object.defineProperty(WebSocket.prototype, 'onmessage', {
        get() { return onmessage.get.call(this); },
        set(fn) { onmessage.set.call(this, function (e) { if (typeof e.data === 'string' && e.data.includes('"fastStart"')) n.fastStart++; return fn.call(this, e); }); },
      });
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        if (typeof data === 'string' && data.includes('"connectTransport"')) n.connect++;
        if (typeof data === 'string' && data.includes('"closeTransport"')) n.close++;
        if (typeof data === 'string' && data.includes('"resumeConsumer"')) n.resume++;
        if (typeof data === 'string' && data.includes('"consume"')) n.consume++;
        if (typeof data === 'string' && data.includes('"createTransport"')) n.create++;
        return send.call(this, data);
      };
      Object.defineProperty(window, '__connectTransports', { get: () => n.connect });
      Object.defineProperty(window, '__closeTransports', { get: () => n.close });
      Object.defineProperty(window, '__resumeConsumers', { get: () => n.resume });
      Object.defineProperty(window, '__createTransports', { get: () => n.create });
      Object.defineProperty(window, '__consumes', { get: () => ({ all: n.consume, fastStart: n.fastStart }) });
    })();`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const visit = async (initScripts: string[] = []) => {
      const page = await openClient(browser, `${server.url}/?layout=1`, session, [COUNT_PEER_CONNECTIONS, COUNT_CONNECTS, ...initScripts], { context });
      await page.locator(`li[data-camera-id="${json.id}"]`).click();
      await expectFrames(page, json.id, 10, 10_000);
      const seen = await page.evaluate(() => ({
        peerConnections: (window as unknown as { __peerConnections: number }).__peerConnections,
        connectTransports: (window as unknown as { __connectTransports: number }).__connectTransports,
        createTransports: (window as unknown as { __createTransports: number }).__createTransports,
        closeTransports: (window as unknown as { __closeTransports: number }).__closeTransports,
        resumeConsumers: (window as unknown as { __resumeConsumers: number }).__resumeConsumers,
        consumes: (window as unknown as { __consumes: { all: number; fastStart: number } }).__consumes,
        deviceMs: Math.round(performance.getEntriesByName('giamsat:page:device')[0]?.startTime ?? NaN),
        stored: localStorage.getItem('giamsat.nativeRtpCapabilities'),
        // The page's script and style (content-named): bytes over the network, 0 when the
        // browser used its own copy without asking (a revalidation's 304 counts its headers).
        bundle: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
          .filter((e) => /\/app-[A-Z0-9]{8}\.(js|css)$/.test(new URL(e.name).pathname))
          .map((e) => ({ file: new URL(e.name).pathname, transferSize: e.transferSize })),
      }));
      await page.close();
      return seen;
    };
    try {
      const first = await visit();
      assert.equal(first.peerConnections, 3, 'a first visit probes both directions, then connects');
      assert.equal(first.connectTransports, 0, 'the transport was connected as it was made');

      assert.ok(first.stored && JSON.parse(first.stored).caps.recvonly.codecs.some((c: { mimeType: string }) => c.mimeType === 'video/H264'), 'what it learned is kept');
      const returning = await visit();
      assert.equal(returning.peerConnections, 1, 'a returning page builds only its transport');
      // Its script and style come from the browser's cache without a request (static-files.ts).
      assert.equal(first.bundle.length, 2, JSON.stringify(first.bundle));
      assert.ok(first.bundle.every((f) => f.transferSize > 0), `a first visit fetches them: ${JSON.stringify(first.bundle)}`);
      assert.deepEqual(returning.bundle.map((f) => f.transferSize), [0, 0], JSON.stringify(returning.bundle));
      // Whatever is stored is the browser's to break: unreadable, it is asked again.
      const page = await context.newPage();
      await page.goto(`${server.url}/api/info`); // any page of the origin that runs no client
      await page.evaluate(() => localStorage.setItem('giamsat.nativeRtpCapabilities', '{"v":1,"key":'));
      await page.close();
      const afterDamage = await visit();
      assert.equal(afterDamage.peerConnections, 3, 'damaged storage: the browser is asked again');
      assert.doesNotThrow(() => JSON.parse(afterDamage.stored!));
      assert.equal(returning.connectTransports + afterDamage.connectTransports, 0);
      // The transport came with the connection (asked for with the sign-in, MediaClient): no
      // page asked for one with createTransport.
      for (const v of [first, returning, afterDamage]) assert.equal(v.createTransports, 0);
      // A consumer without a fast start is resumed as the server makes it (ViewerSession: resume
      // on consume): the camera's keyframe is asked for a round trip sooner, and the picture
      // still comes. Only a fast start's two consumers wait for resumeConsumer.
      for (const v of [first, returning, afterDamage]) assert.equal(v.resumeConsumers, 2 * v.consumes.fastStart, JSON.stringify(v.consumes));
      assert.ok([first, returning, afterDamage].some((v) => v.consumes.all > v.consumes.fastStart), 'some page consumed without a fast start');
      // A browser that does not use the certificate it is given: the first transport's handshake
      // could not succeed, so it is given up, and the next one is connected the usual way.
      const IGNORE_CERTIFICATES = `(() => {
        window.RTCPeerConnection = new Proxy(window.RTCPeerConnection, { construct(target, [config, ...rest]) { const { certificates, ...others } = config ?? {}; return Reflect.construct(target, [others, ...rest]); } });
      })();`;
      const ignoring = await visit([IGNORE_CERTIFICATES]);
      assert.equal(ignoring.connectTransports, 1, 'connected the usual way, once');
      assert.equal(ignoring.peerConnections, 2, 'the transport given up, and the one that plays');
      assert.equal(ignoring.closeTransports, 1, 'the one given up is closed on the server too');
      assert.equal(ignoring.createTransports, 1, 'the next one asked for');
      console.log(`# device loaded ${first.deviceMs} ms after navigation on a first visit, ${returning.deviceMs} ms on a return`);
    } finally {
      await context.close();
    }
  });

  test('the receive transport connects before the first consume: a page that watches nothing yet has it connected (MediaService.createViewerTransport)', async () => {
    // A saved wall without cameras: the page subscribes to nothing, but prepares its transport.
    const session = await login(server, 'soyte');
    const saved = await fetch(`${server.url}/api/me/wall`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify({ layout: 4, tiles: [] }),
    });
    assert.equal(saved.status, 200);
    const TRACK = `(() => {
      const Native = window.RTCPeerConnection;
      const pcs = [];
      window.RTCPeerConnection = class extends Native { constructor(...args) { super(...args); pcs.push(this); } };
      let consumes = 0;
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        if (typeof data === 'string' && data.includes('"consume"')) consumes++;
        return send.call(this, data);
      };
      Object.defineProperty(window, '__transport', { get: () => ({ consumes, states: pcs.map((pc) => [pc.connectionState, pc.sctp ? pc.sctp.state : 'none']) }) });
    })();`;
    const page = await openClient(browser, `${server.url}/`, session, [TRACK]);
    pages.push(page);
    // Without the server's warm-up channel the transport's peer connection has nothing to
    // negotiate until a consume, and stays 'new'.
    await page.waitForFunction(() => (window as unknown as { __transport: { states: string[][] } }).__transport.states.some(([pc, sctp]) => pc === 'connected' && sctp === 'connected'), undefined, { timeout: 15_000 });
    const seen = await page.evaluate(() => (window as unknown as { __transport: { consumes: number } }).__transport);
    assert.equal(seen.consumes, 0, 'connected before any consume');
    assert.equal(await page.locator('.tile video').count(), 0, 'nothing plays');
  });

  test('the page asks who the person is, the places and the spot checks only once its first picture is on the screen (main.ts, afterFirstViews)', async () => {
    const cam = await startCamera({ width: 320, height: 180, fps: 25 });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: 'e2e-first-views', mainUrl: cam.url });
    const session = await login(server, 'quocgia');
    const saved = await fetch(`${server.url}/api/me/wall`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify({ layout: 1, tiles: [json.id] }),
    });
    assert.equal(saved.status, 200);
    const page = await openClient(browser, `${server.url}/`, session);
    pages.push(page);
    await expectFrames(page, json.id, 1, 10_000);
    // The nav is drawn from /api/me and the spot checks follow it: they come after the picture, not never.
    await page.waitForFunction(() => performance.getEntriesByName('giamsat:page:me').length > 0
      && performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname === '/api/me/spot-checks'), undefined, { timeout: 10_000 });
    const seen = await page.evaluate(() => ({
      firstFrame: performance.getEntriesByName('giamsat:page:first-frame')[0]?.startTime ?? NaN,
      asked: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .filter((e) => ['/api/me', '/api/places', '/api/me/spot-checks'].includes(new URL(e.name).pathname))
        .map((e) => ({ path: new URL(e.name).pathname, at: e.startTime })),
    }));
    assert.ok(Number.isFinite(seen.firstFrame), 'the page marked its first frame');
    assert.deepEqual(seen.asked.map((a) => a.path).sort(), ['/api/me', '/api/me/spot-checks', '/api/places'], JSON.stringify(seen.asked));
    for (const a of seen.asked) assert.ok(a.at >= seen.firstFrame, `${a.path} asked at ${Math.round(a.at)} ms, before the first frame at ${Math.round(seen.firstFrame)} ms`);
  });
});
