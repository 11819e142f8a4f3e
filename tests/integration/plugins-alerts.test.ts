// The camera-alerts plugin with real parts: a GStreamer camera process killed and restarted,
// the server's ingest noticing, and a real local HTTP receiver that refuses the first
// delivery. One signed "camera.down" and one "camera.recovered" per outage, retried under one
// delivery id; a short blip stays silent.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { signature } from '../../plugins/camera-alerts/index.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, startTestServer, waitForHealth, type TestServer } from '../support/server.js';

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

const SECRET = 'alert-secret-for-tests-0123456789';
const THRESHOLD_S = 2;

describe('camera-alerts plugin', { timeout: 120_000 }, () => {
  let receiver: http.Server;
  const deliveries: Delivery[] = [];
  const arrivals = new EventEmitter();
  let server: TestServer;
  let camera: TestCamera;
  let cameraId: string;

  before(async () => {
    // Refuses the first request (500), accepts the rest: the plugin must retry.
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const status = deliveries.length === 0 ? 500 : 200;
        deliveries.push({ headers: req.headers, body, status });
        res.writeHead(status).end();
        arrivals.emit('delivery');
      });
    }).listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    camera = await startCamera({ gop: 25 });
    server = await startTestServer({
      ingest: { backoffInitialMs: 200, backoffMaxMs: 500 },
      plugins: { 'camera-alerts': { config: { webhookUrl: url, secret: SECRET, thresholdSeconds: THRESHOLD_S, retry: { attempts: 5, initialMs: 200, maxMs: 1000 } } } },
    });
    cameraId = (await addCamera(server, { name: 'Cổng chính', mainUrl: camera.url, alwaysOn: true })).json.id;
    await waitForHealth(server, cameraId, (h) => h.state === 'live');
  });
  after(async () => {
    await server?.stop();
    await camera?.stop();
    receiver?.close();
  });

  const accepted = (type: string) => deliveries.filter((d) => d.status === 200 && d.headers['x-giamsat-event'] === type);
  const waitForAccepted = async (type: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (accepted(type).length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no accepted ${type}; got ${JSON.stringify(deliveries.map((d) => [d.headers['x-giamsat-event'], d.status]))}`);
      await Promise.race([once(arrivals, 'delivery'), new Promise((r) => setTimeout(r, left))]);
    }
    return accepted(type)[0]!;
  };

  test('a blip shorter than the threshold sends nothing', async () => {
    camera.dropClients();
    await waitForHealth(server, cameraId, (h) => h.state !== 'live', 5000);
    const down = Date.now();
    await waitForHealth(server, cameraId, (h) => h.state === 'live', 10_000);
    assert.ok(Date.now() - down < THRESHOLD_S * 1000, 'the camera was back within the threshold');
    // Nothing signals "no alert": wait past the threshold, measured from the failure.
    await new Promise((r) => setTimeout(r, THRESHOLD_S * 1000 + 500 - (Date.now() - down)));
    assert.equal(deliveries.length, 0);
  });

  test('a killed camera: one signed camera.down after the threshold, retried until accepted; one camera.recovered', async () => {
    await camera.kill();
    const killedAt = Date.now();
    const down = await waitForAccepted('camera.down');
    const alertDelay = Date.now() - killedAt;
    assert.ok(alertDelay >= THRESHOLD_S * 1000 - 100, `not before the threshold (${alertDelay} ms)`);
    const tries = deliveries.filter((d) => d.headers['x-giamsat-event'] === 'camera.down');
    assert.equal(tries.length, 2, 'refused once, then accepted');
    assert.equal(tries[0]!.headers['x-giamsat-delivery'], tries[1]!.headers['x-giamsat-delivery'], 'a retry keeps its delivery id');
    assert.equal(tries[0]!.body, tries[1]!.body);
    const ts = String(down.headers['x-giamsat-timestamp']);
    assert.equal(down.headers['x-giamsat-signature'], signature(SECRET, ts, down.body), 'signed with the shared secret');
    assert.notEqual(down.headers['x-giamsat-signature'], signature('another-secret-0000000000', ts, down.body));
    const alert = JSON.parse(down.body);
    assert.equal(alert.type, 'camera.down');
    assert.deepEqual(alert.camera, { id: cameraId, name: 'Cổng chính', facilityId: null });
    assert.ok(alert.reason, 'the failure reason is given');

    await camera.restart();
    const recovered = JSON.parse((await waitForAccepted('camera.recovered', 30_000)).body);
    assert.equal(recovered.incidentId, alert.incidentId, 'the same incident');
    assert.ok(recovered.downSeconds >= THRESHOLD_S, `down ${recovered.downSeconds} s`);
    assert.equal(accepted('camera.down').length, 1, 'no duplicate alert for one incident');
    assert.equal(accepted('camera.recovered').length, 1);

    const events = await server.db.prisma.pluginEvent.findMany({ where: { plugin: 'camera-alerts', cameraId }, orderBy: { at: 'asc' } });
    assert.deepEqual(events.map((e) => e.type), ['camera.down', 'camera.recovered'], 'both recorded');
    assert.equal(server.plugins.list().find((p) => p.name === 'camera-alerts')?.errors, 0);
  });
});
