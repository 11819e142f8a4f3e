// The example plugin of docs/plugins.md (plugins/door-watch), tested the way the document
// says a plugin is tested: the real server with the plugin enabled, a real camera, a client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { PluginEvent } from '../../plugins/sdk/index.js';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

describe('the example plugin (door-watch)', { timeout: 90_000 }, () => {
  let server: TestServer;
  let camera: TestCamera;
  let open: string;
  let privateCam: string;
  let socket: Socket;
  const events: PluginEvent[] = [];

  before(async () => {
    camera = await startCamera({ gop: 25 });
    // Camera ids exist once cameras are added: add them, then start again with the plugin
    // configured for one of them (as an operator would edit the config file).
    const first = await startTestServer();
    open = (await addCamera(first, { name: 'Cổng', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
    privateCam = (await addCamera(first, { name: 'Phòng khám', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
    await first.close();
    server = await startTestServer({ dataDir: first.dataDir, plugins: { 'door-watch': { config: { privateCameras: [privateCam] } } } });
    server.plugins.observer.on('pluginEvent', (e) => {
      events.push(e);
    });
  });
  after(async () => {
    socket?.close();
    await server?.stop();
    await camera?.stop();
  });

  test('views are counted, the private camera is vetoed, an offline camera is recorded', async () => {
    const leader = await login(server, 'khachsan');
    socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token: leader.accessToken } });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const t = await socket.timeout(10_000).emitWithAck('createTransport', {});
    const consume = (cameraId: string) => socket.timeout(15_000).emitWithAck('consume', { transportId: t.data.id, cameraId, rtpCapabilities: server.media.rtpCapabilities });
    assert.equal((await consume(open)).ok, true);
    const refused = await consume(privateCam);
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'NOT_FOUND');

    const res = await fetch(`${server.url}/plugins/door-watch/cameras/${open}/views`, { headers: { authorization: `Bearer ${leader.accessToken}` } });
    assert.deepEqual(await res.json(), { views: 1 });
    await server.audit.drain();
    const denial = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'access.denied', target: `camera:${privateCam}` } });
    assert.deepEqual(denial.details, { reason: 'plugin-veto', plugin: 'door-watch' });

    await waitForHealth(server, open, (h) => h.state === 'live');
    await camera.kill();
    await waitForHealth(server, open, (h) => h.state === 'offline');
    await new Promise<void>((resolve) => {
      const check = () => {
        if (events.some((e) => e.type === 'door.offline' && e.cameraId === open)) {
          server.plugins.observer.off('pluginEvent', check);
          resolve();
        }
      };
      server.plugins.observer.on('pluginEvent', check);
      check();
    });
  });
});
