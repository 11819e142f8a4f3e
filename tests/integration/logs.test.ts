// The server's log as an operator reads it: a separate server process at the most talkative
// level, real HTTP and socket.io traffic. Every line is JSON; API requests carry a request id
// (echoed to the client, or taken from a proxy's X-Request-Id); socket lines carry the socket
// session id; no password, token or camera credential appears anywhere.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { io } from 'socket.io-client';
import { freePort } from '../support/net.js';
import { startServerProcess } from '../support/server-process.js';

describe('structured logs', { timeout: 120_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-logs-'));
  const output: string[] = [];
  let proc: ChildProcess | undefined;
  after(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('JSON lines with request and socket ids, and no secrets', async () => {
    const cameraPassword = 'Cam-Secret-7781';
    const configFile = path.join(dataDir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({
      demoAccounts: true,
      auth: { totp: 'off' },
      cameras: [{ name: 'Unreachable', mainUrl: `rtsp://admin:${cameraPassword}@127.0.0.1:${await freePort()}/x`, alwaysOn: true }],
    }));
    const server = await startServerProcess({
      PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0', MEDIA_WORKERS: '1', GIAMSAT_CONFIG: configFile,
    }, output);
    proc = server.proc;
    const post = (p: string, body: unknown) => fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const password = 'giamsat-demo-2021';
    const signedIn = await (await post('/api/auth/login', { username: 'vanhanh', password })).json();
    assert.ok(signedIn.accessToken);
    assert.equal((await post('/api/auth/login', { username: 'vanhanh', password: 'Wrong-Password-55' })).status, 401);
    const traced = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${signedIn.accessToken}`, 'x-request-id': 'proxy-trace-0042' } });
    assert.equal(traced.status, 200);
    assert.equal(traced.headers.get('x-request-id'), 'proxy-trace-0042', 'a well-formed proxy id is kept and echoed');
    const mine = await fetch(`${server.url}/api/ops/overview?token=${signedIn.refreshToken}`, { headers: { authorization: `Bearer ${signedIn.accessToken}`, 'x-request-id': 'bad id with spaces' } });
    const ownId = mine.headers.get('x-request-id')!;
    assert.match(ownId, /^[0-9a-f-]{36}$/, 'a malformed one is replaced by our own');
    const metricsToken = fs.readFileSync(path.join(dataDir, 'metrics.token'), 'utf8').trim();
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).status, 200);
    const refreshed = await (await post('/api/auth/refresh', { refreshToken: signedIn.refreshToken })).json();

    const socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: refreshed.accessToken } });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const socketId = socket.id!;
    await socket.timeout(5000).emitWithAck('noSuchRequest', {});
    socket.close();

    const exited = new Promise((resolve) => proc!.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;

    const text = output.join('');
    for (const secret of [password, 'Wrong-Password-55', cameraPassword, signedIn.accessToken, signedIn.refreshToken, refreshed.accessToken, refreshed.refreshToken, metricsToken]) {
      assert.ok(!text.includes(secret), `a secret reached the log: ${secret.slice(0, 6)}…`);
    }
    const lines = text.split('\n').filter((l) => l.trim() && !l.includes('is running:'));
    const records = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
    const requests = records.filter((r) => r.ns === 'http' && r.msg === 'request done');
    const byPath = (p: string) => requests.filter((r) => r.req?.path === p);
    assert.equal(byPath('/api/auth/login').length, 2, `both sign-in attempts are logged: ${JSON.stringify(records.filter((r) => r.ns === 'http'))}`);
    assert.ok(requests.every((r) => typeof r.req.id === 'string' && r.req.id.length >= 8 && typeof r.res.status === 'number'), 'every request line has an id and a status');
    assert.equal(byPath('/api/me')[0]?.req.id, 'proxy-trace-0042');
    assert.equal(byPath('/api/ops/overview')[0]?.req.id, ownId);
    assert.equal(byPath('/metrics').length, 0, 'scrapes are not logged');
    const socketLines = records.filter((r) => r.ns === 'signaling' && r.socket === socketId);
    assert.ok(socketLines.length >= 2, `the socket's connection and requests are logged with its id (${socketLines.length})`);
    assert.ok(socketLines.every((r) => typeof r.viewer === 'string'), 'and with the viewer');
  });
});
