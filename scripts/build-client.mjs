// Bundles the web client with esbuild into client/dist: the supervision page (index.html,
// app.js), the operations page (ops.html, ops.js, ops.css with the chart styles) and the
// recordings page (recordings.html, recordings.js); app.css shared.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'client', 'dist');

export async function buildClient({ minify = true } = {}) {
  fs.mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: {
      app: path.join(root, 'client', 'src', 'main.ts'),
      ops: path.join(root, 'client', 'src', 'ops', 'main.ts'),
      recordings: path.join(root, 'client', 'src', 'recordings', 'main.ts'),
    },
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    outdir: out,
    minify,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'ops.html', 'recordings.html', 'app.css']) fs.copyFileSync(path.join(root, 'client', f), path.join(out, f));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildClient();
  process.stderr.write(`[setup] web client built into ${path.relative(process.cwd(), out)}\n`);
}
