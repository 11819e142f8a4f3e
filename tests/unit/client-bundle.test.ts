// The supervision page's script, built with scripts/build-client.mjs's own options (without
// writing): what it leaves out of mediasoup-client, that English is a chunk of its own, and the
// size a Vietnamese page open parses before its first picture.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
// @ts-expect-error: the build script is plain JavaScript, without types
import { bundleOptions, staticChunks } from '../../scripts/build-client.mjs';

async function build(overrides: Partial<esbuild.BuildOptions> = {}) {
  const result = await esbuild.build({ ...(bundleOptions() as esbuild.BuildOptions), ...overrides, write: false, sourcemap: false, legalComments: 'none', logLevel: 'silent' });
  const outputs = result.metafile!.outputs;
  const app = Object.keys(outputs).find((f) => outputs[f]!.entryPoint?.endsWith(path.join('client', 'src', 'main.ts')))!;
  /** The wall's script and every chunk it imports statically: what the page loads before it runs. */
  const loaded = new Set<string>([app, ...(staticChunks(outputs, app) as Set<string>)]);
  const inputsOf = (files: Iterable<string>) => [...files].flatMap((f) => Object.entries(outputs[f]!.inputs));
  const bytesOf = (pattern: RegExp) => inputsOf(loaded).filter(([file]) => pattern.test(file)).reduce((sum, [, i]) => sum + i.bytesInOutput, 0);
  return { outputs, loaded, bytes: [...loaded].reduce((sum, f) => sum + outputs[f]!.bytes, 0), bytesOf };
}

test('mediasoup-client\'s React Native and fake handlers are left out; the browsers\' handlers stay', async () => {
  const unused = /mediasoup-client\/lib\/(handlers\/(ReactNative106|FakeHandler)|test\/fakeParameters)\.js$|fake-mediastreamtrack/;
  const browsers = /mediasoup-client\/lib\/handlers\/(Chrome111|Chrome74|Firefox120|Safari12)\.js$/;
  const plain = await build({ plugins: [] });
  const built = await build();
  // Without the plugin they are there (so the check below can fail), with it only stubs remain.
  assert.ok(plain.bytesOf(unused) > 30_000, `without the plugin: ${plain.bytesOf(unused)} bytes of unused handlers`);
  assert.ok(built.bytesOf(unused) < 1_000, `with it: ${built.bytesOf(unused)} bytes`);
  // Kept whole (minified names may differ by a few bytes between the two builds).
  assert.ok(Math.abs(built.bytesOf(browsers) - plain.bytesOf(browsers)) < 500 && built.bytesOf(browsers) > 60_000, `browser handlers: ${built.bytesOf(browsers)} against ${plain.bytesOf(browsers)} bytes`);
});

test('English is a chunk of its own, which a page opened in Vietnamese does not load; the page stays under its budget', async () => {
  const { outputs, loaded, bytes, bytesOf } = await build();
  const english = Object.keys(outputs).filter((f) => Object.keys(outputs[f]!.inputs).some((i) => i.endsWith(path.join('client', 'src', 'messages-en.ts'))));
  assert.equal(english.length, 1, 'one chunk holds the English table');
  assert.ok(!loaded.has(english[0]!), 'the wall does not import it statically');
  assert.equal(bytesOf(/messages-en\.ts$/), 0);
  assert.ok(bytesOf(/client\/src\/messages\.ts$/) > 20_000, 'the Vietnamese table is in');
  // 415 KB with i18next, every handler and both languages; ~300 KB without them. Room to grow a little.
  assert.ok(bytes < 320_000, `the wall loads ${bytes} bytes of script`);
});
