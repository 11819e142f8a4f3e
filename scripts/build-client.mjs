// Bundles the web client with esbuild into client/dist: each page (client/*.html, its shared
// parts from client/partials) with its script (client/src/<page>/main.ts; the supervision
// page's is client/src/main.ts, app.js), the operations page's chart styles (ops.css) and the
// shared app.css, every script and style under a name that carries its content's hash.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'client', 'dist');

/** Each page's script: esbuild's entry name (what the page names as `<entry>.js`) and its source under client/src. */
const ENTRIES = {
  app: 'main.ts', ops: 'ops/main.ts', recordings: 'recordings/main.ts', incidents: 'incidents/main.ts',
  account: 'account/main.ts', places: 'places/main.ts', drive: 'drive/main.ts', activate: 'activate/main.ts',
  investigation: 'investigation/main.ts', people: 'people/main.ts', lists: 'lists/main.ts',
};

/**
 * Parts of mediasoup-client that no page runs, left out of the bundles (~38 KB of the supervision
 * page's 415 KB minified; mediasoup-client is CommonJS, so esbuild cannot drop what is never
 * called): the React Native handler, which Device picks only inside a React Native app, and the
 * fake handler with its test parameters, which the package's index exports for its own tests.
 * Each becomes a module whose every export throws, so a use that was not foreseen says so.
 */
const LEFT_OUT = /[\\/]mediasoup-client[\\/]lib[\\/](handlers[\\/](ReactNative106|FakeHandler)|test[\\/]fakeParameters)\.js$/;
const leaveOut = {
  name: 'leave-out',
  setup(build) {
    build.onLoad({ filter: LEFT_OUT }, (args) => ({
      loader: 'js',
      contents: `module.exports = new Proxy({}, { get(_, name) {
        if (typeof name !== 'string' || name.startsWith('__') || name === 'then') return undefined;
        throw new Error('mediasoup-client: ' + name + ' of ${path.basename(args.path)} is left out of the web client');
      } });`,
    }));
  },
};

/** esbuild's options for every page's script (tests build with them too, without writing). */
export function bundleOptions({ minify = true } = {}) {
  return {
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(root, 'client', 'src', file)])),
    entryNames: '[name]-[hash]',
    metafile: true,
    bundle: true,
    // mediasoup-client's loggers without `debug`'s colour detection at load (client/src/debug-lite.cjs).
    alias: { debug: path.join(root, 'client', 'src', 'debug-lite.cjs') },
    plugins: [leaveOut],
    format: 'esm',
    splitting: true,
    target: ['chrome110', 'firefox115', 'safari16'],
    outdir: out,
    minify,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  };
}

/**
 * The chunks the output `file` imports statically, and theirs (not the dynamic ones: English),
 * from esbuild's metafile outputs: what a page loads before its script runs.
 */
export function staticChunks(outputs, file, seen = new Set()) {
  for (const i of outputs[file].imports) {
    if (i.kind !== 'import-statement' || seen.has(i.path)) continue;
    seen.add(i.path);
    staticChunks(outputs, i.path, seen);
  }
  return seen;
}

/**
 * Scripts and styles carry a hash of their content in their names (app-7GX2KQ4M.js) and the
 * pages name them so: the server lets browsers keep them for a year without asking again
 * (server/http/static-files.ts), so a returning page loads its bundle with no request at all,
 * and a new build is a new name. The pages themselves are asked for every time.
 *
 * Code that pages share, and the English messages (loaded only by a page opened in English:
 * client/src/i18n.ts), go into chunks of their own. Each page names the chunks its script
 * imports as module preloads, so a first visit fetches them with the script instead of after
 * parsing it.
 */
export async function buildClient({ minify = true } = {}) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const result = await esbuild.build(bundleOptions({ minify }));
  const outputs = result.metafile.outputs;
  /** What each page's `src="<entry>.js"` / `href="<entry>.css"` becomes. */
  const names = new Map();
  /** The module preloads for each page's script (by its built name). */
  const preloads = new Map();
  /** Each page's entry by its source as the metafile names it (a dynamic import is an entry too). */
  const entryOf = new Map(Object.entries(ENTRIES).map(([name, file]) => [path.relative(process.cwd(), path.join(root, 'client', 'src', file)), name]));
  for (const [file, output] of Object.entries(outputs)) {
    const entry = output.entryPoint && entryOf.get(output.entryPoint);
    if (!entry) continue;
    names.set(`${entry}.js`, path.basename(file));
    preloads.set(path.basename(file), [...staticChunks(outputs, file)].map((chunk) => path.basename(chunk)));
    if (output.cssBundle) names.set(`${entry}.css`, path.basename(output.cssBundle));
  }
  const css = fs.readFileSync(path.join(root, 'client', 'app.css'));
  const cssName = `app-${crypto.createHash('sha256').update(css).digest('hex').slice(0, 8).toUpperCase()}.css`;
  fs.writeFileSync(path.join(out, cssName), css);
  names.set('app.css', cssName);
  // Every page of client/ (its scripts and styles named by their built names).
  for (const page of fs.readdirSync(path.join(root, 'client')).filter((f) => f.endsWith('.html'))) {
    const html = expandIncludes(fs.readFileSync(path.join(root, 'client', page), 'utf8'))
      .replace(/(src|href)="([a-z]+\.(?:js|css))"/g, (_, attr, name) => {
        const hashed = names.get(name);
        if (!hashed) throw new Error(`build: ${page} names ${name}, which the build does not make`);
        return `${attr}="${hashed}"`;
      })
      .replace(/^( *)(<script type="module" src="([^"]+)"><\/script>)$/m, (_, indent, tag, src) =>
        [...(preloads.get(src) ?? []).map((chunk) => `${indent}<link rel="modulepreload" href="${chunk}">\n`), indent, tag].join(''));
    fs.writeFileSync(path.join(out, page), html);
  }
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
