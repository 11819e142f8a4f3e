// runs-alone: the report's figures are checked against the wall clock to 1.5 s.
// The 24/7 connection report after a crash: the server process (embedded database) watches
// an always-on camera, is killed with SIGKILL — no shutdown code runs, nothing records the
// end — and is started again a few seconds later. The dead time must be unmonitored in the
// report, not counted as the camera's last state (live), because that figure is what
// facilities are judged by. A clean stop and start afterwards recovers nothing.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { freePort } from '../support/net.js';
import { startServerProcess } from '../support/server-process.js';
import { login as signIn } from '../support/server.js';

describe('the connection report across a server crash', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-crash-'));
  const output: string[] = [];
  const procs: ChildProcess[] = [];
  let cam: TestCamera;
  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await cam?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

  test('the time the server was dead is unmonitored, not live', async () => {
    cam = await startCamera({ width: 320, height: 180, fps: 10, gop: 20, kbps: 150 });
    const configFile = path.join(dataDir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({
      demoAccounts: true, auth: { totp: 'off' }, monitoring: { nodeId: 'node-a', heartbeatSeconds: 1 },
      cameras: [{ name: 'Sảnh 24/7', mainUrl: cam.url, alwaysOn: true, facilityId: DEMO_IDS.hotel }],
    }));
    const env = {
      PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0', MEDIA_WORKERS: '1',
      GIAMSAT_CONFIG: configFile, LOG_LEVEL: 'info',
    };
    const admin = async (url: string) => ({ authorization: `Bearer ${(await signIn({ url }, 'quantri-tw')).accessToken}` });
    /**
     * Resolves once the camera is live (polled: the process is another program), with the
     * moment the server says it went live: the poll and the sign-in before it come later (a
     * second or more on a busy machine), and would count as dead time that was not.
     */
    const live = async (url: string) => {
      const headers = await admin(url);
      for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 100))) {
        const [c] = await (await fetch(`${url}/api/cameras`, { headers })).json() as Array<{ id: string; health: { state: string; since: string } }>;
        if (c?.health.state === 'live') return { id: c.id, since: Date.parse(c.health.since) };
      }
      throw new Error('the camera did not go live');
    };

    const first = await startServerProcess(env, output);
    procs.push(first.proc);
    const cameraId = (await live(first.url)).id;
    // The period starts with the camera live, so every unmonitored second in it is the crash's.
    const liveAt = Date.now();
    const from = new Date(liveAt);
    // Let it be live for a few beats, then kill it where no shutdown code can run.
    await new Promise((r) => setTimeout(r, 3000));
    first.proc.kill('SIGKILL');
    await exited(first.proc);
    const killedAt = Date.now();
    // The outage being measured (not a wait for an event): the server stays dead 5 s.
    await new Promise((r) => setTimeout(r, 5000));
    const second = await startServerProcess(env, output);
    procs.push(second.proc);
    const backAt = (await live(second.url)).since;

    const login = await (await fetch(`${second.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vanhanh', password: 'giamsat-demo-2021' }),
    })).json() as { accessToken: string };
    const to = new Date();
    const res = await fetch(`${second.url}/api/reports/uptime?from=${from.toISOString()}&to=${to.toISOString()}`, { headers: { authorization: `Bearer ${login.accessToken}` } });
    assert.equal(res.status, 200);
    const report = await res.json() as { cameras: Array<{ id: string; upMs: number; downMs: number; unmonitoredMs: number; outages: number }> };
    const row = report.cameras.find((c) => c.id === cameraId)!;
    const dead = backAt - killedAt;
    const detail = `${JSON.stringify(row)}; live ${killedAt - liveAt} ms before the kill, dead ${dead} ms`;
    // Unmonitored: at least the dead time less one beat (the beat interval is 1 s).
    assert.ok(row.unmonitoredMs >= dead - 1000, detail);
    // Up: the live time of the two runs (within a beat, and the second run's connect), never the dead time.
    const liveTime = (killedAt - liveAt) + (to.getTime() - backAt);
    assert.ok(row.upMs <= liveTime + 1500, detail);
    assert.ok(row.upMs >= (killedAt - liveAt) - 1500, detail);
    assert.equal(row.outages, 0, 'a server crash is not the camera\'s outage');
    const printed = output.join('');
    assert.match(printed, /the previous run ended without a clean stop/);

    // A clean stop and start: nothing to recover, and the log says nothing of a crash.
    second.proc.kill('SIGTERM');
    await exited(second.proc);
    assert.equal(second.proc.exitCode, 0);
    const before = output.join('').split('without a clean stop').length;
    const third = await startServerProcess(env, output);
    procs.push(third.proc);
    await live(third.url);
    assert.equal(output.join('').split('without a clean stop').length, before, 'a clean stop is not taken for a crash');
    third.proc.kill('SIGTERM');
    await exited(third.proc);
  });
});
