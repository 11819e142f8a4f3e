// How long the recording plugin takes to list a day of 60-second segments of one camera (the
// playback page's question) and to make a retention pass over two such cameras. Prints the
// median and 99th percentile of each over repeated runs on this machine's disk.
//   npm run bench:recording-list
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { retentionPass, segmentsBetween } from '../plugins/recording/segments.js';

const SEGMENTS = 1440;
const RUNS = 50;
const day = Date.UTC(2021, 7, 1);
const name = (i: number) => `${new Date(day + i * 60_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.mp4`;

function fill(root: string, cam: string): void {
  fs.mkdirSync(path.join(root, cam), { recursive: true });
  for (let i = 0; i < SEGMENTS; i++) {
    const file = path.join(root, cam, name(i));
    fs.writeFileSync(file, Buffer.alloc(16));
    const end = new Date(day + (i + 1) * 60_000);
    fs.utimesSync(file, end, end);
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rec-'));
try {
  fill(root, 'c1');
  fill(root, 'c2');
  const list: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const n = segmentsBetween(root, 'c1', new Date(day), new Date(day + 86_400_000)).length;
    list.push(performance.now() - t);
    if (n !== SEGMENTS) throw new Error(`listed ${n}`);
  }
  const pass: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    // Nothing is old enough or over budget: the pass reads everything and removes nothing.
    retentionPass(root, ['c1', 'c2'], new Date(day + 86_400_000), 1e12, 1e12);
    pass.push(performance.now() - t);
  }
  console.log(`list one camera's day (${SEGMENTS} segments): p50 ${pct(list, 0.5).toFixed(1)} ms, p99 ${pct(list, 0.99).toFixed(1)} ms (target <= 50 ms)`);
  console.log(`retention pass, two cameras (${2 * SEGMENTS} segments, one being recorded): p50 ${pct(pass, 0.5).toFixed(1)} ms, p99 ${pct(pass, 0.99).toFixed(1)} ms`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
