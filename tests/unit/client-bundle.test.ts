// The supervision page's bundle, built as scripts/build-client.mjs builds it: what it leaves out
// of mediasoup-client, and its size (every page open parses all of it before its first picture).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
// @ts-expect-error: the build script is plain JavaScript, without types
import { leaveOut } from '../../scripts/build-client.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');

async function appBundle(plugins: esbuild.Plugin[]) {
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'client', 'src', 'main.ts')],
    bundle: true, minify: true, format: 'esm', write: false, metafile: true, outdir: '/nowhere', logLevel: 'silent',
    target: ['chrome110', 'firefox115', 'safari16'],
    alias: { debug: path.join(root, 'client', 'src', 'debug-lite.cjs') },
    plugins,
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint)!;
  const bytesOf = (pattern: RegExp) => Object.entries(output.inputs).filter(([file]) => pattern.test(file)).reduce((sum, [, i]) => sum + i.bytesInOutput, 0);
  return { bytes: output.bytes, bytesOf };
}

test('mediasoup-client\'s React Native and fake handlers are left out; the browsers\' handlers stay', async () => {
  const unused = /mediasoup-client\/lib\/(handlers\/(ReactNative106|FakeHandler)|test\/fakeParameters)\.js$|fake-mediastreamtrack/;
  const browsers = /mediasoup-client\/lib\/handlers\/(Chrome111|Chrome74|Firefox120|Safari12)\.js$/;
  const plain = await appBundle([]);
  const built = await appBundle([leaveOut as esbuild.Plugin]);
  // Without the plugin they are there (so the check below can fail), with it only stubs remain.
  assert.ok(plain.bytesOf(unused) > 30_000, `without the plugin: ${plain.bytesOf(unused)} bytes of unused handlers`);
  assert.ok(built.bytesOf(unused) < 1_000, `with it: ${built.bytesOf(unused)} bytes`);
  // Kept whole (minified names may differ by a few bytes between the two builds).
  assert.ok(Math.abs(built.bytesOf(browsers) - plain.bytesOf(browsers)) < 500 && built.bytesOf(browsers) > 60_000, `browser handlers: ${built.bytesOf(browsers)} against ${plain.bytesOf(browsers)} bytes`);
  // Budget: 415 KB with i18next and every handler; 324 KB without them. Room for the page to grow a little.
  assert.ok(built.bytes < 345_000, `the wall's bundle is ${built.bytes} bytes`);
});
