// Runs the test files with node's test runner. Most start real media processes and time what
// they see, and the machine has two cores, so they run one at a time. Files that touch only
// the database and HTTP (the unit tests, and any file that says `// parallel-safe` in its
// opening comment) run first, three at a time. Arguments narrow the set: `npm test -- tests/unit`.
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

const PARALLEL_SAFE = /^\/\/ parallel-safe\b/m;
const parallelSafe = (file: string) => file.includes(`${path.sep}unit${path.sep}`) || PARALLEL_SAFE.test(fs.readFileSync(file, 'utf8').slice(0, 4000));

const run = (set: string[], concurrency: number): number => {
  if (set.length === 0) return 0;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...set], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test' },
  });
  return r.status ?? 1;
};

// Both sets run even when the first fails: one run shows every failure.
const light = run(files.filter(parallelSafe), 3);
const heavy = run(files.filter((f) => !parallelSafe(f)), 1);
process.exit(light || heavy);
