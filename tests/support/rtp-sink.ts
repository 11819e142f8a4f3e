// A real RTP receiver for integration tests: a mediasoup PlainTransport consumer of a
// camera's producer, sending to a UDP socket of the test. It counts packets and bytes and
// records the NAL unit types it sees — H.264 or H.265, read here on its own, not with the
// server's parser — to check the parameter sets before every keyframe (SPS/PPS, and VPS for
// H.265; "IDR" below means an H.265 IRAP picture for H.265), when the first one arrived, and the abs-capture-time header extension values it carries.
import dgram from 'node:dgram';
import type { PlainTransport, Producer, Router } from 'mediasoup/node/lib/types.js';
import type { ViewableStream } from '../../server/media/View.js';
import type { RunningServer } from '../../server/server.js';

export interface RtpSink {
  readonly packets: number;
  readonly bytes: number;
  /** IDR frames seen, and how many of them came after an SPS and a PPS. */
  readonly idr: { total: number; withParameterSets: number };
  /** ms from opening the sink (the consumer's creation) to the first IDR, if one came. */
  readonly firstIdrMs: number | undefined;
  /** Capture times (ms since epoch) from abs-capture-time, with the arrival time of each. */
  readonly captureTimes: Array<{ capture: number; arrived: number }>;
  /**
   * What arrived, for a failure message: packets counted here against those the consumer
   * sent (a difference is loss on the way to this socket), and the first NAL units seen.
   */
  describe(): Promise<string>;
  /** Resolves with firstIdrMs once the first IDR has arrived. */
  waitForIdr(timeoutMs?: number): Promise<number>;
  consumerStats(): Promise<{ packetCount: number; byteCount: number }>;
  /** Resolves once `n` more packets have arrived. */
  waitForPackets(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function openRtpSink(server: RunningServer, cameraId: string, kind: 'main' | 'sub' = 'main'): Promise<RtpSink> {
  return openStreamSink(server.cameras.stream(cameraId, kind));
}

/** A UDP socket of this process and a PlainTransport of `router` sending to it. */
export async function plainReceiver(router: Router): Promise<{ sock: dgram.Socket; transport: PlainTransport }> {
  // A large receive buffer: this process also runs the server, and a busy event loop must
  // not let the kernel drop the packet that carries a keyframe's parameter sets.
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const transport = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port: sock.address().port });
  return { sock, transport };
}

/** A sink on any viewable stream: a local camera's, or one piped from its owner node. */
/**
 * A receiver of `stream` (holding its demand): of its producer, or of `o.producer`, another
 * producer on the stream's router (a fast start); `o.onResumed` runs once the consumer is resumed.
 */
export async function openStreamSink(stream: ViewableStream, o: { producer?: Producer; onResumed?(): void } = {}): Promise<RtpSink> {
  const release = stream.acquire();
  try {
    const producer = o.producer ?? await stream.waitForProducer(20_000);
    const router = stream.slot!.router;
    const { sock, transport } = await plainReceiver(router);
    const openedAt = Date.now();
    // Paused, then resumed, as the web client does: only a resume makes mediasoup wait for a
    // keyframe before forwarding (a consumer made unpaused on a connected transport starts
    // with whatever packet comes, e.g. the middle of an IDR whose SPS/PPS it missed).
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
    const absId = consumer.rtpParameters.headerExtensions?.find((e) => e.uri === 'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time')?.id;
    const captureTimes: Array<{ capture: number; arrived: number }> = [];
    let firstIdrMs: number | undefined;
    const idrWaiters: Array<(ms: number) => void> = [];
    let packets = 0;
    let bytes = 0;
    const idr = { total: 0, withParameterSets: 0 };
    // An IDR frame may span several slices (x264's sliced threads): frames are told apart by
    // RTP timestamp, and its SPS/PPS must carry the same timestamp (same access unit).
    let spsTs = -1;
    let ppsTs = -1;
    let vpsTs = -1;
    let lastIdrTs = -1;
    const h265 = consumer.rtpParameters.codecs[0]!.mimeType.toLowerCase() === 'video/h265';
    const ssrc = consumer.rtpParameters.encodings![0]!.ssrc!;
    const waiters: Array<{ target: number; resolve: () => void }> = [];
    // The first NAL units seen (type@timestamp#packet), for failure messages.
    const log: string[] = [];
    const seen = (type: number, ts: number) => {
      if (log.length < 60 && type !== 0) log.push(`${type}@${ts}#${packets}`);
      if (type === 7) spsTs = ts;
      else if (type === 8) ppsTs = ts;
      else if (type === 5 && ts !== lastIdrTs) {
        lastIdrTs = ts;
        idr.total++;
        if (firstIdrMs === undefined) {
          firstIdrMs = Date.now() - openedAt;
          for (const w of idrWaiters.splice(0)) w(firstIdrMs);
        }
        if (spsTs === ts && ppsTs === ts && (!h265 || vpsTs === ts)) idr.withParameterSets++;
      }
    };
    sock.on('message', (msg) => {
      const b0 = msg[0]!;
      if (b0 >> 6 !== 2) return;
      const pt = msg[1]! & 0x7f;
      if (pt >= 72 && pt <= 79) return; // RTCP on the muxed port
      // Only the consumer's own stream: mediasoup also sends bandwidth-probation padding
      // (SSRC 1234, payload type 127) on this transport, which is not video.
      if (msg.readUInt32BE(8) !== ssrc) return;
      packets++;
      bytes += msg.length;
      const ts = msg.readUInt32BE(4);
      const cc = b0 & 0x0f;
      let off = 12 + cc * 4;
      if (b0 & 0x10) {
        // One-byte header extensions (RFC 8285): abs-capture-time is a 64-bit NTP time.
        const words = msg.readUInt16BE(off + 2);
        if (absId !== undefined && msg.readUInt16BE(off) === 0xbede) {
          for (let e = off + 4; e < off + 4 + words * 4;) {
            const id = msg[e]! >> 4;
            const len = (msg[e]! & 0x0f) + 1;
            if (id === 0) { e++; continue; }
            if (id === absId && len >= 8) {
              const ntp = msg.readBigUInt64BE(e + 1);
              const capture = (Number(ntp >> 32n) - 2208988800) * 1000 + (Number(ntp & 0xffffffffn) / 2 ** 32) * 1000;
              captureTimes.push({ capture, arrived: Date.now() });
            }
            e += 1 + len;
          }
        }
        off += 4 + words * 4;
      }
      if (h265) {
        // RFC 7798: the type is bits 1-6 of a 2-byte header; AP = 48, FU = 49 (FU header after it).
        const type = (b: number) => (b >> 1) & 0x3f;
        const as264 = (t: number) => (t === 32 ? -32 : t === 33 ? 7 : t === 34 ? 8 : t >= 16 && t <= 21 ? 5 : 0);
        const see265 = (t: number) => (t === 32 ? (vpsTs = ts) : seen(as264(t), ts));
        const nal = type(msg[off]!);
        if (nal === 48) {
          for (let p = off + 2; p + 2 < msg.length;) {
            const size = msg.readUInt16BE(p);
            see265(type(msg[p + 2]!));
            p += 2 + size;
          }
        } else if (nal === 49) {
          const fu = msg[off + 2]!;
          if (fu & 0x80) see265(fu & 0x3f);
        } else {
          see265(nal);
        }
        for (const w of [...waiters]) if (packets >= w.target) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
        return;
      }
      const nal = msg[off]! & 0x1f;
      if (nal === 24) {
        for (let p = off + 1; p + 2 < msg.length;) {
          const size = msg.readUInt16BE(p);
          seen(msg[p + 2]! & 0x1f, ts);
          p += 2 + size;
        }
      } else if (nal === 28) {
        const fu = msg[off + 1]!;
        if (fu & 0x80) seen(fu & 0x1f, ts);
      } else {
        seen(nal, ts);
      }
      for (const w of [...waiters]) if (packets >= w.target) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
    });
    await consumer.resume();
    o.onResumed?.();
    return {
      get packets() { return packets; },
      get firstIdrMs() { return firstIdrMs; },
      captureTimes,
      waitForIdr(timeoutMs = 10_000) {
        if (firstIdrMs !== undefined) return Promise.resolve(firstIdrMs);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no IDR within ${timeoutMs} ms`)), timeoutMs);
          idrWaiters.push((ms) => { clearTimeout(timer); resolve(ms); });
        });
      },
      get bytes() { return bytes; },
      idr,
      async describe() {
        const [s] = (await consumer.getStats()) as Array<{ packetCount: number }>;
        return `received ${packets} of ${s?.packetCount ?? '?'} packets sent; IDRs ${idr.withParameterSets}/${idr.total} with parameter sets; first NAL units ${log.join(' ')}`;
      },
      async consumerStats() {
        const [s] = (await consumer.getStats()) as Array<{ packetCount: number; byteCount: number }>;
        return { packetCount: s?.packetCount ?? 0, byteCount: s?.byteCount ?? 0 };
      },
      waitForPackets(n, timeoutMs = 10_000) {
        const target = packets + n;
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`only ${packets} of ${target} RTP packets arrived`)), timeoutMs);
          waiters.push({ target, resolve: () => { clearTimeout(timer); resolve(); } });
        });
      },
      async close() {
        transport.close();
        sock.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
