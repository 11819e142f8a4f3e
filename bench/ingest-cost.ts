// What one passthrough camera costs the server: CPU (% of one core) and memory of its ingest
// (the ffmpeg process), and the mediasoup worker's CPU, for N cameras at 720p and 1080p.
//   npm run bench:ingest [-- --counts 1,10,50 --seconds 15]
// All N cameras pull the same shared RTSP source (one encoder), so the source's own cost
// stays out of the figures. Prints one JSON line per (resolution, N) and a summary.
import { parseArgs } from 'node:util';
import { cpuSeconds, memoryKiB } from './lib/proc-stats.js';
import { startCamera } from '../tests/support/camera.js';
import { addCamera, startTestServer, waitForHealth } from '../tests/support/server.js';

const { values: args } = parseArgs({ options: { counts: { type: 'string', default: '1,10,50' }, seconds: { type: 'string', default: '15' } } });
const SECONDS = Number(args.seconds);
const lines: string[] = [];

for (const [width, height, kbps] of [[1280, 720, 2500], [1920, 1080, 4000]] as const) {
  const cam = await startCamera({ profile: 'high', width, height, fps: 25, gop: 50, kbps });
  try {
    for (const n of args.counts.split(',').map(Number)) {
      const server = await startTestServer({ media: { workers: 1 } });
      try {
        server.cameras.setMaxListeners(0); // one waiter per camera below
        const ids: string[] = [];
        for (let i = 0; i < n; i++) ids.push((await addCamera(server, { name: `cost-${i}`, mainUrl: cam.url, alwaysOn: true })).json.id);
        await Promise.all(ids.map((id) => waitForHealth(server, id, (h) => h.state === 'live', 60_000)));
        const pids = ids.map((id) => server.cameras.stream(id, 'main').ingestPid!);
        const worker = server.media.pool.slots[0]!.worker.pid;
        const before = { ffmpeg: pids.map(cpuSeconds), worker: cpuSeconds(worker), at: Date.now() };
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        const wall = (Date.now() - before.at) / 1000;
        const cpu = pids.map((p, i) => ((cpuSeconds(p) - before.ffmpeg[i]!) / wall) * 100);
        const mem = pids.map(memoryKiB);
        const restarts = ids.reduce((s, id) => s + server.cameras.get(id).health.restarts, 0);
        const r = {
          bench: 'ingest-cost', resolution: `${height}p`, cameras: n, seconds: SECONDS, restarts,
          ffmpegCpuPctPerCamera: Math.round((cpu.reduce((a, b) => a + b, 0) / n) * 100) / 100,
          ffmpegPssKiBPerCamera: Math.round(mem.reduce((a, b) => a + b.pss, 0) / n),
          ffmpegPrivateKiBPerCamera: Math.round(mem.reduce((a, b) => a + b.private, 0) / n),
          workerCpuPctPerCamera: Math.round((((cpuSeconds(worker) - before.worker) / wall) * 100 / n) * 100) / 100,
        };
        console.log(JSON.stringify(r));
        lines.push(`  ${r.resolution} x${n}: ffmpeg ${r.ffmpegCpuPctPerCamera} % of a core and ${(r.ffmpegPrivateKiBPerCamera / 1024).toFixed(1)} MiB private (${(r.ffmpegPssKiBPerCamera / 1024).toFixed(1)} MiB PSS) per camera; worker ${r.workerCpuPctPerCamera} % per camera`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await cam.stop();
  }
}
console.log(`\nsummary\n${lines.join('\n')}`);
