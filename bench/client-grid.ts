// What a wall of 16 live tiles costs the browser: one RTSP camera (shared encoder) added as
// 16 cameras, the supervision page in Chromium at layout 16, then over a window: the CPU
// time of Chromium's processes, each tile's rendered frame rate, dropped frames, JS heap
// (and, apart, the server process and its mediasoup workers).
//   npm run bench:client-grid [-- --tiles 16 --seconds 30 --width 640 --height 360 --fps 15]
// Headless Chromium here decodes and composites in software (no GPU): a laptop with a GPU
// and hardware decoding spends less. The server runs in this process; its CPU is reported
// apart from the browser's.
import { parseArgs } from 'node:util';
import { descendants, totalCpuSeconds, cpuSeconds } from './lib/proc-stats.js';
import { expectFrames, launchBrowser, openClient } from '../tests/support/browser.js';
import { startCamera } from '../tests/support/camera.js';
import { addCamera, login, startTestServer } from '../tests/support/server.js';

const { values: args } = parseArgs({
  options: {
    tiles: { type: 'string', default: '16' }, seconds: { type: 'string', default: '30' },
    width: { type: 'string', default: '640' }, height: { type: 'string', default: '360' }, fps: { type: 'string', default: '15' },
  },
});
const TILES = Number(args.tiles);
const SECONDS = Number(args.seconds);
const layout = [1, 4, 9, 16].find((n) => n >= TILES) ?? 16;

const cam = await startCamera({ width: Number(args.width), height: Number(args.height), fps: Number(args.fps), gop: 2 * Number(args.fps), kbps: 600 });
const server = await startTestServer();
const browser = await launchBrowser();
try {
  const ids: string[] = [];
  for (let i = 0; i < TILES; i++) ids.push((await addCamera(server, { name: `Tile ${i + 1}`, mainUrl: cam.url })).json.id);
  const page = await openClient(browser, `${server.url}/?layout=${layout}`, await login(server, 'quocgia'));
  await Promise.all(ids.map((id) => expectFrames(page, id, 5, 60_000)));
  // Settle (first keyframes, jitter buffers), then measure a window.
  await page.waitForTimeout(3000);
  const chrome = descendants(process.pid, /chrom/i);
  const frames = () => page.evaluate(() => ({ ...(window as unknown as { __frames: Record<string, number> }).__frames }));
  const quality = () => page.evaluate(() => [...document.querySelectorAll<HTMLVideoElement>('#grid .tile:not([hidden]) video.current')]
    .reduce((q, v) => {
      const p = v.getVideoPlaybackQuality();
      return { total: q.total + p.totalVideoFrames, dropped: q.dropped + p.droppedVideoFrames };
    }, { total: 0, dropped: 0 }));
  const workers = descendants(process.pid, /mediasoup/);
  const [f0, q0, c0, s0, w0, t0] = [await frames(), await quality(), totalCpuSeconds(chrome), cpuSeconds(process.pid), totalCpuSeconds(workers), performance.now()];
  await page.waitForTimeout(SECONDS * 1000);
  const [f1, q1, c1, s1, w1, t1] = [await frames(), await quality(), totalCpuSeconds(chrome), cpuSeconds(process.pid), totalCpuSeconds(workers), performance.now()];
  const wall = (t1 - t0) / 1000;
  const fps = ids.map((id) => ((f1[id] ?? 0) - (f0[id] ?? 0)) / wall);
  const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
  const result = {
    tiles: TILES,
    browserProcesses: chrome.length,
    source: `${args.width}x${args.height}@${args.fps}`,
    seconds: Math.round(wall),
    tileFpsMin: Number(Math.min(...fps).toFixed(1)),
    tileFpsAvg: Number((fps.reduce((a, b) => a + b, 0) / fps.length).toFixed(1)),
    droppedPercent: Number(((100 * (q1.dropped - q0.dropped)) / Math.max(1, q1.total - q0.total)).toFixed(2)),
    browserCpuPercentOfOneCore: Number(((100 * (c1 - c0)) / wall).toFixed(1)),
    serverProcessCpuPercentOfOneCore: Number(((100 * (s1 - s0)) / wall).toFixed(1)),
    mediasoupWorkersCpuPercentOfOneCore: Number(((100 * (w1 - w0)) / wall).toFixed(1)),
    pageJsHeapMiB: Number((heap / 2 ** 20).toFixed(1)),
  };
  console.log(JSON.stringify(result));
  console.table([result]);
} finally {
  await browser.close();
  await server.stop();
  await cam.stop();
}
