// Pure functions of the ingest path: what ffmpeg tells us and what we announce to browsers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitReason, ffmpegArgs } from '../../server/media/FfmpegIngest.js';
import { inputVideoCodec } from '../../server/media/ffmpeg-sdp.js';
import { parseVideoSdp } from '../../server/media/sdp.js';
import { chooseAnnouncedProfile } from '../../server/media/h264-profile.js';

const SDP = `SDP:
v=0
o=- 0 0 IN IP4 127.0.0.1
s=No Name
c=IN IP4 127.0.0.1
t=0 0
a=tool:libavformat 59.27.100
m=video 40000 RTP/AVP 101
b=AS:2500
a=rtpmap:101 H264/90000
a=fmtp:101 packetization-mode=1; sprop-parameter-sets=Z2QAH6zZQFAFuhAAAAMAEAAAAwPI8YMZYA==,aOvjyyLA; profile-level-id=64001F
`;

test('parseVideoSdp reads the payload type, encoding, clock rate and fmtp of the video section', () => {
  const d = parseVideoSdp(SDP);
  assert.ok(d);
  assert.equal(d.encoding, 'H264');
  assert.equal(d.payloadType, 101);
  assert.equal(d.clockRate, 90000);
  assert.equal(d.fmtp['packetization-mode'], '1');
  assert.equal(d.fmtp['profile-level-id'], '64001F');
  assert.equal(d.fmtp['sprop-parameter-sets'], 'Z2QAH6zZQFAFuhAAAAMAEAAAAwPI8YMZYA==,aOvjyyLA');
});

test('parseVideoSdp ignores audio sections and answers undefined without video', () => {
  assert.equal(parseVideoSdp('v=0\nm=audio 5000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n'), undefined);
  const both = 'v=0\nm=audio 5000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\nm=video 5002 RTP/AVP 96\na=rtpmap:96 JPEG/90000\n';
  assert.deepEqual(parseVideoSdp(both), { encoding: 'JPEG', payloadType: 96, clockRate: 90000, fmtp: {} });
  assert.equal(parseVideoSdp('m=video 5002 RTP/AVP 96\n'), undefined, 'no rtpmap for the payload type');
});

test('inputVideoCodec names the codec and profile from ffmpeg stream lines', () => {
  assert.deepEqual(inputVideoCodec('  Stream #0:0: Video: h264 (High), yuv420p(progressive), 1280x720, 25 fps'), { codec: 'h264', profile: 'High' });
  assert.deepEqual(inputVideoCodec('  Stream #0:0: Video: hevc (Main), yuv420p(tv), 320x180'), { codec: 'hevc', profile: 'Main' });
  assert.deepEqual(inputVideoCodec('  Stream #0:1: Video: mjpeg, yuvj420p(pc, bt470bg/unknown/unknown), 640x480'), { codec: 'mjpeg' });
  assert.equal(inputVideoCodec('  Stream #0:1: Audio: pcm_mulaw, 8000 Hz, mono'), undefined);
});

test('High and unknown profiles are announced as Constrained Baseline, Main as Main', () => {
  const high = chooseAnnouncedProfile('64001f');
  assert.deepEqual(high, { real: '64001f', realName: 'High', announced: '42e01f', remapped: true });
  assert.equal(chooseAnnouncedProfile('4d0029').announced, '4d001f');
  assert.equal(chooseAnnouncedProfile('4d0029').realName, 'Main');
  const cb = chooseAnnouncedProfile('42e01f');
  assert.equal(cb.realName, 'Constrained Baseline');
  assert.equal(cb.remapped, false);
  const none = chooseAnnouncedProfile(undefined);
  assert.equal(none.realName, 'unknown');
  assert.equal(none.announced, '42e01f');
});

test('ffmpeg copies H.264 with in-band parameter sets, and transcodes at low latency', () => {
  const base = {
    ffmpegPath: 'ffmpeg', url: 'rtsp://cam/x', rtpPort: 1, rtcpPort: 2, localRtpPort: 3, localRtcpPort: 4,
    ssrc: 5, payloadType: 101, transcode: false,
  };
  const copy = ffmpegArgs(base).join(' ');
  assert.match(copy, /-rtsp_transport tcp/);
  assert.match(copy, /-c:v copy -copyinkf -bsf:v dump_extra/);
  assert.doesNotMatch(copy, /libx264/);
  assert.match(copy, /rtp:\/\/127\.0\.0\.1:1\?rtcpport=2&localrtpport=3&localrtcpport=4/);
  const tx = ffmpegArgs({ ...base, transcode: true }).join(' ');
  assert.match(tx, /-c:v libx264 .*-tune zerolatency/);
  assert.match(tx, /-bf 0/);
  assert.match(tx, /repeat-headers=1/);
});

test('exitReason turns ffmpeg\'s last words into a reason a person can act on', () => {
  assert.equal(exitReason(['[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found'], 1, null), 'camera has no stream at that path (404 Not Found)');
  assert.equal(exitReason(['[tcp @ 0x1] Connection to tcp://10.0.0.1:554?timeout=0 failed: Connection refused'], 1, null), 'connection refused by the camera host');
  assert.equal(exitReason(['method DESCRIBE failed: 401 Unauthorized'], 1, null), 'camera refused the credentials (401 Unauthorized)');
  assert.equal(exitReason(['method SETUP failed: 461 Unsupported transport'], 1, null), 'camera answered 461 Unsupported transport');
  assert.equal(exitReason(['rtsp://x: Invalid data found when processing input'], 1, null), 'camera sent data that is not a valid RTSP/RTP stream');
  assert.equal(exitReason([], null, 'SIGKILL'), 'ingest process ended by SIGKILL');
  assert.equal(exitReason(['something odd', ''], 3, null), 'ingest process exited (3): something odd');
  assert.equal(exitReason(['video:14kB audio:0kB subtitle:0kB'], 0, null), 'camera ended the stream');
});
