// Runs the test files with node's test runner, in three sets. Files that touch only the
// database and HTTP (the unit tests, and any file that says `// parallel-safe` in its opening
// comment) run first, three at a time. Files that start media processes (cameras, ffmpeg,
// mediasoup, Chromium) run next, two at a time: on two cores most of them wait on media more
// than they compute (measured: 1,550 s of CPU over 1,900 s of wall time one at a time), and
// they share nothing but the machine (each takes its own ports, databases, cluster names and
// namespaces). Files whose assertions time what they see closely (a packet lost under load, a
// keyframe answered within a window) say `// runs-alone` in their opening comment and run last,
// one at a time. Arguments narrow the set: `npm test -- tests/unit`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const order = ['unit', 'integration', 'e2e'];
const args = process.argv.slice(2);
const roots = args.length ? args.map((a) => path.resolve(a)) : order.map((d) => path.join(root, 'tests', d)).filter((d) => fs.existsSync(d));

const files: string[] = [];
for (const r of roots) {
  if (fs.statSync(r).isFile()) files.push(r);
  else {
    files.push(...fs.readdirSync(r, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.test.ts'))
      .map((d) => path.join(d.parentPath, d.name))
      .sort());
  }
}

const opening = (file: string) => fs.readFileSync(file, 'utf8').slice(0, 4000);
const parallelSafe = (file: string) => file.includes(`${path.sep}unit${path.sep}`) || /^\/\/ parallel-safe\b/m.test(opening(file));
const runsAlone = (file: string) => !parallelSafe(file) && /^\/\/ runs-alone\b/m.test(opening(file));

const run = (set: string[], concurrency: number): number => {
  if (set.length === 0) return 0;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...set], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test' },
  });
  return r.status ?? 1;
};

// Every set runs even when one before it fails: one run shows every failure.
const light = run(files.filter(parallelSafe), 3);
const media = run(files.filter((f) => !parallelSafe(f) && !runsAlone(f)), 2);
const timed = run(files.filter(runsAlone), 1);
process.exit(light || media || timed);
