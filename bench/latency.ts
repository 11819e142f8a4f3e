// Glass-to-glass latency, drift and time to first frame, measured in headless Chromium on
// the real client page, with the time-coded camera (capture wall-clock burnt into each
// frame), and the same figures for Janus 1.1.2's streaming plugin on the same camera in the
// same run (the reference peer; --peer none skips it).
//   npm run bench:latency [-- --seconds 60 --trials 20 --width 1280 --height 720 --peer janus|none --ingest auto|ffmpeg|direct
//                              --transports tcp,udp --via gst|perl --piped --path turn-tcp
//                              --database embedded|postgresql]
// --database postgresql: the server on this machine's PostgreSQL (as deployed) instead of the
// embedded database, which answers the page's parallel first requests one at a time.
// --transports: giamsat's glass-to-glass with the camera pulled over RTSP/TCP (interleaved, the
// default) and over RTSP/UDP, one after the other in the same run.
// --via perl: the camera is reached through a second, independent RTSP server (RTSP::Server,
// Debian's rtsp-server-perl) that ffmpeg feeds from the time-coded camera (-c copy); Janus is
// not run then (ffmpeg holds the camera's one client).
// --piped: two nodes of a cluster (the machine's PostgreSQL and Redis): the camera is ingested by
// node A and watched on a page of A (local) and then on a page of B (piped from A over an SRTP
// PipeTransport), the same camera in the same run: the glass-to-glass cost of one hop. Only
// glass-to-glass is measured then.
// --path turn-tcp: after the page that plays directly (UDP), a page whose browser may use only a
// TURN relay reached over TCP (a real coturn on this machine; the page's RTCPeerConnection is
// given iceTransportPolicy 'relay'), the same camera in the same run: what TURN over TCP costs.
// Only glass-to-glass is measured then.
// --rounds N: after the usual measurements, N - 1 more glass-to-glass windows of each system on
// the first transport, alternating (giamsat, then Janus, each on a new page, one RTSP client at a
// time), and the median of every system's window p50s: headless Chromium's display side moves
// received -> displayed by up to ~12 ms from one window to the next (docs/performance.md), so
// one window per system cannot decide which is faster.
// Prints one JSON line per measurement and a short human summary.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { firstFrameSeen, RECEIVER_TOTALS, receiverMeans, TIMECODE_PROBE, summarize, type ReceiverTotals, type TimecodeSample } from './lib/timecode-probe.js';
import { janusPage, startJanus, type RunningJanus } from './lib/janus.js';
import { startDelayProxy } from './lib/delay-proxy.js';
import { launchBrowser, openClient } from '../tests/support/browser.js';
import { startCamera, type TestCamera } from '../tests/support/camera.js';
import { freePort, untilDescribable, waitForPort } from '../tests/support/net.js';
import { addCamera, login, startTestServer } from '../tests/support/server.js';
import { clusterSettings } from '../tests/support/cluster.js';
import { createTestDatabase } from '../tests/support/postgres.js';
import { startTurnServer } from '../tests/support/turn-server.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    trials: { type: 'string', default: '20' },
    /** Glass-to-glass windows per system, alternating giamsat and Janus (--rounds). */
    rounds: { type: 'string', default: '1' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
    profiles: { type: 'string', default: 'baseline,high' },
    peer: { type: 'string', default: 'janus' },
    /**
     * auto: the RTSP relay (the default path for H.264); ffmpeg: the ffmpeg path; direct: the
     * camera's RTP over UDP straight into the worker (the camera then sends its SPS/PPS
     * in-band, which that path needs; use with --transports udp).
     */
    ingest: { type: 'string', default: 'auto' },
    /** The camera ignores keyframe requests (IDRs only every GOP): measures the fast start. */
    'ignore-keyframe-requests': { type: 'boolean', default: false },
    transports: { type: 'string', default: 'tcp,udp' },
    via: { type: 'string', default: 'gst' },
    piped: { type: 'boolean', default: false },
    path: { type: 'string', default: 'direct' },
    /** embedded (PGlite in the server process, `npm start`'s) or postgresql (this machine's, as deployed). */
    database: { type: 'string', default: 'embedded' },
    /** Which first-frame modes to run (warm, returning, cold). */
    modes: { type: 'string', default: 'warm,returning,cold' },
    /**
     * A/B in one run: every other page of each mode cannot make its own DTLS certificate, so its
     * transport is connected with connectTransport (client/src/dtls-certificate.ts); reported as
     * the mode with "+connectTransport".
     */
    'ab-connect': { type: 'boolean', default: false },
    /**
     * A/B in one run: every other page cannot open data channels, so it does not subscribe to
     * the transport's warm-up channel and its transport connects with the first consume;
     * reported as the mode with "+coldTransport".
     */
    'ab-warmup': { type: 'boolean', default: false },
    /**
     * A/B in one run: every other page does not ask for its consumers to be resumed as they
     * are made, and resumes them with resumeConsumer; reported as the mode with "+resumeConsumer".
     */
    'ab-resume': { type: 'boolean', default: false },
    /**
     * A round trip (ms) between the page and the server, on HTTP, the socket and WebRTC's UDP
     * (bench/lib/delay-proxy.ts; the server announces 127.0.0.2, where the UDP relay listens):
     * what a supervisor far from the node waits on. 0: loopback.
     */
    rtt: { type: 'string', default: '0' },
  },
});
const TRANSPORTS = args.transports.split(',').filter((t): t is 'tcp' | 'udp' => t === 'tcp' || t === 'udp');
const VIA_PERL = args.via === 'perl';
const SECONDS = Number(args.seconds);
const TRIALS = Number(args.trials);
const ROUNDS = Math.max(1, Number(args.rounds));
const GOP = 50; // 2 s at 25 fps
const WITH_JANUS = args.peer === 'janus' && !VIA_PERL;
const INGEST = args.ingest === 'ffmpeg' || args.ingest === 'direct' ? args.ingest : 'auto';
const STUBBORN = args['ignore-keyframe-requests'];
const PIPED = args.piped;
const VIA_TURN_TCP = args.path === 'turn-tcp';

// --piped: the nodes share the machine's PostgreSQL and Redis (the embedded database is one process's).
const database = PIPED || args.database === 'postgresql' ? await createTestDatabase() : undefined;
const cluster = !database ? {} : PIPED ? clusterSettings(database.url) : { databaseUrl: database.url };
const TURN_SECRET = 'bench-turn-secret-0123456789abcdef';
const turn = VIA_TURN_TCP ? await startTurnServer({ address: '127.0.0.1', port: await freePort(), tlsPort: await freePort(), secret: TURN_SECRET }) : undefined;
const turnConfig = turn ? { turn: { urls: [turn.urls[1]!], secret: TURN_SECRET } } : {};
const RTT = Number(args.rtt);
/** A free port outside the workers' range (40000-49999), for the viewers' WebRTC server behind the relay. */
async function portOutsideWorkerRange(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 40000 || port > 49999) return port;
  }
}
const rttMedia = RTT > 0 ? { listenIp: '127.0.0.1', announcedIp: '127.0.0.2', webRtcPort: await portOutsideWorkerRange() } : {};
const server = await startTestServer({ ingest: { graceMs: 1000 }, media: { workers: 1, ...rttMedia }, ...cluster, ...turnConfig, ...(PIPED ? { monitoring: { nodeId: 'node-a' } } : {}) });
const edge = PIPED ? await startTestServer({ ingest: { graceMs: 1000 }, media: { workers: 1 }, ...cluster, monitoring: { nodeId: 'node-b' } }) : undefined;
const delay = RTT > 0
  ? await startDelayProxy({
    oneWayMs: RTT / 2,
    tcp: { host: '127.0.0.1', port: Number(new URL(server.url).port) },
    udp: { listen: { host: '127.0.0.2', port: rttMedia.webRtcPort! }, target: { host: '127.0.0.1', port: rttMedia.webRtcPort! } },
  })
  : undefined;
/** Where the pages open the server: through the delaying relay with --rtt. */
const pageUrl = delay ? `http://localhost:${delay.tcpPort}` : server.url;
const browser = await launchBrowser();
const cameras: TestCamera[] = [];
const results: Array<Record<string, unknown>> = [];
const emit = (r: Record<string, unknown>) => {
  results.push(r);
  console.log(JSON.stringify(r));
};
type Summary = ReturnType<typeof summarize>;

async function takeSamples(page: Page): Promise<TimecodeSample[]> {
  return page.evaluate(() => (window as unknown as { __timecode: { samples: TimecodeSample[] } }).__timecode.samples.splice(0));
}

/** Janus's page, and its first frame (awaited by those who time it). */
async function openJanus(janus: RunningJanus): Promise<{ page: Page; seen: Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(TIMECODE_PROBE);
  // Janus's HTTP transport allows any origin; the page needs none of its own.
  await page.goto(`${janus.api}/info`);
  const seen = firstFrameSeen(context, 'janus');
  seen.catch(() => undefined);
  await page.setContent(janusPage(janus.api));
  return { page, seen };
}

/** Measures `SECONDS` of rendered frames of tile `id` on `page` once it plays. */
/** Makes every RTCPeerConnection of the page relay-only: ICE then uses the TURN servers it was given and nothing else. */
const RELAY_ONLY = `(() => {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config, ...rest) { super({ ...(config || {}), iceTransportPolicy: 'relay' }, ...rest); }
  };
})();`;

/** The page cannot make a DTLS certificate of its own: its transport is connected with connectTransport, as before. */
const WITHOUT_PAGE_CERTIFICATE = `delete RTCPeerConnection.generateCertificate;`;

/** The page cannot open data channels: its transport connects with the first consume, as before the warm-up channel. */
const WITHOUT_WARMUP = `RTCPeerConnection.prototype.createDataChannel = function () { throw new Error('no data channels here'); };`;

/** The page's consume requests do not ask to be resumed as made: it resumes with resumeConsumer, one round trip later. */
const WITHOUT_RESUME_ON_CONSUME = `(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    return send.call(this, typeof data === 'string' && data.includes('"consume"') ? data.replace(',"resume":true', '') : data);
  };
})();`;

/** The second page of each A/B pair: its mode's suffix and the init script that makes it differ. */
const AB_VARIANT = args['ab-connect'] ? { name: '+connectTransport', script: WITHOUT_PAGE_CERTIFICATE }
  : args['ab-resume'] ? { name: '+resumeConsumer', script: WITHOUT_RESUME_ON_CONSUME }
  : args['ab-warmup'] ? { name: '+coldTransport', script: WITHOUT_WARMUP }
  : undefined;

/** The network path the tile's overlay names (data-path). */
async function pathOfTile(page: Page, id: string): Promise<string | undefined> {
  const handle = await page.waitForFunction((i) => document.querySelector<HTMLElement>(`.tile[data-camera-id="${i}"]`)?.dataset.path, id, { timeout: 5000 });
  return (await handle.jsonValue()) as string;
}

async function glassToGlass(system: string, profile: string, page: Page, id: string, transport: 'tcp' | 'udp' = system === 'janus' ? 'udp' : 'tcp', path: 'local' | 'piped' | 'turn-tcp' = 'local', round = 0): Promise<void> {
  await page.waitForFunction((i) => (window as any).__timecode.samples.some((s: { id: string }) => s.id === i), id, { timeout: 20_000 });
  await takeSamples(page); // drop the start-up frames
  const receiverBefore = await page.evaluate(RECEIVER_TOTALS) as ReceiverTotals | undefined;
  // The event loop that runs the relay (and, in this bench, Playwright's side of the browser).
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const all: TimecodeSample[] = [];
  // Drained every 10 s so a 10-minute run does not pile up in the page.
  for (let left = SECONDS; left > 0; left -= 10) {
    await page.waitForTimeout(Math.min(10, left) * 1000);
    all.push(...(await takeSamples(page)).filter((s) => s.id === id));
  }
  loop.disable();
  const receiver = receiverMeans(receiverBefore, await page.evaluate(RECEIVER_TOTALS) as ReceiverTotals | undefined);
  const decodeErrors = await page.evaluate(() => (window as any).__timecode.decodeErrors);
  const latency = (s: TimecodeSample) => s.displayed - s.capture;
  const t0 = all[0]?.displayed ?? 0;
  const tEnd = all.at(-1)?.displayed ?? 0;
  // Drift: p50 of the last 10 s minus p50 of the first 10 s, in total and per leg.
  const drift = (f: (s: TimecodeSample) => number) => {
    const ok = all.filter((s) => Number.isFinite(f(s)));
    const first = summarize(ok.filter((s) => s.displayed - t0 < 10_000).map(f)).p50;
    const last = summarize(ok.filter((s) => tEnd - s.displayed < 10_000).map(f)).p50;
    return Math.round((last - first) * 10) / 10;
  };
  const withOverlay = all.filter((s) => s.overlay !== undefined);
  emit({
    bench: 'glass-to-glass', system, ...(system === 'giamsat' ? { ingest: INGEST, path } : {}), transport, via: args.via, profile, round, seconds: SECONDS, fps: Math.round((all.length / SECONDS) * 10) / 10, decodeErrors,
    latencyMs: summarize(all.map(latency)),
    captureToReceivedMs: summarize(all.filter((s) => s.received).map((s) => s.received! - s.capture)),
    receivedToDisplayedMs: summarize(all.filter((s) => s.received).map((s) => s.displayed - s.received!)),
    receivedToPresentedMs: summarize(all.filter((s) => s.received).map((s) => s.presented - s.received!)),
    presentedToDisplayedMs: summarize(all.map((s) => s.displayed - s.presented)),
    driftMs: drift(latency),
    driftCaptureToReceivedMs: drift((s) => (s.received ?? NaN) - s.capture),
    driftReceivedToDisplayedMs: drift((s) => s.displayed - (s.received ?? NaN)),
    // What the tile overlay showed (camera-to-screen from RTP timing), and its error
    // against the time code.
    overlayMs: summarize(withOverlay.map((s) => s.overlay!)),
    overlayErrorMs: summarize(withOverlay.map((s) => s.overlay! - latency(s))),
    // Chromium's own account of the window (inbound-rtp, per-frame means): its jitter buffer,
    // its decoder, and received -> decoded.
    receiver,
    eventLoopDelayMs: { p50: Math.round(loop.percentile(50) / 1e4) / 100, p99: Math.round(loop.percentile(99) / 1e4) / 100, max: Math.round(loop.max / 1e4) / 100 },
  });
}

/**
 * RTSP::Server fed by ffmpeg from the time-coded camera (copied, not re-encoded): a second
 * RTSP server implementation in front of the same frames.
 */
async function perlRelay(cameraUrl: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const [clientPort, sourcePort] = [await freePort(), await freePort()];
  const perl = spawn('/usr/bin/rtsp-server-perl', ['-c', String(clientPort), '-s', String(sourcePort), '--rtp_start_port', String(26000 + (clientPort % 1000) * 4), '-l', '4'], { stdio: 'ignore' });
  await Promise.all([waitForPort(clientPort), waitForPort(sourcePort)]);
  const feed = spawn(server.media.ffmpeg.path, [
    '-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-fflags', 'nobuffer', '-flags', 'low_delay', '-i', cameraUrl,
    '-c:v', 'copy', '-an', '-f', 'rtsp', '-rtsp_transport', 'udp', `rtsp://127.0.0.1:${sourcePort}/cam`,
  ], { stdio: 'ignore' });
  const url = `rtsp://127.0.0.1:${clientPort}/cam`;
  // The mount exists once ffmpeg has announced it.
  await untilDescribable(url, 20_000);
  const stop = async (p: ReturnType<typeof spawn>) => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await done;
  };
  return { url, stop: async () => { await stop(feed); await stop(perl); } };
}

async function firstFrameMs(page: Page, id: string, seen: Promise<void>): Promise<number> {
  return (await firstFrame(page, id, seen)).fromSubscribe;
}

/**
 * The first decoded frame of tile `id`: from the tile's subscribe mark, from navigation (the
 * page's own figure: bundle, session, socket, camera list, wall, consume, first frame), and
 * the page's phases (client/src/page-timing.ts) in ms from navigation.
 */
async function firstFrame(page: Page, id: string, seen: Promise<void>): Promise<{ fromSubscribe: number; fromNavigation: number; phases: Record<string, number> }> {
  await seen;
  return page.evaluate((i) => {
    const first = (window as any).__timecode.firstFrame[i] as number;
    const sub = performance.getEntriesByName('giamsat:subscribe').at(-1);
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const phases: Record<string, number> = {};
    if (nav) {
      phases.html = nav.responseEnd;
      phases.domContentLoaded = nav.domContentLoadedEventEnd;
    }
    for (const m of performance.getEntriesByType('mark')) {
      if (m.name.startsWith('giamsat:page:')) phases[m.name.slice('giamsat:page:'.length)] = m.startTime;
    }
    if (sub) phases.subscribe = sub.startTime;
    // The requests the picture waits on: when the first was sent and the last answered (the
    // bundle: the page's script and its chunks; the saved wall; the router's capabilities).
    for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
      const name = new URL(r.name).pathname;
      const key = name.endsWith('.js') ? 'bundle' : name === '/api/me/wall' ? 'savedWall' : name === '/api/media/capabilities' ? 'capabilities' : undefined;
      if (!key) continue;
      phases[`${key}Sent`] = Math.min(phases[`${key}Sent`] ?? Infinity, r.requestStart || r.startTime);
      phases[`${key}In`] = Math.max(phases[`${key}In`] ?? 0, r.responseEnd);
    }
    for (const k of Object.keys(phases)) phases[k] = Math.round(phases[k]!);
    return { fromSubscribe: sub ? first - (performance.timeOrigin + sub.startTime) : NaN, fromNavigation: first - performance.timeOrigin, phases };
  }, id);
}

/** The median of each phase over the trials. */
function medianPhases(all: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set(all.flatMap((p) => Object.keys(p)))) out[k] = summarize(all.map((p) => p[k]).filter((v): v is number => v !== undefined)).p50;
  return Object.fromEntries(Object.entries(out).sort((a, b) => a[1] - b[1]));
}

try {
  // A fresh sign-in per page: a 10-minute run outlives the access token (10 min), and a page
  // that refreshed by itself has rotated the refresh token the others would share.
  const signIn = () => login(server, 'quocgia');
  /** The wall the next page opens: layout 1 with this camera. */
  const saveWall = async (cameraId: string) => {
    const res = await fetch(`${server.url}/api/me/wall`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${(await signIn()).accessToken}` },
      body: JSON.stringify({ layout: 1, tiles: [cameraId] }),
    });
    if (!res.ok) throw new Error(`saving the wall: ${res.status}`);
  };
  /**
   * A page of the saved wall (in `context`, else in a new one, as a first visit), and the first
   * frame of tile `id` on it, watched from before the page opens (firstFrameSeen).
   */
  const openWatched = async (id: string, scripts: string[], context?: BrowserContext): Promise<{ page: Page; seen: Promise<void> }> => {
    const ctx = context ?? await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const seen = firstFrameSeen(ctx, id);
    seen.catch(() => undefined); // awaited by the caller
    const page = await openClient(browser, `${pageUrl}/?layout=1`, await signIn(), scripts, { context: ctx });
    return { page, seen };
  };
  for (const profile of args.profiles.split(',') as Array<'baseline' | 'high'>) {
    const cam = await startCamera({ pattern: 'timecode', profile, width: Number(args.width), height: Number(args.height), fps: 25, gop: GOP, kbps: 2500, ignoreKeyframeRequests: STUBBORN, inband: INGEST === 'direct' });
    cameras.push(cam);
    const via = VIA_PERL ? await perlRelay(cam.url) : undefined;
    const url = via?.url ?? cam.url;
    const { json } = await addCamera(server, { name: `timecode-${profile}`, mainUrl: url, ingest: INGEST, rtspTransport: TRANSPORTS[0] ?? 'tcp' });
    // One system at a time on the camera: a second RTSP client on the test camera slows its
    // sending for every client (~17 ms measured), so Janus pulls only while it is measured
    // and giamsat's on-demand ingest has stopped by then.
    // ---- giamsat: glass-to-glass and drift ---------------------------------------------------
    // The page opens on a saved wall of that camera alone: picking it from the list would pull
    // whatever the wall showed first, and two clients at once leave gst-rtsp-server's shared
    // media ~17 ms slower (capture -> received) for the rest of the camera's life.
    await saveWall(json.id);
    const page = await openClient(browser, `${pageUrl}/?layout=1`, await signIn(), [TIMECODE_PROBE]);
    await glassToGlass('giamsat', profile, page, json.id, TRANSPORTS[0]);
    const direct = await pathOfTile(page, json.id);
    await page.context().close();
    if (turn) {
      // The same camera on a page that may use only the relay (coturn, reached over TCP).
      const relayed = await openClient(browser, `${pageUrl}/?layout=1`, await signIn(), [TIMECODE_PROBE, RELAY_ONLY]);
      await glassToGlass('giamsat', profile, relayed, json.id, TRANSPORTS[0], 'turn-tcp');
      const through = await pathOfTile(relayed, json.id);
      await relayed.context().close();
      if (direct !== 'direct-udp' || through !== 'relay-tcp') throw new Error(`the pages took the wrong paths: ${direct} and ${through}`);
      await server.cameras.remove(json.id);
      await via?.stop();
      continue;
    }
    if (edge) {
      // The same camera on a page of node B, piped from A (which ingested it for the first page).
      const piped = await openClient(browser, `${edge.url}/?layout=1`, await login(edge, 'quocgia'), [TIMECODE_PROBE]);
      await glassToGlass('giamsat', profile, piped, json.id, TRANSPORTS[0], 'piped');
      const from = edge.ownership!.view().pipes.imported.map((x) => x.owner);
      await piped.context().close();
      if (from.join() !== 'node-a') throw new Error(`the page on node B was not served through a pipe from node A (${from.join() || 'no pipe'})`);
      await server.cameras.remove(json.id);
      await via?.stop();
      continue;
    }
    const stream = server.cameras.stream(json.id, 'main');
    const idle = () => stream.status.phase === 'idle' ? Promise.resolve() : new Promise<void>((resolve) => {
      const on = (s: { phase: string }) => { if (s.phase === 'idle') { stream.off('status', on); resolve(); } };
      stream.on('status', on);
    });
    // The other transports on a camera of their own (the list then holds two for a moment;
    // the first-frame trials below need it to hold one), one RTSP client at a time.
    for (const transport of TRANSPORTS.slice(1)) {
      await idle();
      const other = await addCamera(server, { name: `timecode-${profile}-${transport}`, mainUrl: url, ingest: INGEST, rtspTransport: transport });
      await saveWall(other.json.id);
      const p = await openClient(browser, `${pageUrl}/?layout=1`, await signIn(), [TIMECODE_PROBE]);
      await glassToGlass('giamsat', profile, p, other.json.id, transport);
      await p.context().close();
      await server.cameras.remove(other.json.id);
    }
    await saveWall(json.id);

    // ---- giamsat: time to first frame, warm (ingest running) and cold (ingest stopped) ----
    // warm: the ingest runs, each page a first visit (a new browser context); returning: the
    // same, in one context (its HTTP cache and localStorage kept, as for a supervisor who
    // reloads the page; its first page is untimed); cold: the ingest stopped.
    for (const mode of (['warm', 'returning', 'cold'] as const).filter((m) => args.modes.split(',').includes(m))) {
      const variants = AB_VARIANT ? ['', AB_VARIANT.name] : [''];
      const results = variants.map(() => ({ times: [] as number[], fromNavigation: [] as number[], phases: [] as Array<Record<string, number>> }));
      const holder = mode !== 'cold' ? stream.acquire() : undefined;
      const context = mode === 'returning' ? await browser.newContext({ viewport: { width: 1280, height: 800 } }) : undefined;
      if (context) {
        const { page: p, seen } = await openWatched(json.id, [TIMECODE_PROBE], context);
        await firstFrameMs(p, json.id, seen);
        await p.close();
      }
      try {
        if (mode === 'warm' && STUBBORN) {
          // One untimed viewer first: its unanswered keyframe request tells the relay that
          // this camera ignores them (what any camera in service has long shown).
          const { page: p, seen } = await openWatched(json.id, [TIMECODE_PROBE]);
          await firstFrameMs(p, json.id, seen);
          await p.context().close();
        }
        for (let i = 0; i < TRIALS * variants.length; i++) {
          if (mode === 'cold') await idle();
          else await stream.waitForProducer(20_000);
          const variant = i % variants.length;
          const scripts = variant === 1 && AB_VARIANT ? [TIMECODE_PROBE, AB_VARIANT.script] : [TIMECODE_PROBE];
          // Layout 1 auto-fills the first camera (the list holds only this one per run).
          const { page: p, seen } = await openWatched(json.id, scripts, context);
          const f = await firstFrame(p, json.id, seen);
          results[variant]!.times.push(f.fromSubscribe);
          results[variant]!.fromNavigation.push(f.fromNavigation);
          results[variant]!.phases.push(f.phases);
          await (context ? p.close() : p.context().close());
        }
      } finally {
        await context?.close();
        holder?.();
      }
      variants.forEach((variant, v) => {
        const { times, fromNavigation, phases } = results[v]!;
        emit({ bench: 'time-to-first-frame', system: 'giamsat', ingest: INGEST, cameraAnswersKeyframeRequests: !STUBBORN, profile, mode: mode + variant, gopSeconds: GOP / 25, trials: TRIALS, ms: summarize(times.filter(Number.isFinite)) });
        emit({ bench: 'page-open-to-first-frame', system: 'giamsat', ingest: INGEST, profile, mode: mode + variant, trials: TRIALS, ms: summarize(fromNavigation), phasesP50Ms: medianPhases(phases) });
      });
    }
    await idle();

    // ---- Janus on the same camera ---------------------------------------------------------
    if (WITH_JANUS) {
      const janus = await startJanus(cam.url);
      try {
        const { page: jp } = await openJanus(janus);
        await glassToGlass('janus', profile, jp, 'janus');
        await jp.context().close();
        // A Janus RTSP mountpoint pulls all the time: only "warm" exists.
        const times: number[] = [];
        for (let i = 0; i < TRIALS; i++) {
          const { page: p, seen } = await openJanus(janus);
          times.push(await firstFrameMs(p, 'janus', seen));
          await p.context().close();
        }
        emit({ bench: 'time-to-first-frame', system: 'janus', profile, mode: 'warm', gopSeconds: GOP / 25, trials: TRIALS, ms: summarize(times.filter(Number.isFinite)) });
      } finally {
        await janus.stop();
      }
    }
    // ---- more alternating windows, giamsat then Janus (--rounds) ---------------------------
    for (let round = 1; round < ROUNDS && WITH_JANUS; round++) {
      await idle();
      const page = await openClient(browser, `${pageUrl}/?layout=1`, await signIn(), [TIMECODE_PROBE]);
      await glassToGlass('giamsat', profile, page, json.id, TRANSPORTS[0], 'local', round);
      await page.context().close();
      await idle();
      const janus = await startJanus(cam.url);
      try {
        const { page: jp } = await openJanus(janus);
        await glassToGlass('janus', profile, jp, 'janus', 'udp', 'local', round);
        await jp.context().close();
      } finally {
        await janus.stop();
      }
    }
    await server.cameras.remove(json.id);
    await via?.stop();
  }
} finally {
  delay?.stop();
  await browser.close();
  await edge?.stop();
  await server.stop();
  await turn?.stop();
  await Promise.all(cameras.map((c) => c.stop()));
  await database?.drop();
}

console.log('\nsummary');
const find = (bench: string, system: string, profile: unknown, mode?: string) =>
  results.find((r) => r.bench === bench && r.system === system && r.profile === profile && (mode === undefined || r.mode === mode));
const ratio = (a: number, b: number | undefined) => (b ? ` (${(a / b).toFixed(2)}× Janus)` : '');
/** Where glass-to-glass goes, each figure from `of` (a window's p50, or the median of windows' p50s). */
const split = (of: (key: string) => number) =>
  `capture->received ${of('captureToReceivedMs')}, received->displayed ${of('receivedToDisplayedMs')} = received->presented ${of('receivedToPresentedMs')} + presented->displayed ${of('presentedToDisplayedMs')}`;
for (const r of results) {
  if (r.bench === 'glass-to-glass') {
    const l = r.latencyMs as Summary;
    const n = r.captureToReceivedMs as Summary;
    const o = r.overlayMs as Summary;
    const e = r.overlayErrorMs as Summary;
    const peer = r.system === 'giamsat' ? (find('glass-to-glass', 'janus', r.profile)?.latencyMs as Summary | undefined) : undefined;
    const udp = r.system === 'giamsat' && r.transport === 'tcp' ? results.find((x) => x.bench === 'glass-to-glass' && x.system === 'giamsat' && x.profile === r.profile && x.transport === 'udp') : undefined;
    if (udp) console.log(`  giamsat ${r.profile}: capture->received over TCP minus over UDP, p50 ${(n.p50 - (udp.captureToReceivedMs as Summary).p50).toFixed(1)} ms`);
    const local = r.path === 'piped' ? results.find((x) => x.bench === 'glass-to-glass' && x.path === 'local' && x.profile === r.profile)?.latencyMs as Summary | undefined : undefined;
    if (local) console.log(`  giamsat ${r.profile}: one hop between nodes adds p50 ${(l.p50 - local.p50).toFixed(1)} ms glass-to-glass (piped minus local)`);
    const directUdp = r.path === 'turn-tcp' ? results.find((x) => x.bench === 'glass-to-glass' && x.path === 'local' && x.profile === r.profile)?.latencyMs as Summary | undefined : undefined;
    if (directUdp) console.log(`  giamsat ${r.profile}: TURN over TCP adds p50 ${(l.p50 - directUdp.p50).toFixed(1)} ms glass-to-glass (relayed minus direct UDP)`);
    if (Number(r.round) > 0) {
      console.log(`  round ${r.round}: ${r.system} glass-to-glass ${r.profile} over RTSP/${String(r.transport).toUpperCase()}: p50 ${l.p50} ms (p50s: ${split((k) => (r[k] as Summary).p50)})`);
      continue;
    }
    console.log(`  ${r.system} glass-to-glass ${r.profile}${r.path === 'piped' ? ' piped from another node' : r.path === 'turn-tcp' ? ' through TURN over TCP' : ''} over RTSP/${String(r.transport).toUpperCase()}${r.via === 'perl' ? ' via RTSP::Server' : ''}: p50 ${l.p50} ms${ratio(l.p50, peer?.p50)}, p95 ${l.p95} ms, max ${l.max} ms (p50s: ${split((k) => (r[k] as Summary).p50)}; drift ${r.driftMs} ms (${r.driftCaptureToReceivedMs} + ${r.driftReceivedToDisplayedMs}); overlay p50 ${o.p50} ms, off by p50 ${e.p50} ms; ${l.n} frames, ${r.fps} fps)`);
    const rc = r.receiver as ReturnType<typeof receiverMeans>;
    const el = r.eventLoopDelayMs as { p50: number; p99: number; max: number };
    if (r.system === 'giamsat') console.log(`    giamsat server's event loop delay (relay included) p50 ${el.p50} ms, p99 ${el.p99} ms, max ${el.max} ms`);
    if (rc) console.log(`    ${r.system} receiver (Chromium's inbound-rtp, mean per frame): jitter buffer ${rc.jitterBufferMs} ms (target ${rc.jitterBufferTargetMs}), decode ${rc.decodeMs} ms, received -> decoded ${rc.processingMs} ms, RTP jitter ${rc.rtpJitterMs} ms, ${rc.framesDropped} frames dropped`);
  } else if (r.bench === 'page-open-to-first-frame') {
    const m = r.ms as Summary;
    const phases = Object.entries(r.phasesP50Ms as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`  ${r.system} page open -> first frame ${r.profile} ${r.mode}: p50 ${m.p50} ms, p95 ${m.p95} ms (${m.n} trials; phases p50 from navigation: ${phases})`);
  } else {
    const m = r.ms as Summary;
    const peer = r.system === 'giamsat' ? (find('time-to-first-frame', 'janus', r.profile, 'warm')?.ms as Summary | undefined) : undefined;
    console.log(`  ${r.system} first frame ${r.profile} ${r.mode}: p50 ${m.p50} ms${ratio(m.p50, peer?.p50)}, p95 ${m.p95} ms (${m.n} trials, ${r.gopSeconds} s GOP)`);
  }
}
if (ROUNDS > 1 && WITH_JANUS) {
  // Each system's windows on the same transport (giamsat: the first of --transports), alternating.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const profile of [...new Set(results.filter((r) => r.bench === 'glass-to-glass').map((r) => r.profile))]) {
    const windows = (system: string, transport: string) => results.filter((r) => r.bench === 'glass-to-glass' && r.system === system && r.profile === profile && r.transport === transport && r.path !== 'piped' && r.path !== 'turn-tcp');
    const g = windows('giamsat', TRANSPORTS[0]!);
    const j = windows('janus', 'udp');
    const p50s = (rs: typeof g, k: string) => rs.map((r) => (r[k] as Summary).p50);
    const wins = g.filter((r, i) => j[i] && (r.latencyMs as Summary).p50 <= (j[i]!.latencyMs as Summary).p50).length;
    console.log(`  ${profile}, ${g.length} alternating windows each: median of window p50s giamsat ${median(p50s(g, 'latencyMs'))} ms (${split((k) => median(p50s(g, k)))}; windows ${p50s(g, 'latencyMs').join(', ')}), Janus ${median(p50s(j, 'latencyMs'))} ms (${split((k) => median(p50s(j, k)))}; windows ${p50s(j, 'latencyMs').join(', ')}); giamsat no slower in ${wins} of ${Math.min(g.length, j.length)} pairs`);
  }
}
