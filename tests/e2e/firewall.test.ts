// A viewer behind a firewall that lets only TCP 443 through: the server and coturn in one network
// namespace (scripts/cluster-netns.sh), Chromium in another, on a bridge with this host (where
// the camera is). nftables in the server's namespace drops everything the browser sends over UDP,
// and over TCP to any port but 443: the page (served on 443), and coturn's TLS listener (443, on
// a second address). The wall plays through TURNS on 443, and its overlay says so; the firewall's
// counters show that the direct paths and TURN over UDP and TCP were tried and dropped. With the
// firewall gone, a new page plays directly over UDP; cutting every media path under it makes the
// page restart ICE on the same transport, and the same track plays on once the path returns.
// Real parts: a server process and coturn in a namespace, nftables, mediasoup, a GStreamer
// camera, Chromium in a namespace.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { ARTIFACTS, CHROMIUM, expectFrames, launchBrowser, openClient, screenshot, tileStates } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { startServerProcess } from '../support/server-process.js';
import { apiCall, login } from '../support/server.js';
import { startTurnServer, type TurnServer } from '../support/turn-server.js';
import { until } from '../support/until.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/cluster-netns.sh');
const NAME = 'gsfw';
const SUBNET = 83;
const GATEWAY = `10.${SUBNET}.0.1`;
const SERVER_IP = `10.${SUBNET}.0.10`;
const BROWSER_IP = `10.${SUBNET}.0.11`;
const TURN_IP = `10.${SUBNET}.0.20`;
const SECRET = 'firewall-test-turn-secret-0123456789';
const netns = (...args: string[]) => execFileSync(SCRIPT, args, { encoding: 'utf8' });
const inServerNs = (command: string, args: string[], input?: string) =>
  execFileSync('ip', ['netns', 'exec', `${NAME}-srv`, command, ...args], { encoding: 'utf8', ...(input ? { input } : {}) });

/** Drops, from the browser's address, all UDP and all TCP but port 443; each rule counts what it dropped. */
const FIREWALL = `table inet giamsat_fw {
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr ${BROWSER_IP} meta l4proto udp counter drop comment "udp"
    ip saddr ${BROWSER_IP} tcp dport != 443 counter drop comment "tcp"
  }
}`;

describe('a viewer whose network allows only TCP 443', { timeout: 240_000 }, () => {
  let camera: TestCamera;
  let turn: TurnServer;
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  const output: string[] = [];
  const pages: Page[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-fw-'));
  const url = `http://${SERVER_IP}:443`;
  let cameraId: string;

  before(async () => {
    netns('down', NAME, 'srv', 'cli');
    netns('up', NAME, String(SUBNET), 'srv', 'cli');
    execFileSync('ip', ['-n', `${NAME}-srv`, 'addr', 'add', `${TURN_IP}/24`, 'dev', 'eth0']);
    const wrap = ['ip', 'netns', 'exec', `${NAME}-srv`];
    [camera, turn] = await Promise.all([
      startCamera({ width: 320, height: 180, fps: 15, gop: 30, address: GATEWAY }),
      startTurnServer({ address: TURN_IP, port: 3478, tlsPort: 443, secret: SECRET, wrap }),
    ]);
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({ demoAccounts: true, auth: { totp: 'off' } }));
    server = (await startServerProcess({
      PORT: '443', HOST: SERVER_IP, DATA_DIR: dir, GIAMSAT_CONFIG: configFile, DEMO: '0', MEDIA_WORKERS: '1', LOG_LEVEL: 'info',
      MEDIA_ANNOUNCED_IP: SERVER_IP, MEDIA_LISTEN_IP: SERVER_IP, WEBRTC_PORT: '39100',
      TURN_URLS: turn.urls.join(','), TURN_SECRET: SECRET,
    }, output, wrap)).proc;
    const admin = (await login({ url }, 'quantri-tw')).accessToken;
    const added = await apiCall({ url }, admin, 'POST', '/api/cameras', { name: 'Cổng khu cách ly', mainUrl: camera.url, facilityId: DEMO_IDS.hotel });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    cameraId = added.json.id;
    // Chromium in the browser's namespace (playwright drives it over pipes, which cross namespaces).
    const launcher = path.join(dir, 'chromium-in-netns.sh');
    fs.writeFileSync(launcher, `#!/bin/sh\nexec ip netns exec ${NAME}-cli ${CHROMIUM} "$@"\n`, { mode: 0o755 });
    // The page is plain HTTP on another address (treated as secure, as HTTPS would be); the test
    // coturn's certificate is self-signed (a deployment's is for its TURN name).
    browser = await launchBrowser([`--unsafely-treat-insecure-origin-as-secure=${url}`, '--ignore-certificate-errors'], launcher);
  });
  after(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'firewall-server.log'), output.join(''));
    fs.writeFileSync(path.join(ARTIFACTS, 'firewall-turn.log'), turn?.output.join('') ?? '');
    for (const p of pages) await p.context().close().catch(() => undefined);
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await turn?.stop();
    await camera?.stop();
    netns('down', NAME, 'srv', 'cli');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the wall as the hotel's leader and waits for the camera's frames; the path its tile names. */
  const watch = async (shot: string): Promise<{ path?: string; text: string }> => {
    const page = await openClient(browser!, `${url}/`, await login({ url }, 'khachsan'));
    pages.push(page);
    await expectFrames(page, cameraId, 10, 45_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; tiles: ${await tileStates(page)}; the server said:\n${output.join('').split('\n').filter((l) => /"level":(40|50)|ICE|transport/i.test(l)).slice(-10).join('\n')}`);
    });
    const tile = `.tile[data-camera-id="${cameraId}"]`;
    await page.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)?.dataset.path !== undefined, tile, { timeout: 5000 });
    // The figures (the path among them) show when the person asks for them.
    await page.getByRole('button', { name: 'Thông số' }).click();
    await screenshot(page, shot);
    return page.evaluate((sel) => {
      const el = document.querySelector<HTMLElement>(sel)!;
      return { path: el.dataset.path, text: el.querySelector('.stats')!.textContent ?? '' };
    }, tile);
  };

  test('with only TCP 443 open, the wall plays through TURNS on 443, and the overlay says so', async () => {
    inServerNs('nft', ['-f', '-'], FIREWALL);
    let rules: Array<{ rule?: { comment?: string; expr: Array<{ counter?: { packets: number } }> } }>;
    let shown: { path?: string; text: string };
    try {
      shown = await watch('firewall-turns-443');
      rules = JSON.parse(inServerNs('nft', ['-j', 'list', 'table', 'inet', 'giamsat_fw'])).nftables;
    } finally {
      inServerNs('nft', ['delete', 'table', 'inet', 'giamsat_fw']);
      await pages.pop()?.context().close();
    }
    assert.equal(shown.path, 'relay-tls');
    assert.ok(shown.text.includes('qua TURN tls'), `the overlay names the path: "${shown.text}"`);
    // The browser did try the other paths: the firewall dropped its UDP (direct and TURN) and its
    // TCP to the media port and to TURN's 3478.
    const dropped = Object.fromEntries(rules.filter((r) => r.rule).map((r) => [r.rule!.comment, r.rule!.expr.find((e) => e.counter)!.counter!.packets]));
    console.log(`# only TCP 443: path ${shown.path}; the firewall dropped ${dropped.udp} UDP and ${dropped.tcp} TCP packets from the browser`);
    assert.ok(dropped.udp! > 0 && dropped.tcp! > 0, JSON.stringify(dropped));
  });

  // Each path works when the ones before it are blocked (docs/firewalls.md), each case a new
  // page. The paths after it are blocked too: which of two working paths Chromium keeps is its
  // own choice (it ranks them in this order, but may stay on a relay that answered first).
  const B = `ip saddr ${BROWSER_IP}`;
  for (const [name, rules, expected] of [
    ['UDP blocked: direct TCP', [`${B} meta l4proto udp drop`, `${B} ip daddr ${TURN_IP} drop`], 'direct-tcp'],
    ['the server\'s own ports blocked: TURN over UDP', [`${B} ip daddr ${SERVER_IP} tcp dport 39100 drop`, `${B} ip daddr ${SERVER_IP} udp dport 39100 drop`, `${B} ip daddr ${TURN_IP} meta l4proto tcp drop`], 'relay-udp'],
    ['UDP and the server\'s ports blocked: TURN over TCP', [`${B} meta l4proto udp drop`, `${B} tcp dport 39100 drop`, `${B} ip daddr ${TURN_IP} tcp dport 443 drop`], 'relay-tcp'],
  ] as const) {
    test(`falls back in order: ${name}`, async () => {
      inServerNs('nft', ['-f', '-'], `table inet giamsat_case {\n  chain input {\n    type filter hook input priority 0; policy accept;\n${rules.map((r) => `    ${r}`).join('\n')}\n  }\n}`);
      try {
        const shown = await watch(`firewall-${expected}`);
        // ICE may start on a pair that answered first and move to the better one moments later.
        const settled = await pages.at(-1)!.waitForFunction(([sel, want]) => document.querySelector<HTMLElement>(sel!)?.dataset.path === want, [`.tile[data-camera-id="${cameraId}"]`, expected] as const, { timeout: 8000 })
          .then(() => expected as string, () => shown.path);
        console.log(`# ${name}: path ${shown.path}${settled !== shown.path ? `, then ${settled}` : ''}`);
        assert.equal(settled, expected);
      } finally {
        inServerNs('nft', ['delete', 'table', 'inet', 'giamsat_case']);
        await pages.pop()?.context().close();
      }
    });
  }

  test('with UDP allowed, the wall plays directly over UDP', async () => {
    const shown = await watch('firewall-direct-udp');
    console.log(`# no firewall: path ${shown.path}`);
    assert.equal(shown.path, 'direct-udp');
    assert.ok(shown.text.includes('trực tiếp udp'), `the overlay names the path: "${shown.text}"`);
  });

  test('when every media path fails under a playing page, ICE is restarted on the same transport and the same track plays on', async () => {
    const page = pages.at(-1)!;
    const video = `.tile[data-camera-id="${cameraId}"] video`;
    const trackId = () => page.evaluate((sel) => (document.querySelector<HTMLVideoElement>(sel)?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id, video);
    const before = await trackId();
    assert.ok(before, 'the tile plays a track');
    // Media only: all UDP, TCP to the WebRTC port, anything to TURN. The page and its signaling
    // (TCP 443 of the server's address) stay open, as on a network whose media path broke.
    inServerNs('nft', ['-f', '-'], `table inet giamsat_cut {
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr ${BROWSER_IP} meta l4proto udp drop
    ip saddr ${BROWSER_IP} tcp dport 39100 drop
    ip saddr ${BROWSER_IP} ip daddr ${TURN_IP} drop
  }
}`);
    const cutAt = Date.now();
    const restarts = () => output.join('').split('\n').filter((l) => l.includes('ICE restarted')).length;
    try {
      await until('the page to restart ICE', () => restarts() > 0, 90_000, 100);
    } finally {
      inServerNs('nft', ['delete', 'table', 'inet', 'giamsat_cut']);
    }
    const restartedAfter = Date.now() - cutAt;
    const t0 = Date.now();
    await expectFrames(page, cameraId, 10, 30_000);
    console.log(`# media cut under a playing page: ICE restarted ${restartedAfter} ms later; frames again ${Date.now() - t0} ms after the path came back`);
    assert.equal(await trackId(), before, 'the same consumer\'s track: no new transport, no new subscription');
    assert.equal(restarts(), 1);
  });
});
