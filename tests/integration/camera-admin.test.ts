// Cameras administered by people, not a shared token: an installer registers, edits and
// removes cameras only in the facilities they are assigned; a scope administrator in their
// scope; a camera outside any facility is the nation's. Every change is audited with the
// person and the names of the fields changed, never a URL or a password; anything outside
// the caller's standing is "not found".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { apiCall, login, startTestServer, type TestServer, waitForHealth } from '../support/server.js';

describe('camera administration by role', { timeout: 180_000 }, () => {
  let server: TestServer;
  let cam: TestCamera;
  const tokens = new Map<string, string>();
  const SECRET = 'Mat-Khau-Cam-9';

  before(async () => {
    [server, cam] = await Promise.all([startTestServer(), startCamera({ width: 320, height: 180, fps: 10, gop: 10, kbps: 200 })]);
    for (const u of ['kythuat', 'quantri', 'quantri-tw', 'soyte']) tokens.set(u, (await login(server, u)).accessToken);
  });
  after(async () => {
    await cam?.stop();
    await server?.stop();
  });

  const call = (who: string, method: string, url: string, body?: unknown) => apiCall(server, tokens.get(who) ?? who, method, url, body);
  const withSecret = () => cam.url.replace('rtsp://', `rtsp://ky-thuat:${SECRET}@`);
  const userId = async (username: string) => (await server.db.prisma.user.findUniqueOrThrow({ where: { username } })).id;

  test('an installer registers a camera in their facility; it plays; the change is theirs in the audit log', async () => {
    const r = await call('kythuat', 'POST', '/api/cameras', { name: 'Hành lang tầng 2', mainUrl: withSecret(), facilityId: DEMO_IDS.hotel, alwaysOn: true });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.facilityId, DEMO_IDS.hotel);
    await waitForHealth(server, r.json.id, (h) => h.state === 'live', 20_000);
    const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'camera.create', target: `camera:${r.json.id}` } });
    assert.equal(entry.actorId, await userId('kythuat'));
    assert.doesNotMatch(JSON.stringify(entry.details), new RegExp(`${SECRET}|rtsp://`));
    assert.ok(!JSON.stringify(r.json).includes(SECRET), 'the answer carries no URL');
    // Their list holds it (and only what they install).
    const mine = await call('kythuat', 'GET', '/api/cameras');
    assert.deepEqual(mine.json.map((c: { id: string }) => c.id), [r.json.id]);
    assert.ok(!JSON.stringify(mine.json).includes(SECRET));
  });

  test('outside their facilities an installer is told "not found", and nothing is stored', async () => {
    const before = await server.db.prisma.camera.count();
    for (const facilityId of [DEMO_IDS.military, DEMO_IDS.hospitalKonTum, '00000000-0000-4000-8000-0000000000ff', undefined]) {
      const r = await call('kythuat', 'POST', '/api/cameras', { name: `X ${facilityId}`, mainUrl: cam.url, ...(facilityId ? { facilityId } : {}) });
      assert.equal(r.status, 404, String(facilityId));
    }
    const school = await call('quantri', 'POST', '/api/cameras', { name: 'Sân trường', mainUrl: cam.url, facilityId: DEMO_IDS.school });
    assert.equal(school.status, 201, 'a provincial administrator in their province');
    assert.equal((await call('kythuat', 'PATCH', `/api/cameras/${school.json.id}`, { name: 'Đổi tên' })).status, 404);
    assert.equal((await call('kythuat', 'DELETE', `/api/cameras/${school.json.id}`)).status, 404);
    assert.equal((await call('kythuat', 'GET', `/api/cameras/${school.json.id}`)).status, 404);
    assert.equal((await call('quantri', 'POST', '/api/cameras', { name: 'Kon Tum 2', mainUrl: cam.url, facilityId: DEMO_IDS.hospitalKonTum })).status, 404, 'another province');
    assert.equal((await call('quantri', 'POST', '/api/cameras', { name: 'Không cơ sở', mainUrl: cam.url })).status, 404, 'a camera outside facilities is the nation\'s');
    assert.equal((await call('quantri-tw', 'POST', '/api/cameras', { name: 'Không cơ sở', mainUrl: cam.url })).status, 201);
    // A monitor administers nothing; the operator token of old opens nothing.
    assert.equal((await call('soyte', 'GET', '/api/cameras')).status, 404, 'the camera registry is not a monitor\'s route');
    assert.equal((await call('soyte', 'POST', '/api/cameras', { name: 'Y', mainUrl: cam.url, facilityId: DEMO_IDS.hotel })).status, 404);
    assert.equal((await call('test-admin-token-0123456789', 'GET', '/api/cameras')).status, 401);
    assert.equal(await server.db.prisma.camera.count(), before + 2);
  });

  test('edits and removal: audited with the names of the fields changed; a move out of their facilities is refused', async () => {
    const [mine] = (await call('kythuat', 'GET', '/api/cameras')).json;
    const bad = await call('kythuat', 'PATCH', `/api/cameras/${mine.id}`, { mainUrl: 'http://10.0.0.1/x' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /mainUrl/);
    assert.equal((await call('kythuat', 'PATCH', `/api/cameras/${mine.id}`, { facilityId: DEMO_IDS.military })).status, 404);
    const r = await call('kythuat', 'PATCH', `/api/cameras/${mine.id}`, { name: 'Hành lang tầng 2 (mới)', mainUrl: withSecret().replace(SECRET, `${SECRET}x`) });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'camera.update', target: `camera:${mine.id}` }, orderBy: { seq: 'desc' } });
    assert.deepEqual((entry.details as { fields: string[] }).fields, ['mainUrl', 'name']);
    assert.equal(entry.actorId, await userId('kythuat'));
    assert.doesNotMatch(JSON.stringify(entry.details), new RegExp(SECRET));
    assert.equal(server.cameras.record(mine.id).alwaysOn, true, 'a patch changes only what it names');
    assert.equal(server.cameras.record(mine.id).rtspTransport, 'tcp');
    assert.equal((await call('kythuat', 'DELETE', `/api/cameras/${mine.id}`)).status, 204);
    const gone = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'camera.delete', target: `camera:${mine.id}` } });
    assert.equal(gone.actorId, await userId('kythuat'));
    assert.equal(server.cameras.has(mine.id), false);
  });
});
