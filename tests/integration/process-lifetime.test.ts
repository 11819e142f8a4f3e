// The server as an operator runs it (a separate process, `node server/main.ts`), killed with
// SIGKILL: its ffmpeg processes must not outlive it, its relay connections close with it, and
// a restart on the same data must not open a second connection to the camera. Run for both
// ingest paths.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startCamera, type TestCamera } from '../support/camera.js';
import { freePort } from '../support/net.js';
import { startServerProcess } from '../support/server-process.js';
import { login as signIn } from '../support/server.js';

/** Processes whose command line mentions `needle` (from /proc, as ps would show them). */
function processesWith(needle: string, name: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') === name && argv.some((a) => a.includes(needle))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Established TCP connections to a local port (the camera's RTSP sessions). */
function connectionsTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is cols[1], remote cols[2]; state 01 = ESTABLISHED. Count the client side.
      if (cols[3] === '01' && cols[2]?.endsWith(`:${hex}`)) n++;
    }
  }
  return n;
}

/** Polls `check` until it holds (no event tells us a foreign process ended). */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}

/** Everything the server processes printed (stdout and stderr), to search for secrets. */
const output: string[] = [];

for (const ingest of ['auto', 'ffmpeg'] as const) describe(`server process lifetime (${ingest === 'auto' ? 'RTSP relay' : 'ffmpeg'})`, { timeout: 180_000 }, () => {
  const viaFfmpeg = ingest === 'ffmpeg';
  /** ffmpeg processes pulling the camera: one per connection on the ffmpeg path, none on the relay. */
  const ffmpegs = () => processesWith(`:${cam.port}/life`, 'ffmpeg').length;
  let cam: TestCamera;
  const procs: ChildProcess[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-life-'));
  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await cam?.stop();
    output.length = 0;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('SIGKILL leaves no ingest behind; a restart holds one camera connection, not two', async () => {
    cam = await startCamera({ path: '/life' });
    const configFile = path.join(dataDir, 'config.json');
    // Credentials in the URL (the test camera does not ask for them; ffmpeg holds them anyway).
    const withCredentials = cam.url.replace('rtsp://', 'rtsp://operator:Mat-Khau-9x7@');
    // A second one that fails (nothing listens there), so ffmpeg's error output is logged too.
    const refused = `rtsp://operator:Mat-Khau-9x7@127.0.0.1:${await freePort()}/nothing`;
    fs.writeFileSync(configFile, JSON.stringify({ demoAccounts: true, auth: { totp: 'off' }, cameras: [
      { name: 'Always on', mainUrl: withCredentials, alwaysOn: true, ingest },
      { name: 'Unreachable', mainUrl: refused, alwaysOn: true, ingest },
    ] }));
    const env = {
      PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0', MEDIA_WORKERS: '1',
      GIAMSAT_CONFIG: configFile,
    };
    const first = await startServerProcess(env, output);
    procs.push(first.proc);
    await until(() => ffmpegs() === (viaFfmpeg ? 1 : 0) && connectionsTo(cam.port) === 1, 30_000, 'the ingest to connect');
    const orphan = processesWith(`:${cam.port}/life`, 'ffmpeg')[0];

    first.proc.kill('SIGKILL');
    if (orphan) {
      const ms = await until(() => !fs.existsSync(`/proc/${orphan}`) || fs.readFileSync(`/proc/${orphan}/stat`, 'utf8').split(' ')[2] === 'Z', 5_000, 'ffmpeg to die with the server');
      console.log(`# ffmpeg gone ${ms} ms after the server's SIGKILL`);
    }
    await until(() => connectionsTo(cam.port) === 0, 10_000, 'the camera connection to close');

    const second = await startServerProcess(env, output);
    procs.push(second.proc);
    const res = await fetch(`${second.url}/api/cameras`, { headers: { authorization: `Bearer ${(await signIn(second, 'quantri-tw')).accessToken}` } });
    const list = (await res.json()) as Array<{ name: string }>;
    assert.equal(list.filter((c) => c.name === 'Always on').length, 1, 'the configured camera is not duplicated');
    await until(() => connectionsTo(cam.port) >= 1, 30_000, 'the ingest to reconnect');
    // Settle over a few seconds of streaming: the count must stay at one.
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      assert.equal(ffmpegs(), viaFfmpeg ? 1 : 0);
      assert.equal(connectionsTo(cam.port), 1);
      await new Promise((r) => setTimeout(r, 250));
    }
    second.proc.kill('SIGTERM');
    await new Promise((r) => second.proc.once('exit', r));
    assert.equal(ffmpegs(), 0, 'a clean stop ends ffmpeg');
    assert.equal(connectionsTo(cam.port), 0, 'a clean stop closes the camera connection');
    const printed = output.join('');
    assert.match(printed, /"ingest log tail"/, 'the ingest\'s own log was logged');
    assert.doesNotMatch(printed, /Mat-Khau-9x7/, 'the camera password is in no log line');
    // The config file is the operator's; the stored form is encrypted.
    const stored = fs.readdirSync(path.join(dataDir, 'pglite'), { recursive: true }).length;
    assert.ok(stored > 0);
  });
});

test('the demo server stops cleanly on SIGTERM while its streams hold RTSP sessions to the demo cameras', { timeout: 120_000 }, async () => {
  // The demo site's RTSP server waited for its clients' connections to end before ending
  // them, and the server's own streams close after it: every `npm start` stop hung until the
  // 10-second forced exit (exit code 1).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-demo-stop-'));
  const printed: string[] = [];
  const { proc } = await startServerProcess({ PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dir, DEMO: '1', MEDIA_WORKERS: '1' }, printed);
  try {
    const port = Number(/"port":(\d+),"feeds":\d+,"msg":"demo RTSP cameras ready"/.exec(printed.join(''))?.[1]);
    assert.ok(port > 0, 'the demo cameras said where they listen');
    // Always-on monitoring pulls the demo cameras.
    await until(() => connectionsTo(port) >= 1, 30_000, 'a stream to connect to a demo camera');
    const t0 = Date.now();
    proc.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    assert.equal(code, 0, `a clean stop, not the forced exit (after ${Date.now() - t0} ms)`);
    assert.ok(Date.now() - t0 < 8000, `stopped in ${Date.now() - t0} ms`);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
