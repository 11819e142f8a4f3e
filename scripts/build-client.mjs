// Bundles the web client with esbuild into client/dist: the supervision page (index.html,
// app.js), the operations page (ops.html, ops.js, ops.css with the chart styles) and the
// recordings page (recordings.html, recordings.js), the incidents page (incidents.html,
// incidents.js), the account page (account.html, account.js), the places registry
// (places.html, places.js), the connection drive (drive.html, drive.js), the activation page (activate.html, activate.js), the leak investigation
// (investigation.html, investigation.js), the people directory (people.html, people.js), account lists (lists.html, lists.js); app.css shared.
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
      incidents: path.join(root, 'client', 'src', 'incidents', 'main.ts'),
      account: path.join(root, 'client', 'src', 'account', 'main.ts'),
      places: path.join(root, 'client', 'src', 'places', 'main.ts'),
      drive: path.join(root, 'client', 'src', 'drive', 'main.ts'),
      activate: path.join(root, 'client', 'src', 'activate', 'main.ts'),
      investigation: path.join(root, 'client', 'src', 'investigation', 'main.ts'),
      people: path.join(root, 'client', 'src', 'people', 'main.ts'),
      lists: path.join(root, 'client', 'src', 'lists', 'main.ts'),
    },
    bundle: true,
    // mediasoup-client's loggers without `debug`'s colour detection at load (client/src/debug-lite.cjs).
    alias: { debug: path.join(root, 'client', 'src', 'debug-lite.cjs') },
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    outdir: out,
    minify,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'ops.html', 'recordings.html', 'incidents.html', 'account.html', 'places.html', 'drive.html', 'activate.html', 'investigation.html', 'people.html', 'lists.html']) {
    fs.writeFileSync(path.join(out, f), expandIncludes(fs.readFileSync(path.join(root, 'client', f), 'utf8')));
  }
  fs.copyFileSync(path.join(root, 'client', 'app.css'), path.join(out, 'app.css'));
}

/** Pages share their <head> basics and the secondary pages' header: `<!--#include name-->` takes client/partials/name.html. */
function expandIncludes(html) {
  const expanded = html.replace(/<!--#include ([a-z-]+)-->\n/g, (_, name) => fs.readFileSync(path.join(root, 'client', 'partials', `${name}.html`), 'utf8'));
  return expanded === html ? html : expandIncludes(expanded); // partials may include partials
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildClient();
  process.stderr.write(`[setup] web client built into ${path.relative(process.cwd(), out)}\n`);
}
