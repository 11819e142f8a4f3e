#!/usr/bin/env node
// Installs whatever is missing before `npm start` / `npm test`, and nothing more on a warm
// checkout: system packages (Debian, when run as root), npm packages, the mediasoup worker,
// the Prisma client and the web client bundle. Uses only Node built-ins: it runs before
// node_modules exists.
//
//   node scripts/bootstrap.mjs              what `npm start` needs
//   node scripts/bootstrap.mjs --for-tests  plus Chromium and the RTSP test camera
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, onPath, run } from './lib/proc.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');
const stampDir = path.join(root, 'node_modules', '.giamsat');

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 10)) {
  console.error(`Node.js >= 20.10 is required (this is ${process.version}).`);
  process.exit(1);
}

// ---- system packages ------------------------------------------------------------------

const isRoot = process.getuid?.() === 0;
const hasApt = onPath('apt-get') && onPath('dpkg-query');
let aptUpdated = false;

function debInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Installs missing Debian packages when we can; otherwise fails with the command to run. */
function ensurePackages(packages, why) {
  if (!hasApt) {
    log(`cannot check system packages (no apt); make sure these are installed for ${why}: ${packages.join(' ')}`);
    return;
  }
  const missing = packages.filter((p) => !debInstalled(p));
  if (missing.length === 0) return;
  if (!isRoot) {
    throw new Error(`missing system packages for ${why}; run:\n  sudo apt-get install -y ${missing.join(' ')}`);
  }
  log(`installing system packages for ${why}: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    run('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    aptUpdated = true;
  }
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

// ffmpeg: the configured one, else PATH (ffmpeg-static is tried at run time too).
if (!process.env.FFMPEG_PATH && !onPath('ffmpeg') && !fs.existsSync(path.join(root, 'node_modules', 'ffmpeg-static', 'ffmpeg'))) {
  ensurePackages(['ffmpeg', 'fonts-dejavu-core'], 'camera ingest (ffmpeg)');
}
// A font with Vietnamese glyphs for the incident reports' PDF export.
ensurePackages(['fonts-dejavu-core'], 'PDF incident reports (DejaVu font)');
if (forTests) {
  ensurePackages(['chromium', 'fonts-dejavu-core'], 'browser tests (headless Chromium)');
  ensurePackages([
    'python3-gi', 'gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good',
    'gstreamer1.0-plugins-ugly', 'gstreamer1.0-plugins-bad',
  ], 'the RTSP test camera (GStreamer rtsp-server)');
  // A second, independent RTSP server implementation for the relay's tests. Its package
  // enables a systemd unit; containers without systemd never start it, and the tests run
  // their own instance on free ports.
  ensurePackages(['rtsp-server-perl'], 'the second RTSP server in the relay tests (RTSP::Server)');
  // pdftotext reads the exported PDF reports back in their tests.
  ensurePackages(['poppler-utils'], 'reading PDF reports in tests (pdftotext)');
  // The TURN server deployments run for viewers behind firewalls; the tests start their own
  // (the package's service never starts without systemd), behind nftables firewalls.
  ensurePackages(['coturn', 'nftables'], 'TURN for viewers behind firewalls (coturn) and the firewalls in its tests (nftables)');
}

// ---- npm packages -------------------------------------------------------------------

function hashOf(files) {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f);
    if (fs.existsSync(f)) h.update(fs.readFileSync(f));
  }
  return h.digest('hex');
}

function stamp(name, value) {
  const file = path.join(stampDir, name);
  if (value === undefined) return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  fs.mkdirSync(stampDir, { recursive: true });
  fs.writeFileSync(file, value);
  return value;
}

// The lock file names every installed package (the root's own dependencies included), so
// edits to package.json scripts do not cost a reinstall.
const lockHash = hashOf([path.join(root, 'package-lock.json')]);
if (!fs.existsSync(path.join(root, 'node_modules')) || stamp('lock') !== lockHash) {
  log('installing npm packages (npm ci)');
  // The mediasoup worker is handled below (prebuilt, cached or built offline), not by
  // mediasoup's own postinstall, so the install is the same on connected and offline machines.
  run('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    env: { ...process.env, MEDIASOUP_WORKER_BIN: 'handled-by-scripts/bootstrap.mjs' },
  });
  stamp('lock', lockHash);
}

// ---- mediasoup worker ---------------------------------------------------------------

const { ensureWorker } = await import('./lib/mediasoup-worker.mjs');
const worker = ensureWorker(root, { ensurePackages: (pkgs) => ensurePackages(pkgs, 'building the mediasoup worker') });
if (worker.source !== 'installed' && worker.source !== 'env') log(`mediasoup worker ready (${worker.source})`);

// ---- Prisma client ------------------------------------------------------------------

const schema = path.join(root, 'prisma', 'schema.prisma');
const schemaHash = hashOf([schema, path.join(root, 'node_modules', 'prisma', 'package.json')]);
if (!fs.existsSync(path.join(root, 'server', 'db', 'generated', 'client.ts')) || stamp('prisma') !== schemaHash) {
  log('generating the Prisma client');
  run(process.execPath, [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
    cwd: root,
    // The CLI asks for native engines even with the WASM engine; any existing file stops
    // it from trying to download them (see server/db/database.ts).
    env: {
      ...process.env,
      PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? process.execPath,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  stamp('prisma', schemaHash);
}

// ---- web client ---------------------------------------------------------------------

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath ?? d.path, d.name))
    .filter((f) => !f.includes(`${path.sep}dist${path.sep}`))
    .sort();
}
const clientHash = hashOf([...filesUnder(path.join(root, 'client')), path.join(root, 'server', 'signaling', 'protocol.ts'), path.join(root, 'scripts', 'build-client.mjs'), lockHash]);
if (!fs.existsSync(path.join(root, 'client', 'dist', 'index.html')) || stamp('client') !== clientHash) {
  const { buildClient } = await import('./build-client.mjs');
  await buildClient();
  log('web client built');
  stamp('client', clientHash);
}
