// The relay's pure parts: Digest authentication (RFC 2617's own example), RTSP head parsing,
// RTP header lengths, H.264 and H.265 unit detection, parameter-set packets, abs-capture-time, RTCP,
// the GOP cache and the fast-start replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorizationFor, parseChallenges } from '../../server/media/rtsp/rtsp-auth.js';
import { parseHead, splitCredentials } from '../../server/media/rtsp/RtspConnection.js';
import {
  h264Units, MAX_NACKED_SEQS, msFromNtp, ntpFromMs, parameterSetPacket, pliPacket, readRtcp, rewrite, rtpHeaderLength, senderClockMs, senderReport, sequenceNumber,
  spropParameterSets, ssrc, withAbsCaptureTime,
} from '../../server/media/rtp/rtp.js';
import { resolveControl, sessionControl } from '../../server/media/sdp.js';
import { H264, H265, nalCodec } from '../../server/media/rtp/nal-codec.js';
import { FAST_START_RESEND_HISTORY, FastStartFeed, GopCache } from '../../server/media/FastStart.js';
import { findBySeq } from '../../server/media/rtp/RtpForwarder.js';

test('Digest authentication reproduces RFC 2617\'s example; Basic is user:password in base64', () => {
  const [c] = parseChallenges(['Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"']);
  assert.equal(c!.scheme, 'digest');
  const h = authorizationFor(c!, 'GET', '/dir/index.html', 'Mufasa', 'Circle Of Life', 1, '0a4f113b');
  assert.match(h, /response="6629fae49393a05397450978507c4ef1"/);
  assert.match(h, /nc=00000001/);
  assert.match(h, /opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
  const [b] = parseChallenges(['Basic realm="cam"']);
  assert.equal(authorizationFor(b!, 'DESCRIBE', 'rtsp://x/', 'viewer', 's3cret', 1), `Basic ${Buffer.from('viewer:s3cret').toString('base64')}`);
  assert.deepEqual(parseChallenges(['Negotiate abc', '']), []);
});

test('credentials leave the request URL; heads parse strictly', () => {
  assert.deepEqual(splitCredentials('rtsp://op%40x:p%3Ass@10.0.0.5:554/s1'), { url: 'rtsp://10.0.0.5:554/s1', username: 'op@x', password: 'p:ss' });
  const r = parseHead('RTSP/1.0 200 OK\r\nCSeq: 3\r\nWWW-Authenticate: Basic realm="a"\r\nWWW-Authenticate: Digest realm="a", nonce="n"');
  assert.equal(r?.kind, 'response');
  assert.equal(r?.status, 200);
  assert.equal(r?.headers.get('www-authenticate')?.length, 2);
  assert.equal(parseHead('HTTP/1.1 200 OK\r\nA: b'), undefined);
  assert.equal(parseHead('RTSP/1.0 200 OK\r\nno colon here'), undefined);
  assert.equal(parseHead('ANNOUNCE rtsp://x/ RTSP/1.0\r\nCSeq: 1')?.kind, 'request');
});

test('control URLs resolve against the base as RFC 2326 says', () => {
  assert.equal(resolveControl('rtsp://h/cam/', 'stream=0'), 'rtsp://h/cam/stream=0');
  assert.equal(resolveControl('rtsp://h/cam', 'trackID=1'), 'rtsp://h/cam/trackID=1');
  assert.equal(resolveControl('rtsp://h/cam', '*'), 'rtsp://h/cam');
  assert.equal(resolveControl('rtsp://h/cam', 'rtsp://other/x'), 'rtsp://other/x');
  assert.equal(sessionControl('v=0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=control:t1\r\n'), '*');
});

function rtp(payload: number[], opts: { csrc?: number; ext?: boolean; seq?: number } = {}): Buffer {
  const cc = opts.csrc ?? 0;
  const ext = opts.ext ? Buffer.from([0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]) : Buffer.alloc(0);
  const head = Buffer.alloc(12 + cc * 4);
  head[0] = 0x80 | (opts.ext ? 0x10 : 0) | cc;
  head[1] = 96;
  head.writeUInt16BE(opts.seq ?? 1, 2);
  head.writeUInt32BE(90000, 4);
  head.writeUInt32BE(0xcafe, 8);
  return Buffer.concat([head, ext, Buffer.from(payload)]);
}

test('RTP header lengths count CSRCs and extensions, and refuse what is not RTP', () => {
  assert.equal(rtpHeaderLength(rtp([0x65])), 12);
  assert.equal(rtpHeaderLength(rtp([0x65], { csrc: 2 })), 20);
  assert.equal(rtpHeaderLength(rtp([0x65], { ext: true })), 20);
  assert.equal(rtpHeaderLength(Buffer.from('not rtp at all')), undefined);
  const lying = rtp([0x65], { ext: true });
  lying.writeUInt16BE(200, 14); // extension longer than the packet
  assert.equal(rtpHeaderLength(lying), undefined);
});

test('H.264 units: IDR starts in single NALs, STAP-A and FU-A; SPS/PPS found without copies', () => {
  assert.equal(h264Units(Buffer.from([0x65, 1])).idrStart, true);
  assert.equal(h264Units(Buffer.from([0x41, 1])).idrStart, false);
  assert.equal(h264Units(Buffer.from([0x7c, 0x85, 1])).idrStart, true, 'FU-A start of an IDR');
  assert.equal(h264Units(Buffer.from([0x7c, 0x05, 1])).idrStart, false, 'FU-A continuation');
  const stap = Buffer.from([0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce, 0, 2, 0x65, 0x88]);
  const u = h264Units(stap);
  assert.equal(u.idrStart, true);
  assert.deepEqual([...u.sps!], [0x67, 0x42]);
  assert.deepEqual([...u.pps!], [0x68, 0xce]);
  assert.equal(h264Units(Buffer.from([0x78, 0, 99, 0x67])).sps, undefined, 'a STAP-A size past the end is ignored');
  const sets = spropParameterSets('Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==');
  assert.equal(sets.sps![0]! & 0x1f, 7);
  assert.equal(sets.pps![0]! & 0x1f, 8);
  const idr = rtp([0x65, 0x88], { seq: 10 });
  const p = parameterSetPacket(sets.sps!, sets.pps!, idr);
  assert.equal(rtpHeaderLength(p), 12);
  assert.equal(p.readUInt32BE(4), 90000, 'same timestamp as the IDR');
  assert.equal(p[1]! & 0x80, 0, 'no marker');
  const inside = h264Units(p.subarray(12));
  assert.ok(inside.sps?.equals(sets.sps!) && inside.pps?.equals(sets.pps!));
  rewrite(p, 0x1234, 101, 65536 + 7);
  assert.equal(ssrc(p), 0x1234);
  assert.equal(p[1]! & 0x7f, 101);
  assert.equal(sequenceNumber(p), 7, 'sequence numbers wrap');
});

test('abs-capture-time carries the NTP capture time in a one-byte extension', () => {
  const ms = 1_795_380_000_123.5;
  assert.ok(Math.abs(msFromNtp(ntpFromMs(ms)) - ms) < 0.001);
  const p = rtp([0x65, 0x88]);
  const q = withAbsCaptureTime(p, 12, 3, ntpFromMs(ms));
  assert.equal(rtpHeaderLength(q), 28);
  assert.equal(q.readUInt16BE(12), 0xbede);
  assert.equal(q[16]! >> 4, 3);
  assert.ok(Math.abs(msFromNtp(q.readBigUInt64BE(17)) - ms) < 0.001);
  assert.deepEqual([...q.subarray(28)], [0x65, 0x88], 'payload intact');
  // A sender report's clock: NTP 0 (no wallclock, RFC 3550 6.4.1) and times before 2000 are none.
  assert.equal(senderClockMs(0n), undefined);
  assert.equal(senderClockMs(1n << 32n), undefined);
  assert.equal(senderClockMs(ntpFromMs(Date.UTC(1999, 11, 31))), undefined);
  assert.ok(Math.abs(senderClockMs(ntpFromMs(ms))! - ms) < 0.001);
});

test('RTCP: sender reports and keyframe requests are read; PLI and SR are written', () => {
  const sr = senderReport(0xabc, { ssrc: 0, ntp: ntpFromMs(1000), rtpTimestamp: 42 }, 5, 500);
  assert.deepEqual(readRtcp(sr).senderReport, { ssrc: 0xabc, ntp: ntpFromMs(1000), rtpTimestamp: 42 });
  assert.equal(readRtcp(pliPacket(1, 2)).keyframeRequest, true);
  assert.equal(readRtcp(sr).keyframeRequest, false);
  assert.deepEqual(readRtcp(Buffer.from([0x80, 200, 0xff, 0xff])), { keyframeRequest: false }, 'a length past the end is ignored');
});

test('the GOP cache starts at the IDR access unit (parameter sets included) and drops what came before', () => {
  const pkt = (ts: number, nal: number) => {
    const p = Buffer.alloc(14);
    p[0] = 0x80; p[1] = 96; p.writeUInt32BE(ts, 4); p[12] = nal;
    return p;
  };
  const gop = new GopCache();
  gop.add(pkt(1, 0x41), false);
  assert.equal(gop.packets.length, 0, 'nothing decodable before the first IDR');
  const sets = pkt(2, 0x78);
  gop.add(sets, false); // STAP-A with SPS/PPS, same access unit as the IDR
  gop.add(pkt(2, 0x65), true);
  gop.add(pkt(2, 0x65), true); // a second slice of the same IDR
  gop.add(pkt(3, 0x41), false);
  assert.deepEqual(gop.packets.map((p) => p.readUInt32BE(4)), [2, 2, 2, 3]);
  assert.ok(gop.packets[0]!.equals(sets));
  // A packet read over RTSP/TCP is a view into a large read buffer: the cache keeps a copy of
  // its own size, so the cap counts what is really held.
  const readBuffer = Buffer.alloc(65_536);
  const view = readBuffer.subarray(100, 114);
  pkt(3, 0x41).copy(view);
  gop.add(view, false);
  const kept = gop.packets.at(-1)!;
  assert.ok(kept.equals(view));
  assert.equal(kept.buffer.byteLength, 14, 'the 64 KB read buffer is not retained');
  readBuffer.fill(0);
  assert.equal(kept[12], 0x41, 'the copy does not change when the read buffer is reused');
  gop.add(pkt(4, 0x78), false);
  gop.add(pkt(4, 0x65), true);
  assert.deepEqual(gop.packets.map((p) => p.readUInt32BE(4)), [4, 4], 'a new IDR starts a new GOP');
});

test('a fast-start feed replays the GOP with compressed timestamps, then live packets in order', async () => {
  const pkt = (ts: number, seq: number) => {
    const p = Buffer.alloc(13);
    p[0] = 0x80; p[1] = 96; p.writeUInt16BE(seq, 2); p.writeUInt32BE(ts, 4); p.writeUInt32BE(1, 8);
    return p;
  };
  const sent: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    const feed = new FastStartFeed(0xfeed, 100, (p) => { sent.push(p); if (sent.length === 203) resolve(); });
    const cached = Array.from({ length: 200 }, (_, i) => pkt(90000 + Math.floor(i / 4) * 3600, i)); // 50 frames, 40 ms apart
    feed.live(pkt(999, 0)); // arrived before the replay began: held back
    feed.start(cached);
    feed.live(pkt(90000 + 50 * 3600, 200));
    feed.live(pkt(90000 + 50 * 3600, 201));
  });
  await done;
  assert.ok(sent.every((p) => ssrc(p) === 0xfeed && (p[1]! & 0x7f) === 100));
  const seqs = sent.map(sequenceNumber);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1]! + 1) & 0xffff, 'consecutive sequence numbers');
  const ts = sent.slice(0, 200).map((p) => p.readUInt32BE(4));
  const last = 90000 + 49 * 3600;
  assert.equal(ts[0], last - 49 * 90, 'the first cached frame is 49 ms (1 ms per frame) before the last');
  assert.equal(ts[199], last, 'the last cached frame keeps its timestamp');
  assert.equal(sent[200]!.readUInt32BE(4), 999, 'then what arrived meanwhile, unchanged');
});

test('generic NACKs are read as the sequence numbers they ask for, at most MAX_NACKED_SEQS per packet', () => {
  const nack = (mediaSsrc: number, pairs: Array<[number, number]>) => {
    const b = Buffer.alloc(12 + 4 * pairs.length);
    b[0] = 0x81; b[1] = 205; b.writeUInt16BE(b.length / 4 - 1, 2); b.writeUInt32BE(1, 4); b.writeUInt32BE(mediaSsrc, 8);
    pairs.forEach(([pid, blp], i) => { b.writeUInt16BE(pid, 12 + 4 * i); b.writeUInt16BE(blp, 14 + 4 * i); });
    return b;
  };
  assert.deepEqual(readRtcp(nack(0xabc, [[100, 0b101]])).nacks, [{ ssrc: 0xabc, seqs: [100, 101, 103] }]);
  assert.deepEqual(readRtcp(nack(7, [[0xffff, 1]])).nacks, [{ ssrc: 7, seqs: [0xffff, 0] }], 'across the wrap');
  // In a compound packet after a receiver report, as the worker sends it.
  const compound = Buffer.concat([pliPacket(1, 2).subarray(0, 8), nack(9, [[5, 0]])]);
  assert.deepEqual(readRtcp(compound).nacks, [{ ssrc: 9, seqs: [5] }]);
  // 100 pairs with every bit set ask for 1,700 packets: only the first MAX_NACKED_SEQS count.
  const flood = readRtcp(Buffer.concat([nack(1, Array.from({ length: 100 }, (_, i) => [i * 17, 0xffff] as [number, number])), nack(2, [[1, 0xffff]])]));
  assert.equal(flood.nacks!.reduce((n, x) => n + x.seqs.length, 0), MAX_NACKED_SEQS);
  assert.equal(readRtcp(nack(1, [])).nacks, undefined, 'a NACK without entries asks for nothing');
  assert.deepEqual(readRtcp(nack(1, [[1, 0]]).subarray(0, 14)), { keyframeRequest: false }, 'cut short: ignored');
});

test('a packet of the GOP cache is found by its sequence number across gaps and the wrap; what it never held is not', () => {
  const at = (seq: number) => {
    const p = Buffer.alloc(12);
    p[0] = 0x80;
    p.writeUInt16BE(seq & 0xffff, 2);
    return p;
  };
  // 65533..65535, 0, 1, then the camera lost 2-4: 5, 6, then 9.
  const packets = [65533, 65534, 65535, 0, 1, 5, 6, 9].map(at);
  for (const seq of [65533, 65535, 0, 1, 5, 6, 9]) assert.equal(findBySeq(packets, seq)?.readUInt16BE(2), seq, `seq ${seq}`);
  for (const seq of [2, 3, 4, 7, 8, 10, 11, 65532, 30000]) assert.equal(findBySeq(packets, seq), undefined, `seq ${seq}`);
});

test('a fast-start feed sends again what it still has of the packets asked for, and nothing once closed', async () => {
  const pkt = (ts: number) => {
    const p = Buffer.alloc(13);
    p[0] = 0x80; p[1] = 96; p.writeUInt32BE(ts, 4); p.writeUInt32BE(1, 8);
    return p;
  };
  const sent: Buffer[] = [];
  const total = FAST_START_RESEND_HISTORY + 100;
  const feed = new FastStartFeed(0xfeed, 100, (p) => sent.push(p));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => { if (sent.length === total) { clearInterval(check); resolve(); } }, 5);
    feed.start(Array.from({ length: total }, (_, i) => pkt(i * 3600)));
  });
  const seqs = sent.map(sequenceNumber);
  const recent = seqs.slice(-3);
  const forgotten = seqs[0]!; // more than FAST_START_RESEND_HISTORY packets ago
  feed.resend([...recent, forgotten, (seqs.at(-1)! + 1) & 0xffff]);
  assert.equal(feed.resent, 3);
  assert.deepEqual(sent.slice(total).map(sequenceNumber), recent, 'the same packets, under their own sequence numbers');
  assert.ok(sent.slice(total).every((p, i) => p.equals(sent[total - 3 + i]!)));
  feed.close();
  feed.resend(recent);
  assert.equal(sent.length, total + 3, 'a closed feed sends nothing');
});

test('a fast-start feed that is never started ends after its timeout; one that holds back too much ends at its cap', async () => {
  const pkt = (seq: number, size = 1200) => {
    const p = Buffer.alloc(size);
    p[0] = 0x80; p[1] = 96; p.writeUInt16BE(seq, 2); p.writeUInt32BE(seq * 3600, 4); p.writeUInt32BE(1, 8);
    return p;
  };
  // Never started (a viewer who never resumes): it holds live packets, then ends and lets go.
  const ended: string[] = [];
  const idle = new FastStartFeed(1, 96, () => assert.fail('nothing is sent before the start'), { startTimeoutMs: 60, onEnd: (r) => ended.push(r) });
  for (let i = 0; i < 10; i++) idle.live(pkt(i));
  assert.equal(idle.queuedBytes, 12_000);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(ended, ['not started']);
  assert.equal(idle.closed, true);
  for (let i = 0; i < 10; i++) idle.live(pkt(i));
  assert.equal(idle.queuedBytes, 0, 'nothing is held after the end');
  idle.start([pkt(0)]);
  // Started in time: the timer never fires.
  const sent: Buffer[] = [];
  const ok = new FastStartFeed(2, 96, (p) => sent.push(p), { startTimeoutMs: 60, onEnd: (r) => ended.push(`ok: ${r}`) });
  ok.start([pkt(0)]);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(ok.closed, false);
  ok.live(pkt(1));
  assert.equal(sent.length, 2);
  ok.close();
  // A cap on what is held back: the packet that would pass it ends the feed.
  const full = new FastStartFeed(3, 96, () => undefined, { maxQueuedBytes: 5000, onEnd: (r) => ended.push(r) });
  for (let i = 0; i < 4; i++) full.live(pkt(i));
  assert.equal(full.queuedBytes, 4800);
  full.live(pkt(4));
  assert.deepEqual(ended, ['not started', 'queue full']);
  assert.equal(full.queuedBytes, 0);
});

test('H.265 units (RFC 7798): IRAP starts in single NALs, APs and FUs; VPS/SPS/PPS found; a parameter-set AP', () => {
  // 2-byte NAL headers: type in bits 1-6 of the first byte, TID+1 = 1 in the second.
  const nal = (type: number, body = [0xaa, 0xbb]) => Buffer.from([type << 1, 1, ...body]);
  const vps = nal(32, [1, 2, 3]);
  const sps = nal(33, [4, 5, 6, 7]);
  const pps = nal(34, [8]);
  for (const t of [16, 19, 20, 21]) assert.equal(H265.units(nal(t)).keyframeStart, true, `type ${t} is IRAP`);
  for (const t of [0, 1, 9, 22, 35, 39]) assert.equal(H265.units(nal(t)).keyframeStart, false, `type ${t} is not`);
  // AP [48 header][size][VPS][size][SPS][size][PPS]
  const ap = Buffer.concat([Buffer.from([48 << 1, 1]), ...[vps, sps, pps].flatMap((n) => [Buffer.from([0, n.length]), n])]);
  const u = H265.units(ap);
  assert.equal(u.keyframeStart, false);
  assert.deepEqual([u.sets.vps, u.sets.sps, u.sets.pps], [vps, sps, pps]);
  assert.equal(u.sets.sps!.buffer, ap.buffer, 'a view into the packet, not a copy');
  // FU [49 header][S|E|type]: only the start fragment of an IRAP picture starts one.
  assert.equal(H265.units(Buffer.from([49 << 1, 1, 0x80 | 19, 0])).keyframeStart, true);
  assert.equal(H265.units(Buffer.from([49 << 1, 1, 19, 0])).keyframeStart, false, 'a middle fragment');
  assert.equal(H265.units(Buffer.from([49 << 1, 1, 0x80 | 1, 0])).keyframeStart, false, 'a P picture');
  // Truncated and lying sizes read nothing and never throw.
  assert.deepEqual(H265.units(Buffer.from([48 << 1])), { keyframeStart: false, sets: {} });
  assert.equal(H265.units(Buffer.from([48 << 1, 1, 0, 200, 32 << 1, 1])).sets.vps, undefined);
  // SDP: sprop-vps/-sps/-pps, each checked for its type.
  const fmtp = { 'sprop-vps': vps.toString('base64'), 'sprop-sps': sps.toString('base64'), 'sprop-pps': `${sps.toString('base64')},${pps.toString('base64')}` };
  assert.deepEqual(H265.spropSets(fmtp), { vps, sps, pps });
  // The AP the relay inserts before an IRAP picture: its timestamp and SSRC, no marker.
  const irap = Buffer.alloc(20);
  irap[0] = 0x80; irap[1] = 0x80 | 96; irap.writeUInt32BE(123456, 4); irap.writeUInt32BE(0xdeadbeef, 8);
  const p = H265.parameterSetPacket([vps, sps, pps], irap);
  assert.equal(p[1], 96, 'same payload type, no marker');
  assert.equal(p.readUInt32BE(4), 123456);
  assert.equal(p.readUInt32BE(8), 0xdeadbeef);
  const back = H265.units(p.subarray(12));
  assert.deepEqual([back.sets.vps, back.sets.sps, back.sets.pps], [vps, sps, pps]);
  // H.264 through the same interface.
  const h264 = H264.units(Buffer.from([0x65, 0x88]));
  assert.equal(h264.keyframeStart, true);
  assert.equal(nalCodec('H265'), H265);
  assert.equal(nalCodec('JPEG'), undefined);
});
