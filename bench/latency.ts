// Glass-to-glass latency and time to first frame, measured in headless Chromium on the real
// client page, with the time-coded camera (capture wall-clock burnt into each frame).
//   npm run bench:latency [-- --seconds 60 --trials 20 --width 1280 --height 720]
// Prints one JSON line per measurement and a short human summary.
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { TIMECODE_PROBE, summarize, type TimecodeSample } from './lib/timecode-probe.js';
import { launchBrowser, openClient } from '../tests/support/browser.js';
import { startCamera, type TestCamera } from '../tests/support/camera.js';
import { addCamera, login, startTestServer } from '../tests/support/server.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    trials: { type: 'string', default: '20' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
    profiles: { type: 'string', default: 'baseline,high' },
  },
});
const SECONDS = Number(args.seconds);
const TRIALS = Number(args.trials);
const GOP = 50; // 2 s at 25 fps

const server = await startTestServer({ ingest: { graceMs: 1000 }, media: { workers: 1 } });
const browser = await launchBrowser();
const cameras: TestCamera[] = [];
const results: Array<Record<string, unknown>> = [];
const emit = (r: Record<string, unknown>) => {
  results.push(r);
  console.log(JSON.stringify(r));
};

async function samples(page: Page): Promise<TimecodeSample[]> {
  return page.evaluate(() => (window as unknown as { __timecode: { samples: TimecodeSample[] } }).__timecode.samples.splice(0));
}

try {
  const session = await login(server, 'quocgia');
  for (const profile of args.profiles.split(',') as Array<'baseline' | 'high'>) {
    const cam = await startCamera({ pattern: 'timecode', profile, width: Number(args.width), height: Number(args.height), fps: 25, gop: GOP, kbps: 2500 });
    cameras.push(cam);
    const { json } = await addCamera(server, { name: `timecode-${profile}`, mainUrl: cam.url });

    // ---- glass-to-glass ------------------------------------------------------------------
    const page = await openClient(browser, `${server.url}/?layout=1`, session, [TIMECODE_PROBE]);
    await page.locator(`li[data-camera-id="${json.id}"]`).click();
    await page.waitForFunction((id) => (window as any).__timecode.samples.some((s: { id: string }) => s.id === id), json.id, { timeout: 20_000 });
    await samples(page); // drop the start-up frames
    await page.waitForTimeout(SECONDS * 1000);
    const all = (await samples(page)).filter((s) => s.id === json.id);
    const decodeErrors = await page.evaluate(() => (window as any).__timecode.decodeErrors);
    const total = summarize(all.map((s) => s.displayed - s.capture));
    const network = summarize(all.filter((s) => s.received).map((s) => s.received! - s.capture));
    const render = summarize(all.filter((s) => s.received).map((s) => s.displayed - s.received!));
    emit({ bench: 'glass-to-glass', profile, seconds: SECONDS, fps: Math.round((all.length / SECONDS) * 10) / 10, decodeErrors, latencyMs: total, captureToReceivedMs: network, receivedToDisplayedMs: render });
    await page.context().close();

    // ---- time to first frame: warm (ingest running) and cold (ingest stopped) -------------
    for (const mode of ['warm', 'cold'] as const) {
      const times: number[] = [];
      const holder = mode === 'warm' ? server.cameras.stream(json.id, 'main').acquire() : undefined;
      try {
        for (let i = 0; i < TRIALS; i++) {
          if (mode === 'cold') {
            const stream = server.cameras.stream(json.id, 'main');
            if (stream.status.phase !== 'idle') await new Promise<void>((resolve) => {
              const on = (s: { phase: string }) => { if (s.phase === 'idle') { stream.off('status', on); resolve(); } };
              stream.on('status', on);
            });
          } else {
            await server.cameras.stream(json.id, 'main').waitForProducer(20_000);
          }
          const p = await openClient(browser, `${server.url}/?layout=1`, session, [TIMECODE_PROBE]);
          // Nothing plays until the camera is clicked (layout 1 auto-fills the first camera, so
          // the list holds only this one camera per run: wait for the tile's own subscribe).
          await p.waitForFunction((id) => (window as any).__timecode.firstFrame[id] !== undefined, json.id, { timeout: 20_000 });
          const t = await p.evaluate((id) => {
            const first = (window as any).__timecode.firstFrame[id] as number;
            const sub = performance.getEntriesByName('giamsat:subscribe').at(-1);
            return sub ? first - (performance.timeOrigin + sub.startTime) : NaN;
          }, json.id);
          times.push(t);
          await p.context().close();
        }
      } finally {
        holder?.();
      }
      emit({ bench: 'time-to-first-frame', profile, mode, gopSeconds: GOP / 25, trials: TRIALS, ms: summarize(times.filter(Number.isFinite)) });
    }
    await server.cameras.remove(json.id);
  }
} finally {
  await browser.close();
  await server.stop();
  await Promise.all(cameras.map((c) => c.stop()));
}

console.log('\nsummary');
for (const r of results) {
  if (r.bench === 'glass-to-glass') {
    const l = r.latencyMs as ReturnType<typeof summarize>;
    const n = r.captureToReceivedMs as ReturnType<typeof summarize>;
    const d = r.receivedToDisplayedMs as ReturnType<typeof summarize>;
    console.log(`  glass-to-glass ${r.profile}: p50 ${l.p50} ms, p95 ${l.p95} ms, max ${l.max} ms (capture->received p50 ${n.p50}, received->displayed p50 ${d.p50}; ${l.n} frames, ${r.fps} fps)`);
  } else {
    const m = r.ms as ReturnType<typeof summarize>;
    console.log(`  first frame ${r.profile} ${r.mode}: p50 ${m.p50} ms, p95 ${m.p95} ms (${m.n} trials, ${r.gopSeconds} s GOP)`);
  }
}
