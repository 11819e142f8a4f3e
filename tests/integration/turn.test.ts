// Viewers behind firewalls get a TURN server: each media transport carries credentials of the
// viewer's own, minted with the secret the server shares with coturn (the TURN REST API), never
// the secret itself. A real coturn allocates relays with them over UDP, TCP and TLS, and refuses
// a credential past its expiry. A transport whose ICE failed is restarted in place: new ICE
// parameters and fresh credentials, the same transport. Real parts: coturn, Chromium's ICE
// agent, mediasoup, socket.io.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import type { Browser, Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { turnCredentials, type IceServer } from '../../server/signaling/ice-servers.js';
import { launchBrowser } from '../support/browser.js';
import { freePort } from '../support/net.js';
import { login, openSocket, startTestServer, type TestServer } from '../support/server.js';
import { startTurnServer, type TurnServer } from '../support/turn-server.js';

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };
const SECRET = `turn-secret-${'x'.repeat(24)}`;

/** What Chromium's ICE agent gathers through one TURN URL with a credential (relay candidates only). */
async function gatherRelay(page: Page, server: IceServer): Promise<{ relays: Array<{ protocol: string; relayProtocol: string }>; errors: number[] }> {
  return page.evaluate(async (ice) => {
    const pc = new RTCPeerConnection({ iceServers: [ice], iceTransportPolicy: 'relay' });
    const relays: Array<{ protocol: string; relayProtocol: string }> = [];
    const errors: number[] = [];
    pc.addEventListener('icecandidateerror', (e) => errors.push((e as RTCPeerConnectionIceErrorEvent).errorCode));
    const done = new Promise<void>((resolve) => {
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
      setTimeout(resolve, 15_000);
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await done;
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'local-candidate' && s.candidateType === 'relay') relays.push({ protocol: String(s.protocol), relayProtocol: String(s.relayProtocol) });
    });
    pc.close();
    return { relays, errors };
  }, server);
}

describe('TURN for viewers behind firewalls', { timeout: 120_000 }, () => {
  let turn: TurnServer;
  let server: TestServer;
  let browser: Browser;
  const sockets: Socket[] = [];

  before(async () => {
    turn = await startTurnServer({ address: '127.0.0.1', port: await freePort(), tlsPort: await freePort(), secret: SECRET });
    server = await startTestServer({ turn: { urls: turn.urls, secret: SECRET, ttlSeconds: 600 } });
    // The test's TURN server has a self-signed certificate; a deployment's has one for its name.
    browser = await launchBrowser(['--ignore-certificate-errors']);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await browser?.close();
    await server?.stop();
    await turn?.stop();
  });

  test('each transport carries TURN credentials of the viewer\'s own; the secret never leaves the server', async () => {
    const session = await login(server, 'khachsan');
    const accountId = (jwt.decode(session.accessToken) as { sub: string }).sub;
    const s = await openSocket(server, session.accessToken);
    sockets.push(s);
    const before = Math.floor(Date.now() / 1000);
    const created: Ack = await s.timeout(10_000).emitWithAck('createTransport', {});
    assert.equal(created.ok, true, JSON.stringify(created));
    assert.doesNotMatch(JSON.stringify(created), new RegExp(SECRET));
    const [ice] = created.data.iceServers as IceServer[];
    assert.deepEqual(ice!.urls, turn.urls, 'UDP, then TCP, then TLS');
    const [expiry, who] = ice!.username.split(':');
    assert.equal(who, accountId, 'the relay\'s log names the account');
    assert.ok(Number(expiry) >= before + 600 && Number(expiry) <= before + 602, `expires with the configured lifetime: ${expiry}`);

    // ICE restarted in place: new ICE parameters and fresh credentials for the same transport.
    const restarted: Ack = await s.timeout(10_000).emitWithAck('restartIce', { transportId: created.data.id });
    assert.equal(restarted.ok, true, JSON.stringify(restarted));
    assert.notEqual(restarted.data.iceParameters.usernameFragment, created.data.iceParameters.usernameFragment);
    assert.equal(restarted.data.iceServers[0].urls.length, 3);
    const unknown: Ack = await s.timeout(10_000).emitWithAck('restartIce', { transportId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(unknown.error?.code, 'NOT_FOUND', JSON.stringify(unknown));
    const malformed: Ack = await s.timeout(10_000).emitWithAck('restartIce', { transportId: 42 });
    assert.equal(malformed.ok, false);
    const still: Ack = await s.timeout(10_000).emitWithAck('restartIce', { transportId: created.data.id });
    assert.equal(still.ok, true, 'a refused request changed nothing');
  });

  test('coturn relays with a minted credential over UDP, TCP and TLS, and refuses an expired one', async () => {
    const page = await browser.newPage();
    try {
      const [fresh] = turnCredentials({ urls: turn.urls, secret: SECRET, ttlSeconds: 600 }, 'person-1');
      const byUrl = await Promise.all(turn.urls.map((url) => gatherRelay(page, { ...fresh!, urls: [url] })));
      const seen = byUrl.map((r) => r.relays[0]?.relayProtocol);
      console.log(`# relay candidates by URL: ${turn.urls.map((u, i) => `${u} → ${seen[i]}`).join(', ')}`);
      assert.deepEqual(seen, ['udp', 'tcp', 'tls'], JSON.stringify(byUrl));

      // Minted two lifetimes ago: expired. coturn answers 401 and allocates nothing.
      const [expired] = turnCredentials({ urls: turn.urls, secret: SECRET, ttlSeconds: 600 }, 'person-1', Date.now() - 1_200_000);
      const refused = await gatherRelay(page, { ...expired!, urls: [turn.urls[0]!] });
      assert.deepEqual(refused.relays, [], 'no relay with an expired credential');
      assert.ok(refused.errors.includes(401), `refused as unauthorized: ${JSON.stringify(refused.errors)}`);
      // And one made with another secret, likewise.
      const [forged] = turnCredentials({ urls: turn.urls, secret: `${SECRET}-forged`, ttlSeconds: 600 }, 'person-1');
      const forgedTry = await gatherRelay(page, { ...forged!, urls: [turn.urls[0]!] });
      assert.deepEqual(forgedTry.relays, []);
      assert.ok(forgedTry.errors.includes(401), JSON.stringify(forgedTry.errors));
    } finally {
      await page.close();
    }
  });
});
