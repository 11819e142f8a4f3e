// A node announces several addresses to viewers (a public one beside a LAN one, IPv4 and IPv6)
// and separate UDP and TCP ports: every transport offers a candidate for each address and
// protocol, and a browser that reaches the node only at the second address still plays, over the
// extra candidate. Real parts: mediasoup's WebRTC server, a GStreamer camera, Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { expectFrames, launchBrowser, openClient } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, openSocket, startTestServer, type TestServer } from '../support/server.js';

type Candidate = { ip: string; port: number; protocol: string; priority: number };

describe('several announced addresses, separate UDP and TCP ports', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let camera: TestCamera;
  const pages: Page[] = [];
  let udpPort: number;
  let tcpPort: number;

  before(async () => {
    // Outside the cameras' range (40000-49999), where ephemeral ports would land.
    udpPort = 39200;
    tcpPort = 39210;
    // 192.0.2.1 (TEST-NET-1) stands for a public address this machine cannot reach; ::1 for IPv6.
    [server, browser, camera] = await Promise.all([
      startTestServer({ media: { workers: 1, webRtcPort: udpPort, webRtcTcpPort: tcpPort, announcedAddresses: ['192.0.2.1', '127.0.0.1', '::1'] } }),
      launchBrowser(),
      startCamera({ width: 320, height: 180, fps: 15 }),
    ]);
  });
  after(async () => {
    for (const p of pages) await p.context().close();
    await browser?.close();
    await server?.stop();
    await camera?.stop();
  });

  test('each transport offers every address over UDP and TCP, on their own ports, ranked in the configured order', async () => {
    const s = await openSocket(server, (await login(server, 'khachsan')).accessToken);
    try {
      const created = await s.timeout(10_000).emitWithAck('createTransport', {});
      assert.equal(created.ok, true, JSON.stringify(created));
      const candidates = (created.data.iceCandidates as Candidate[]).sort((a, b) => b.priority - a.priority);
      assert.deepEqual(candidates.map((c) => `${c.protocol} ${c.ip} ${c.port === udpPort ? 'U' : c.port === tcpPort ? 'T' : c.port}`), [
        `udp 192.0.2.1 U`, `udp 127.0.0.1 U`, `udp ::1 U`, `tcp 192.0.2.1 T`, `tcp 127.0.0.1 T`, `tcp ::1 T`,
      ]);
    } finally {
      s.close();
    }
  });

  test('a browser that reaches only the second address plays over its candidate', async () => {
    // IPv4 only, the first address unreachable: the video can come only through the extra one.
    const second = await startTestServer({ media: { workers: 1, announcedAddresses: ['192.0.2.1', '127.0.0.1'] } });
    try {
      const { json } = await addCamera(second, { name: 'Cổng phụ', mainUrl: camera.url, facilityId: DEMO_IDS.hotel });
      const page = await openClient(browser, `${second.url}/`, await login(second, 'khachsan'));
      pages.push(page);
      await expectFrames(page, json.id, 10, 20_000);
      const path = await page.waitForFunction((id) => document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)?.dataset.path, json.id, { timeout: 5000 });
      assert.equal(await path.jsonValue(), 'direct-udp');
    } finally {
      for (const p of pages.splice(0)) await p.context().close();
      await second.stop();
    }
  });
});
