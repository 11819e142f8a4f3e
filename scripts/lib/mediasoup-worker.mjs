// Makes sure node_modules/mediasoup has a runnable mediasoup-worker binary.
//
// Order: MEDIASOUP_WORKER_BIN given by the operator -> a cached binary for this exact
// mediasoup version -> mediasoup's own postinstall (prebuilt download, else its own build)
// -> a build against the distribution's libraries (works with no network at all).
// Whatever path produced the binary, it is copied into the per-user cache so a second
// install (or a fresh clone on the same machine) does not build again.
//
// Why a system-library build: mediasoup's own build downloads its C++ dependencies at
// build time. Air-gapped government networks are a real deployment target, so an
// offline path is a feature. mediasoup 3.12.x is the last line that builds against
// Debian's libraries (3.13+ needs flatbuffers 24 and a libsrtp3 fork).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log, run } from './proc.mjs';

/** Debian packages the system-library build needs. */
export const WORKER_BUILD_PACKAGES = [
  'meson', 'ninja-build', 'pkg-config', 'g++', 'libuv1-dev', 'libssl-dev', 'libsrtp2-dev',
  'libusrsctp-dev', 'libabsl-dev', 'nlohmann-json3-dev',
];

export function mediasoupDir(root) {
  return path.join(root, 'node_modules', 'mediasoup');
}

export function mediasoupVersion(root) {
  return JSON.parse(fs.readFileSync(path.join(mediasoupDir(root), 'package.json'), 'utf8')).version;
}

/** Where mediasoup looks for its worker when MEDIASOUP_WORKER_BIN is not set. */
export function defaultWorkerPath(root) {
  return path.join(mediasoupDir(root), 'worker', 'out', 'Release', 'mediasoup-worker');
}

export function cacheDir() {
  const base = process.env.GIAMSAT_CACHE_DIR
    ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'giamsat');
  return base;
}

export function cachedWorkerPath(version) {
  return path.join(cacheDir(), `mediasoup-worker-${version}-${process.platform}-${process.arch}`);
}

/** True when the binary exists and answers as a mediasoup worker would. */
export function workerRuns(bin) {
  if (!fs.existsSync(bin)) return false;
  // Without its channel fds the worker exits at once; a missing shared library or a wrong
  // architecture shows as a spawn error or a loader message instead.
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000, env: { MEDIASOUP_VERSION: 'probe' } });
  if (r.error) return false;
  const out = `${r.stdout}${r.stderr}`;
  return !/error while loading shared libraries|cannot execute|Exec format error/i.test(out);
}

function install(bin, root) {
  const dest = defaultWorkerPath(root);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (path.resolve(bin) !== path.resolve(dest)) fs.copyFileSync(bin, dest);
  fs.chmodSync(dest, 0o755);
  return dest;
}

function remember(bin, version) {
  const cached = cachedWorkerPath(version);
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  fs.copyFileSync(bin, tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, cached);
}

/**
 * Ensures the worker binary. `mode` is 'auto' (default), 'system' (skip mediasoup's own
 * download/build) or 'upstream' (only mediasoup's own path).
 */
export function ensureWorker(root, { mode = process.env.GIAMSAT_WORKER_BUILD ?? 'auto', ensurePackages } = {}) {
  const version = mediasoupVersion(root);
  const dest = defaultWorkerPath(root);

  if (process.env.MEDIASOUP_WORKER_BIN) {
    if (!workerRuns(process.env.MEDIASOUP_WORKER_BIN)) {
      throw new Error(`MEDIASOUP_WORKER_BIN=${process.env.MEDIASOUP_WORKER_BIN} is not a runnable mediasoup-worker`);
    }
    log(`mediasoup worker: using MEDIASOUP_WORKER_BIN=${process.env.MEDIASOUP_WORKER_BIN}`);
    return { path: process.env.MEDIASOUP_WORKER_BIN, source: 'env' };
  }
  if (workerRuns(dest)) {
    if (!fs.existsSync(cachedWorkerPath(version))) remember(dest, version);
    return { path: dest, source: 'installed' };
  }
  const cached = cachedWorkerPath(version);
  if (mode !== 'upstream-only' && workerRuns(cached)) {
    log(`mediasoup worker: reusing cached ${cached}`);
    return { path: install(cached, root), source: 'cache' };
  }
  if (mode === 'auto' || mode === 'upstream') {
    log('mediasoup worker: trying mediasoup\'s own install (prebuilt download, else its build)');
    const r = spawnSync(process.execPath, ['npm-scripts.mjs', 'postinstall'], {
      cwd: mediasoupDir(root), stdio: 'inherit', timeout: 15 * 60_000,
      env: { ...process.env, MEDIASOUP_WORKER_BIN: '' },
    });
    if (r.status === 0 && workerRuns(dest)) {
      remember(dest, version);
      return { path: dest, source: 'upstream' };
    }
    if (mode === 'upstream') throw new Error('mediasoup\'s own worker install failed');
    log('mediasoup worker: mediasoup\'s own install failed (offline?); building against system libraries');
  }
  ensurePackages?.(WORKER_BUILD_PACKAGES, ['meson', 'ninja', 'pkg-config', 'g++']);
  const built = buildAgainstSystemLibraries(root, version);
  remember(built, version);
  return { path: install(built, root), source: 'system-build' };
}

/** Copies the worker sources, points meson at system libraries and builds the binary. */
export function buildAgainstSystemLibraries(root, version) {
  const src = path.join(mediasoupDir(root), 'worker');
  const work = path.join(cacheDir(), `build-mediasoup-${version}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  for (const entry of ['meson.build', 'meson_options.txt', 'include', 'src', 'deps']) {
    fs.cpSync(path.join(src, entry), path.join(work, entry), { recursive: true });
  }
  patchFile(path.join(work, 'meson.build'), patchWorkerMeson);
  patchFile(path.join(work, 'deps', 'libwebrtc', 'meson.build'), patchLibwebrtcMeson);

  const jobs = String(Math.max(1, os.cpus().length));
  run('meson', ['setup', 'out', '--buildtype=release', '-Db_ndebug=true', '--wrap-mode=nodownload'], { cwd: work });
  const t0 = Date.now();
  run('ninja', ['-C', 'out', '-j', jobs, 'mediasoup-worker'], { cwd: work });
  log(`mediasoup worker: built in ${Math.round((Date.now() - t0) / 1000)} s`);
  return path.join(work, 'out', 'mediasoup-worker');
}

function patchFile(file, fn) {
  fs.writeFileSync(file, fn(fs.readFileSync(file, 'utf8')));
}

function mustReplace(text, from, to) {
  if (typeof from === 'string' ? !text.includes(from) : !from.test(text)) {
    throw new Error(`mediasoup meson.build has changed shape; cannot patch: ${String(from).slice(0, 60)}`);
  }
  return text.replace(from, to);
}

const SYSTEM_DEPS = `
cpp = meson.get_compiler('cpp')
openssl_dep = dependency('openssl')
nlohmann_json_dep = dependency('nlohmann_json')
libuv_dep = dependency('libuv')
libsrtp2_dep = declare_dependency(
  dependencies: dependency('libsrtp2'),
  include_directories: include_directories('/usr/include/srtp2'),
)
usrsctp_dep = dependency('usrsctp')
absl_container_dep = [dependency('absl_flat_hash_map'), dependency('absl_flat_hash_set')]
libwebrtc_include_directories = include_directories('include')
subdir('deps/libwebrtc')

dependencies = [
  absl_container_dep,
  openssl_dep,
  nlohmann_json_dep,
  libuv_dep,
  libsrtp2_dep,
  usrsctp_dep,
  libwebrtc_dep,
]

link_whole = [
  libwebrtc,
]
`;

export function patchWorkerMeson(text) {
  text = mustReplace(text, /meson_version: '>= [0-9.]+'/, "meson_version: '>= 1.0.0'");
  // Everything from the first subproject() to the end of link_whole becomes system deps.
  text = mustReplace(text, /cpp = meson\.get_compiler\('cpp'\)[\s\S]*?\nlink_whole = \[[\s\S]*?\n\]\n/, SYSTEM_DEPS);
  // Tests and fuzzer need catch2 from a subproject: cut them.
  const cut = text.indexOf('\ntest_sources = [');
  if (cut < 0) throw new Error('mediasoup meson.build has changed shape: no test_sources');
  return text.slice(0, cut) + '\n';
}

export function patchLibwebrtcMeson(text) {
  text = mustReplace(text, /abseil_cpp_proj = subproject\([\s\S]*?\n\)\n/, "absl_strings_dep = dependency('absl_strings')\nabsl_optional_dep = dependency('absl_optional')\n");
  text = text.replaceAll("abseil_cpp_proj.get_variable('absl_strings_dep')", 'absl_strings_dep');
  text = text.replaceAll("abseil_cpp_proj.get_variable('absl_types_dep')", 'absl_optional_dep');
  text = text.replaceAll("openssl_proj.get_variable('openssl_dep')", 'openssl_dep');
  text = text.replaceAll("nlohmann_json_proj.get_variable('nlohmann_json_dep')", 'nlohmann_json_dep');
  text = text.replaceAll("libuv_proj.get_variable('libuv_dep')", 'libuv_dep');
  if (/_proj\./.test(text)) throw new Error('mediasoup libwebrtc meson.build still references a subproject');
  return text;
}
