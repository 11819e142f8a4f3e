// The one ingest decision (server/media/ingest-plan.ts), over every camera option and codec.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterCodec, codecOfEncoding, planIngest, type IngestOptions } from '../../server/media/ingest-plan.js';

const rtsp = (o: Partial<IngestOptions> = {}): IngestOptions => ({ url: 'rtsp://10.0.0.5/main', transcode: 'auto', ingestPath: 'auto', ...o });

test('the plan: the relay for rtsp:// passthrough, ffmpeg for transcoding, rtsps:// or when configured', () => {
  assert.deepEqual(planIngest(rtsp()), { path: 'relay', transcode: false, passH265: false });
  assert.deepEqual(planIngest(rtsp(), 'h264'), { path: 'relay', transcode: false, passH265: false });
  assert.deepEqual(planIngest(rtsp(), 'hevc'), { path: 'ffmpeg', transcode: true, passH265: false }, 'learned: not H.264');
  assert.deepEqual(planIngest(rtsp({ transcode: 'always' })), { path: 'ffmpeg', transcode: true, passH265: false });
  assert.deepEqual(planIngest(rtsp({ transcode: 'never' }), 'hevc'), { path: 'relay', transcode: false, passH265: true });
  assert.deepEqual(planIngest(rtsp({ ingestPath: 'ffmpeg' })), { path: 'ffmpeg', transcode: false, passH265: false });
  assert.deepEqual(planIngest(rtsp({ url: 'rtsps://10.0.0.5/main' })), { path: 'ffmpeg', transcode: false, passH265: false });
});

test('the direct path: asked for, and only where no transcoding is needed', () => {
  assert.deepEqual(planIngest(rtsp({ ingestPath: 'direct' })), { path: 'direct', transcode: false, passH265: false });
  assert.deepEqual(planIngest(rtsp({ ingestPath: 'direct' }), 'hevc'), { path: 'ffmpeg', transcode: true, passH265: false }, 'learned: not H.264');
  assert.deepEqual(planIngest(rtsp({ ingestPath: 'direct', transcode: 'never' }), 'hevc'), { path: 'direct', transcode: false, passH265: true });
  assert.deepEqual(planIngest(rtsp({ ingestPath: 'direct', transcode: 'always' })), { path: 'ffmpeg', transcode: true, passH265: false });
  assert.deepEqual(planIngest(rtsp({ ingestPath: 'direct', url: 'rtsps://10.0.0.5/main' })), { path: 'ffmpeg', transcode: false, passH265: false });
  const never = rtsp({ ingestPath: 'direct', transcode: 'never' });
  assert.deepEqual(afterCodec(never, planIngest(never), 'hevc'), { action: 'keep' }, 'H.265 straight through');
  const direct = rtsp({ ingestPath: 'direct' });
  assert.deepEqual(afterCodec(direct, planIngest(direct), 'mjpeg'), { action: 'switch' });
});

test('after the codec: keep, switch to transcoding, or fail with the reason', () => {
  const o = rtsp();
  assert.deepEqual(afterCodec(o, planIngest(o), 'h264'), { action: 'keep' });
  assert.deepEqual(afterCodec(o, planIngest(o), 'hevc'), { action: 'switch' });
  assert.deepEqual(afterCodec(o, planIngest(o, 'hevc'), 'hevc'), { action: 'keep' }, 'a transcoding run carries anything');
  const never = rtsp({ transcode: 'never' });
  assert.deepEqual(afterCodec(never, planIngest(never), 'hevc'), { action: 'keep' }, 'H.265 through the relay');
  const neverFfmpeg = rtsp({ transcode: 'never', ingestPath: 'ffmpeg' });
  const v = afterCodec(neverFfmpeg, planIngest(neverFfmpeg), 'hevc');
  assert.equal(v.action, 'fail');
  assert.match((v as { reason: string }).reason, /only the RTSP relay or the direct path pass through/);
  const mjpeg = afterCodec(never, planIngest(never), 'mjpeg');
  assert.deepEqual(mjpeg, { action: 'fail', reason: "camera sends MJPEG, which browsers cannot play without transcoding (transcode is 'never')" });
  // Whatever the camera sends, a switch leads to a plan that keeps it.
  for (const codec of ['hevc', 'mjpeg', 'mpeg4']) {
    assert.equal(afterCodec(o, planIngest(o), codec).action, 'switch');
    assert.equal(afterCodec(o, planIngest(o, codec), codec).action, 'keep');
  }
});

test('RTP encoding names map to the codec names ffmpeg reports', () => {
  assert.deepEqual(['H264', 'H265', 'JPEG', 'MP4V-ES', 'VP8'].map(codecOfEncoding), ['h264', 'hevc', 'mjpeg', 'mpeg4', 'vp8']);
});
