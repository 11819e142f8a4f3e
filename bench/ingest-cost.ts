// What one passthrough camera costs the server, for N always-on cameras:
//  - the RTSP relay (the default path for H.264): the server process's own CPU (% of one
//    core) and private memory growth per camera, measured against the same server idle;
//  - the direct path (--ingest direct: RTP straight into the worker; the server keeps the RTSP
//    session and counts frames from a consumer of its own): measured as the relay;
//  - ffmpeg (--ingest ffmpeg): CPU and memory of each ffmpeg process;
// plus the mediasoup worker's CPU per camera, and whether every camera kept its frame rate.
//   npm run bench:ingest [-- --ingest auto|direct|ffmpeg --counts 1,10,50 --seconds 15 --resolutions 720,1080 --sources 1]
// All N cameras pull the same shared RTSP source (one encoder; --sources spreads them over
// several), so the source's own cost stays out of the figures. Prints one JSON line per (resolution, N) and a summary.
import { parseArgs } from 'node:util';
import { cpuSeconds, memoryKiB } from './lib/proc-stats.js';
import { startCamera } from '../tests/support/camera.js';
import { addCamera, startTestServer, waitForHealth } from '../tests/support/server.js';

const { values: args } = parseArgs({
  options: {
    counts: { type: 'string', default: '1,10,50' },
    seconds: { type: 'string', default: '15' },
    ingest: { type: 'string', default: 'auto' },
    resolutions: { type: 'string', default: '720,1080' },
    // Test camera processes the cameras are spread over: one GStreamer process serving more
    // than ~120 TCP clients stalls them all at once here (its shared pipeline blocks on the
    // slowest socket), which would be the source's limit, not the relay's.
    sources: { type: 'string', default: '1' },
  },
});
const SECONDS = Number(args.seconds);
const INGEST = args.ingest === 'ffmpeg' || args.ingest === 'direct' ? args.ingest : 'auto';
const SOURCES = { 360: [640, 360, 600], 720: [1280, 720, 2500], 1080: [1920, 1080, 4000] } as const;
const lines: string[] = [];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const jsKiB = () => {
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 1024; // external includes the ArrayBuffers (Buffers)
};
const settle = () => new Promise((r) => setTimeout(r, 1000));
const window = async () => {
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  return (Date.now() - t0) / 1000;
};

for (const res of args.resolutions.split(',').map(Number) as Array<keyof typeof SOURCES>) {
  const [width, height, kbps] = SOURCES[res];
  const cams = await Promise.all(Array.from({ length: Math.max(1, Number(args.sources)) }, () => startCamera({ profile: 'high', width, height, fps: 25, gop: 50, kbps, inband: INGEST === 'direct' })));
  try {
    for (const n of args.counts.split(',').map(Number)) {
      const server = await startTestServer({ media: { workers: 1 } });
      try {
        server.cameras.setMaxListeners(0); // one waiter per camera below
        const worker = server.media.pool.slots[0]!.worker.pid;
        // The same server without cameras: the baseline the relay's figures are taken against.
        gc();
        await settle();
        const idleCpu0 = cpuSeconds(process.pid);
        const idleWall = await window();
        const idleCpuPct = ((cpuSeconds(process.pid) - idleCpu0) / idleWall) * 100;
        gc();
        const idleMem = memoryKiB(process.pid);
        const idleJs = jsKiB();

        const ids: string[] = [];
        // In batches: the one Python/GStreamer test source answers RTSP requests one at a time,
        // and 200 DESCRIBEs at once outlast the relay's answer timeout. The steady state is
        // what is measured, not the stampede.
        for (let i = 0; i < n; i += 25) {
          const batch: string[] = [];
          for (let j = i; j < Math.min(n, i + 25); j++) batch.push((await addCamera(server, { name: `cost-${j}`, mainUrl: cams[j % cams.length]!.url, alwaysOn: true, ingest: INGEST })).json.id);
          await Promise.all(batch.map((id) => waitForHealth(server, id, (h) => h.state === 'live', 60_000)));
          ids.push(...batch);
        }
        await settle();
        const pids = ids.map((id) => server.cameras.stream(id, 'main').ingestPid).filter((p): p is number => p !== undefined);
        const restarts0 = ids.reduce((s, id) => s + server.cameras.get(id).health.restarts, 0);
        // Loss is read from RTP sequence numbers (the relay counts gaps); frames are counted too,
        // against what the source sent in the window (25 fps), so a dropped frame shows either way.
        const totals = () => ids.map((id) => server.cameras.stream(id, 'main').totals);
        const totals0 = totals();
        const before = { ffmpeg: pids.map(cpuSeconds), worker: cpuSeconds(worker), self: cpuSeconds(process.pid) };
        const wall = await window();
        const selfCpuPct = ((cpuSeconds(process.pid) - before.self) / wall) * 100;
        const fps = ids.map((id) => server.cameras.get(id).health.fps as number);
        const restarts = ids.reduce((s, id) => s + server.cameras.get(id).health.restarts, 0) - restarts0;
        const totals1 = totals();
        const packetsLost = totals1.reduce((s, t, i) => s + t.packetsLost - totals0[i]!.packetsLost, 0);
        const framesPerCamera = totals1.map((t, i) => t.frames - totals0[i]!.frames);
        gc();
        const mem = memoryKiB(process.pid);
        const js = jsKiB();
        const ffmpegCpu = pids.map((p, i) => ((cpuSeconds(p) - before.ffmpeg[i]!) / wall) * 100);
        const ffmpegMem = pids.map(memoryKiB);
        const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
        const r = {
          bench: 'ingest-cost', ingest: INGEST === 'auto' ? 'relay' : INGEST, resolution: `${height}p`, kbps, cameras: n, seconds: SECONDS,
          restarts, minFps: Math.min(...fps), meanFps: round(fps.reduce((a, b) => a + b, 0) / n, 1),
          // RTP packets lost over the window, all cameras (not ffmpeg's: it does not report it).
          packetsLost,
          // Frames each camera received over the window: fewest, and the source's own count.
          minFramesPerCamera: Math.min(...framesPerCamera), sourceFrames: Math.round(25 * wall),
          // The server process (the relay lives in it), above its idle baseline.
          serverCpuPctPerCamera: round((selfCpuPct - idleCpuPct) / n),
          serverPrivateKiBPerCamera: Math.round((mem.private - idleMem.private) / n),
          // What the relay holds in JavaScript (heap and buffers: sockets, the GOP cache), after
          // a full GC. Private memory moves by whole pages V8 keeps or returns at will, so for
          // small per-camera figures this is the one to read.
          serverJsKiBPerCamera: Math.round((js - idleJs) / n),
          ffmpegCpuPctPerCamera: pids.length ? round(ffmpegCpu.reduce((a, b) => a + b, 0) / pids.length) : 0,
          ffmpegPrivateKiBPerCamera: pids.length ? Math.round(ffmpegMem.reduce((a, b) => a + b.private, 0) / pids.length) : 0,
          ffmpegPssKiBPerCamera: pids.length ? Math.round(ffmpegMem.reduce((a, b) => a + b.pss, 0) / pids.length) : 0,
          workerCpuPctPerCamera: round((((cpuSeconds(worker) - before.worker) / wall) * 100) / n),
        };
        console.log(JSON.stringify(r));
        const ingestCost = r.ingest !== 'ffmpeg'
          ? `server +${r.serverCpuPctPerCamera} % of a core, +${(r.serverJsKiBPerCamera / 1024).toFixed(2)} MiB JS heap+buffers (private ${(r.serverPrivateKiBPerCamera / 1024).toFixed(2)} MiB)`
          : `ffmpeg ${r.ffmpegCpuPctPerCamera} % of a core and ${(r.ffmpegPrivateKiBPerCamera / 1024).toFixed(1)} MiB private (${(r.ffmpegPssKiBPerCamera / 1024).toFixed(1)} MiB PSS)`;
        lines.push(`  ${r.ingest} ${r.resolution} x${n}: ${ingestCost} per camera; worker ${r.workerCpuPctPerCamera} % per camera; fps min ${r.minFps} mean ${r.meanFps}; ${restarts} restarts; ${r.packetsLost} RTP packets lost; frames per camera min ${r.minFramesPerCamera} of ~${r.sourceFrames}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await Promise.all(cams.map((c) => c.stop()));
  }
}
console.log(`\nsummary\n${lines.join('\n')}`);
