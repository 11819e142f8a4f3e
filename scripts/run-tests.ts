// Runs the test files with node's test runner, one file at a time (they start real media
// processes; the machine has two cores). Arguments narrow the set: `npm test -- tests/unit`.
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
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
process.exit(r.status ?? 1);
