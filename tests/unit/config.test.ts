import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { loadConfig } from '../../server/config.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

test('defaults: port 8080, 30 s grace, one worker per core, no demo (a deployment starts empty; npm start asks for it)', () => {
  for (const k of ['PORT', 'MEDIA_WORKERS', 'DEMO', 'INGEST_GRACE_MS', 'GIAMSAT_CONFIG']) delete process.env[k];
  const c = loadConfig();
  assert.equal(c.port, 8080);
  assert.equal(c.ingest.graceMs, 30_000);
  assert.equal(c.media.workers, os.cpus().length);
  assert.equal(c.demo, false);
  assert.equal(c.demoAccounts, undefined);
  assert.equal(c.databaseUrl, undefined);
});

test('file, then environment, then overrides; nested objects merge', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-cfg-'));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ port: 9000, media: { workers: 3, announcedIp: '10.1.1.1' }, cameras: [{ name: 'Gate', mainUrl: 'rtsp://10.0.0.9/1' }] }));
  process.env.GIAMSAT_CONFIG = file;
  process.env.PORT = '9100';
  process.env.DEMO = '1';
  const c = loadConfig({ media: { workers: 1 } });
  assert.equal(c.port, 9100);
  assert.equal(c.media.workers, 1);
  assert.equal(c.media.announcedIp, '10.1.1.1');
  assert.equal(c.demo, true, 'DEMO=1 asks for the demo');
  assert.equal(c.cameras[0]!.name, 'Gate');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('invalid configuration fails with the offending path', () => {
  process.env.PORT = 'eighty';
  assert.throws(() => loadConfig(), /PORT=eighty is not a number/);
  delete process.env.PORT;
  assert.throws(() => loadConfig({ media: { workers: 0 } }), /media\.workers/);
  assert.throws(() => loadConfig({ media: { rtcMinPort: 50000, rtcMaxPort: 40000 } }), /rtcMinPort/);
  assert.throws(() => loadConfig({ media: { workers: 2, webRtcPort: 39999, rtcMinPort: 40000, rtcMaxPort: 49999 } }), /webRtcPort 39999\.\.40000 \(one per worker\) must lie outside/);
  assert.equal(loadConfig({ media: { workers: 2, webRtcPort: 39998, rtcMinPort: 40000, rtcMaxPort: 49999 } }).media.webRtcPort, 39998);
  assert.throws(() => loadConfig({ cameras: [{ name: 'x', mainUrl: 'http://cam/x' }] }), /cameras/);
  process.env.GIAMSAT_CONFIG = '/nonexistent/giamsat.json';
  assert.throws(() => loadConfig(), /cannot read config file/);
});
