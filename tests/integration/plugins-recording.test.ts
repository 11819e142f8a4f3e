// The recording plugin with real parts: a GStreamer High-profile camera, the SFU, a stream
// tap into `ffmpeg -c copy` writing fragmented-MP4 segments. Checked with ffprobe (a real
// demuxer): the camera's own H.264 (no re-encoding), fragmented, about the segment length.
// Listing and playback are authorized and audited; retention keeps the disk budget.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, login, startTestServer, type TestServer } from '../support/server.js';

function probe(file: string): { codec: string; profile: string; duration: number; width: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,profile,width:format=duration', '-of', 'json', file], { encoding: 'utf8' });
  const j = JSON.parse(r.stdout);
  return { codec: j.streams[0].codec_name, profile: j.streams[0].profile, width: j.streams[0].width, duration: Number(j.format.duration) };
}

/** Resolves once `dir` holds `n` segment files (watching the directory: ffmpeg creates each). */
function waitForSegments(dir: string, n: number, timeoutMs = 40_000): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const list = () => fs.readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      watcher.close();
      resolve(list());
    };
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`only ${list().length} of ${n} segments in ${timeoutMs} ms`));
    }, timeoutMs);
    const watcher = fs.watch(dir, () => {
      if (list().length >= n) done();
    });
    if (list().length >= n) done();
  });
}

describe('recording plugin', { timeout: 180_000 }, () => {
  let server: TestServer;
  let camera: TestCamera;
  let cameraId: string;
  let dir: string;

  before(async () => {
    camera = await startCamera({ profile: 'high', width: 640, height: 360, gop: 25 });
    server = await startTestServer({
      plugins: { recording: { config: { cameras: [{ name: 'Phòng cách ly 1' }], segmentSeconds: 2, maxDiskMB: 1000, retentionCheckSeconds: 1 } } },
    });
    cameraId = (await addCamera(server, { name: 'Phòng cách ly 1', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id;
    dir = path.join(server.dataDir, 'plugins', 'recording', cameraId);
  });
  after(async () => {
    await server?.stop();
    await camera?.stop();
  });

  test('segments are the camera\'s own H.264 in fragmented MP4, about the segment length each', async () => {
    const files = await waitForSegments(dir, 3);
    assert.equal(server.cameras.get(cameraId).health.viewers, 1, 'the recorder holds the camera (nobody watches)');
    for (const f of files.slice(0, 2)) { // complete ones: a newer segment exists
      const p = probe(path.join(dir, f));
      assert.equal(p.codec, 'h264');
      assert.equal(p.profile, 'High', 'copied, not re-encoded (our transcoder would make Constrained Baseline)');
      assert.equal(p.width, 640);
      assert.ok(p.duration >= 1.5 && p.duration <= 3.5, `${f}: ${p.duration} s`);
      const head = fs.readFileSync(path.join(dir, f)).subarray(0, 4096).toString('latin1');
      assert.ok(head.includes('moov') && head.includes('mvex'), 'fragmented: an empty moov with mvex first');
      assert.ok(fs.readFileSync(path.join(dir, f)).includes('moof'), 'and movie fragments');
    }
  });

  test('a person who may view lists segments and plays one; access is re-checked and audited', async () => {
    const leader = await login(server, 'khachsan');
    const from = new Date(Date.now() - 600_000).toISOString();
    const res = await fetch(`${server.url}/plugins/recording/cameras/${cameraId}/segments?from=${from}`, { headers: { authorization: `Bearer ${leader.accessToken}` } });
    assert.equal(res.status, 200);
    const list = await res.json();
    assert.ok(list.length >= 2);
    const seg = list.find((s: { complete: boolean }) => s.complete);
    assert.ok(seg, 'a complete segment is listed');
    assert.equal(list.filter((s: { complete: boolean }) => !s.complete).length, 1, 'exactly one being written');
    assert.ok(new Date(seg.end) > new Date(seg.start));

    const play = await fetch(`${server.url}${seg.url}`);
    assert.equal(play.status, 200);
    assert.equal(play.headers.get('content-type'), 'video/mp4');
    const bytes = Buffer.from(await play.arrayBuffer());
    assert.ok(bytes.equals(fs.readFileSync(path.join(dir, seg.name))), 'the file as recorded');
    const ranged = await fetch(`${server.url}${seg.url}`, { headers: { range: 'bytes=0-99' } });
    assert.equal(ranged.status, 206, 'range requests for the video element');
    assert.equal((await ranged.arrayBuffer()).byteLength, 100);

    // The ticket is for this segment only, and is signed.
    const other = list.find((s: { name: string }) => s.name !== seg.name);
    assert.equal((await fetch(`${server.url}/plugins/recording/play/${cameraId}/${other.name}?${new URL(seg.url, server.url).search.slice(1)}`)).status, 403);
    assert.equal((await fetch(`${server.url}/plugins/recording/play/${cameraId}/${seg.name}?ticket=forged.ticket.value`)).status, 401);
    assert.equal((await fetch(`${server.url}/plugins/recording/play/${cameraId}/${seg.name}`)).status, 401);

    // Someone the policy refuses sees nothing.
    const denied = await login(server, 'soyte-chan');
    assert.equal((await fetch(`${server.url}/plugins/recording/cameras/${cameraId}/segments?from=${from}`, { headers: { authorization: `Bearer ${denied.accessToken}` } })).status, 404);
    const bad = await fetch(`${server.url}/plugins/recording/cameras/${cameraId}/segments?from=yesterday`, { headers: { authorization: `Bearer ${leader.accessToken}` } });
    assert.equal(bad.status, 400);

    // The leader's access ends: the ticket they hold stops working at once.
    const assignment = await server.db.prisma.roleAssignment.findFirstOrThrow({ where: { userId: leader.userId } });
    await server.db.prisma.roleAssignment.update({ where: { id: assignment.id }, data: { revokedAt: new Date() } });
    server.access.decisions.invalidate(leader.userId);
    assert.equal((await fetch(`${server.url}${seg.url}`)).status, 404);
    await server.db.prisma.roleAssignment.update({ where: { id: assignment.id }, data: { revokedAt: null } });
    server.access.decisions.invalidate(leader.userId);

    await server.audit.drain();
    const served = await server.db.prisma.auditEntry.findMany({ where: { action: 'media.access', actorId: leader.userId } });
    assert.ok(served.length >= 2);
    const details = served[0]!.details as Record<string, string>;
    assert.deepEqual({ ...details, recordedTo: undefined }, { purpose: 'recording', segment: seg.name, recordedFrom: seg.start, recordedTo: undefined });
    assert.ok(new Date(details.recordedTo!) >= new Date(seg.end), 'the segment\'s end (its last write)');

    // The leak investigation finds the playback by the moment it shows, not the moment it was played.
    const moment = new Date((new Date(seg.start).getTime() + new Date(seg.end).getTime()) / 2).toISOString();
    const admin = await login(server, 'quantri');
    const inv = await fetch(`${server.url}/api/investigation/cameras/${cameraId}?from=${moment}&to=${moment}`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    assert.equal(inv.status, 200);
    const rows = (await inv.json()).rows as Array<{ kind: string; person: { username: string; phone: string }; recordedFrom: string }>;
    const played = rows.filter((r) => r.kind === 'recording' && r.person.username === 'khachsan');
    assert.ok(played.length >= 1, JSON.stringify(rows));
    assert.equal(played[0]!.recordedFrom, seg.start);
    assert.ok(played[0]!.person.phone, 'with the person\'s phone');
  });
});

describe('recording retention', { timeout: 120_000 }, () => {
  let server: TestServer;
  let camera: TestCamera;
  after(async () => {
    await server?.stop();
    await camera?.stop();
  });

  test('the disk budget removes the oldest segments and never the one being written', async () => {
    camera = await startCamera({ width: 640, height: 360, gop: 25, kbps: 800 });
    // 0.3 MB: about three 2-second segments at 800 kbit/s.
    server = await startTestServer({ plugins: { recording: { config: { cameras: [{ name: 'Ngân sách' }], segmentSeconds: 2, maxDiskMB: 0.3, retentionCheckSeconds: 1 } } } });
    const id = (await addCamera(server, { name: 'Ngân sách', mainUrl: camera.url })).json.id;
    const dir = path.join(server.dataDir, 'plugins', 'recording', id);
    const seen = new Set<string>();
    fs.mkdirSync(dir, { recursive: true });
    // Watch names appear and disappear until the first ones are gone.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no segment removed; seen ${[...seen].join(', ')}`)), 60_000);
      const watcher = fs.watch(dir, () => {
        const now = fs.readdirSync(dir).filter((f) => f.endsWith('.mp4'));
        for (const f of now) seen.add(f);
        const first = [...seen].sort()[0];
        if (seen.size >= 4 && first && !now.includes(first)) {
          clearTimeout(timer);
          watcher.close();
          resolve();
        }
      });
    });
    const left = fs.readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort();
    const total = left.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    assert.ok(left.length >= 1, 'the segment being written stays');
    assert.ok(left.at(-1)! >= [...seen].sort().at(-1)!, 'the newest is kept');
    assert.ok(total <= 0.3 * 1024 * 1024 + 400_000, `within the budget (plus the segment being written): ${total} bytes`);
  });
});
