// The offline worker build patches mediasoup's own meson files; these tests run the patch
// against the files of the installed mediasoup version, so an upgrade that changes their
// shape fails here rather than on a deployment machine.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
// @ts-expect-error plain ESM script without types
import { mediasoupDir, patchLibwebrtcMeson, patchWorkerMeson } from '../../scripts/lib/mediasoup-worker.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const worker = path.join(mediasoupDir(root) as string, 'worker');

test('worker meson.build: subprojects become system dependencies, tests are cut', () => {
  const out: string = patchWorkerMeson(fs.readFileSync(path.join(worker, 'meson.build'), 'utf8'));
  // Only the Windows-only getopt subproject may remain.
  assert.doesNotMatch(out, /(openssl|libuv|libsrtp2|usrsctp|abseil_cpp|nlohmann_json|catch2)_proj/);
  assert.match(out, /dependency\('libuv'/);
  assert.match(out, /dependency\('libsrtp2'/);
  assert.doesNotMatch(out, /test_sources/);
  assert.throws(() => patchWorkerMeson('project()\n'), /changed shape|did not match/);
});

test('libwebrtc meson.build: no subproject references remain', () => {
  const out: string = patchLibwebrtcMeson(fs.readFileSync(path.join(worker, 'deps', 'libwebrtc', 'meson.build'), 'utf8'));
  assert.doesNotMatch(out, /_proj\./);
  assert.match(out, /dependency\('absl_strings'\)/);
});
