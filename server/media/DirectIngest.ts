// The direct path (a camera's `ingest: 'direct'`): the camera's RTP over UDP goes straight
// into the stream's PlainTransport in the media worker, with no process of ours in between.
// The server keeps the RTSP session (DESCRIBE, SETUP naming the worker's ports, PLAY,
// keep-alive, TEARDOWN) and connects the transport to the camera's own media ports, so the
// worker takes media from nowhere else. The worker answers the camera's RTCP itself and sends
// it the viewers' keyframe requests.
//
// It gives up what the relay adds (docs/media.md, "The direct path"): no SSRC or sequence
// rewriting (the producer expects the SSRC the camera named in SETUP; a camera that names none
// cannot use it), no parameter sets from the SDP before keyframes (the camera must send them
// in-band), no GOP cache (a new viewer waits for the camera's answer to its keyframe request),
// no capture clock for the viewers' overlay.
//
// What arrives is read off the worker: packets, bytes and losses from the producer's stats.
// Frames need the packets themselves, and a consumer that gets them (a DirectTransport's)
// costs every packet a channel write in the worker, in the same loop that forwards it to the
// viewers: measured, it took the camera-to-browser hop from 0.16-0.22 ms to 0.28-0.52 ms at
// the p50 (docs/performance.md). So that consumer lives only for the start of a run: it
// looks at the first keyframes for the parameter sets a browser cannot start without, and
// measures the frame rate (on the camera's RTP clock); after it, frames go on at that rate for as long as the producer's
// packet count grows (packets per frame would not do: every keyframe a new viewer asks for
// is tens of packets, and the first seconds of a run have several).
import type { Consumer, DirectTransport, PlainTransport, Producer, Router } from 'mediasoup/node/lib/types.js';
import { PassthroughIngest, type PassthroughOptions } from './PassthroughIngest.js';
import { KeyframeSetsReader } from './rtp/keyframe-sets.js';
import type { NalCodec } from './rtp/nal-codec.js';
import { RtspError } from './rtsp/RtspConnection.js';
import type { PassthroughTrack } from './rtsp/passthrough-track.js';
import type { RtspSession } from './rtsp/RtspSession.js';

export interface DirectIngestOptions extends PassthroughOptions {
  /**
   * The stream's PlainTransport for this run, listening on `ip` (the local address of the
   * camera's RTSP connection: where the camera will send), with the router it belongs to.
   */
  openTransport(ip: string): Promise<{ transport: PlainTransport; router: Router }>;
}

/**
 * Keyframes after the first looked at for parameter sets in front of them before a camera is
 * judged to send them only at the start of its stream (as many do: one set with the first
 * IDR, the rest in the SDP), where a viewer who joins later could never start decoding.
 */
const KEYFRAMES_TO_JUDGE = 2;
/** As the relay: a camera silent this long after PLAY is given up (and retried). */
const FIRST_PACKET_TIMEOUT_MS = 3000;
/**
 * A camera that sends but whose stream no viewer could start at this long after PLAY fails
 * with the reason, before the stream's stall watchdog (8 s by default) would restart it as
 * merely silent: the worker starts a consumer only at a keyframe that carries its SPS.
 */
const FIRST_FRAME_TIMEOUT_MS = 6000;
const PROGRESS_INTERVAL_MS = 500;
/** The frame rate is measured over at least this long (the camera's clock) before the start-of-run consumer ends. */
const RATE_SPAN_MS = 2000;
const MAX_FPS = 120;
/** The start-of-run consumer ends by then even if the keyframes were not judged (long GOPs). */
const COUNTER_MAX_MS = 20_000;
/**
 * Packets that reach the transport for this long without one of them reaching the producer:
 * the camera sends under an SSRC other than the one it named in SETUP (an encoder restarted
 * mid-session, or a camera that names one SSRC and sends another), which the worker drops
 * packet by packet. Set up again at once rather than after the stall watchdog's 8 s (the
 * viewers see a frozen picture from its 3rd second).
 */
const UNCLAIMED_MS = 1000;
/**
 * Bytes in that time that no producer took, beyond which it is the camera's video and not its
 * RTCP (a sender report every few seconds, tens of bytes) that arrives. Anything else sending
 * to the port (dropped by the worker, which takes media only from the camera's ports) counts
 * too, but only while the camera's own packets are missing: it can bring the restart of a
 * stream that has already stopped forward, never restart one that plays.
 */
const UNCLAIMED_BYTES = 1000;

interface FrameCounter {
  transport: DirectTransport;
  consumer: Consumer;
  /**
   * RTP timestamps of the first frame seen and of the last, and the frames since the first:
   * the rate is the camera's own clock's, whatever the delivery's bursts.
   */
  firstTs?: number;
  lastTs?: number;
  frames: number;
}

export class DirectIngest extends PassthroughIngest {
  readonly kind = 'direct';
  readonly #o: DirectIngestOptions;
  #router?: Router;
  #transport?: PlainTransport;
  #codec?: NalCodec;
  #clockRate = 90_000;
  #producer?: Producer;
  /** The start-of-run consumer, with when it saw its first and last frame end. */
  #counter?: FrameCounter;
  /** After it: the frame rate it measured, and frames carried over between progress reports. */
  #rate?: { fps: number; at?: number; packets?: number; carry: number };
  /** Until judged: whether the parameter sets come before the keyframes. */
  #inband?: KeyframeSetsReader;
  #frames = 0;
  #packets = 0;
  #bytes = 0;
  #packetsLost = 0;
  /** When the producer's packet count last grew, with the transport's and producer's bytes then. */
  #lastGrowth?: { packets: number; producerBytes: number; transportBytes: number; at: number };
  #cameraSsrc = 0;

  private constructor(o: DirectIngestOptions) {
    super(o);
    this.#o = o;
  }

  static start(options: DirectIngestOptions): DirectIngest {
    return new DirectIngest(options).begin();
  }

  protected async carry(session: RtspSession, track: PassthroughTrack): Promise<void> {
    // Media never reaches this process: the session opens no sockets of its own.
    const { sdp, desc, base, controlUrl, codec } = track;
    this.#codec = codec;
    this.#inband = new KeyframeSetsReader(codec);
    this.#clockRate = desc.clockRate;
    const localIp = session.localAddress;
    if (!localIp) throw new RtspError('camera connection closed before SETUP');
    const { transport, router } = await this.#o.openTransport(localIp);
    if (this.finished) return;
    this.#router = router;
    this.#transport = transport;
    const ports = { rtp: transport.tuple.localPort, rtcp: transport.rtcpTuple!.localPort };
    const { sessionTimeoutS, cameraSsrc, cameraMedia } = await session.setup(controlUrl, { udpPorts: ports });
    // The worker matches the camera's packets to the producer by SSRC, and rewrites none.
    if (cameraSsrc === undefined) throw new RtspError('camera named no SSRC in its SETUP answer, which the direct path needs (use ingest \'auto\')');
    this.#cameraSsrc = cameraSsrc;
    await transport.connect({ ip: cameraMedia!.host, port: cameraMedia!.rtp, rtcpPort: cameraMedia!.rtcp });
    if (this.finished) return;
    // The producer is created from this while PLAY is on its way. No generic NACK: whether
    // the camera answers it is unknown, and unanswered ones count against its score.
    this.emit('rtp', { ...desc, ssrc: cameraSsrc, headerExtensions: [], answersNacks: false });
    await session.play(sdp, base, sessionTimeoutS);
    this.note(`playing over UDP straight into the media worker (from ${cameraMedia!.host}:${cameraMedia!.rtp})`);
    if (this.finished) return;

    this.keep(setTimeout(() => {
      if (this.#packets === 0) {
        this.finish(`camera sent no video within ${FIRST_PACKET_TIMEOUT_MS / 1000} s of PLAY (the direct path takes media only from the camera's server_port ${cameraMedia!.rtp}, sent to ${localIp}:${ports.rtp})`);
      }
    }, FIRST_PACKET_TIMEOUT_MS));
    this.keep(setTimeout(() => {
      if (this.#frames === 0) {
        this.finish(`camera sends video, but in ${FIRST_FRAME_TIMEOUT_MS / 1000} s no keyframe a viewer could start at came (one with its ${codec.setNames.join('/').toUpperCase()} in the stream): the direct path needs the parameter sets in-band, before keyframes, and keyframes on request or every few seconds (use ingest 'auto')`);
      }
    }, FIRST_FRAME_TIMEOUT_MS));
    const progress = setInterval(() => void this.#progress(), PROGRESS_INTERVAL_MS);
    progress.unref();
    this.keep(progress);
  }

  /**
   * The run's producer (CameraStream made it from the 'rtp' description): its packets, bytes
   * and losses are read from its stats; frames at the start from a consumer of its own.
   */
  attachProducer(producer: Producer): void {
    if (this.finished || !this.#router) return;
    this.#producer = producer;
    void this.#count(this.#router, producer).catch((err: Error) => this.finish(`cannot count the camera's frames: ${err.message}`));
  }

  async #count(router: Router, producer: Producer): Promise<void> {
    const transport = await router.createDirectTransport();
    if (this.finished || producer.closed) {
      transport.close();
      return;
    }
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const counter: FrameCounter = { transport, consumer, frames: 0 };
    this.#counter = counter;
    if (this.finished) return this.closeMedia();
    consumer.on('rtp', (packet) => {
      if (this.#inband) this.#judgeParameterSets(packet);
      // The marker bit ends a frame (RFC 6184 5.1, RFC 7798 4.1).
      if (packet.length > 1 && (packet[1]! & 0x80) !== 0) {
        const ts = packet.length >= 8 ? packet.readUInt32BE(4) : 0;
        if (counter.firstTs === undefined) counter.firstTs = ts;
        else counter.frames++;
        counter.lastTs = ts;
        if (this.#frames++ === 0) void this.#progress();
      }
      if (!this.#inband && !this.finished && this.#counterSpanS(counter) * 1000 >= RATE_SPAN_MS) this.#endCounter();
    });
    this.keep(setTimeout(() => this.#endCounter(), COUNTER_MAX_MS));
  }

  /** Seconds of the camera's clock between the first and the last frame the counter saw. */
  #counterSpanS(counter: FrameCounter): number {
    if (counter.firstTs === undefined || counter.lastTs === undefined) return 0;
    // Unsigned 32-bit difference: RTP timestamps wrap.
    return ((counter.lastTs - counter.firstTs) >>> 0) / this.#clockRate;
  }

  /** The start-of-run consumer has done its work: frames go on at the rate it measured. */
  #endCounter(): void {
    const counter = this.#counter;
    if (!counter) return;
    const spanS = this.#counterSpanS(counter);
    // A camera's timestamps may jump: the rate is held to what any camera sends.
    if (counter.frames > 0 && spanS > 0) this.#rate = { fps: Math.min(MAX_FPS, counter.frames / spanS), carry: 0 };
    this.closeMedia();
  }

  /**
   * A camera that sends its parameter sets only in its SDP would play nowhere (nothing on this
   * path can put them before keyframes): it fails with the reason instead of looking live.
   */
  #judgeParameterSets(packet: Buffer): void {
    const k = this.#inband!.read(packet);
    // The stream's first keyframe proves nothing: encoders put their headers before it anyway.
    if (!k || k.index === 0) return;
    if (k.complete) this.#inband = undefined;
    else if (k.index >= KEYFRAMES_TO_JUDGE) {
      this.finish(`camera sends its parameter sets (${this.#codec!.setNames.join('/').toUpperCase()}) only in its SDP (or once, at the start), which browsers need before every keyframe: the direct path cannot add them (use ingest 'auto')`);
    }
  }

  async #progress(): Promise<void> {
    const producer = this.#producer;
    if (producer && !producer.closed) {
      const [stats, transportStats] = await Promise.all([producer.getStats().catch(() => []), this.#transport?.getStats().catch(() => []) ?? []]);
      const s = stats[0];
      // No stats until the producer's first packet: a camera sending under another SSRC from
      // the start is seen as well.
      this.#watchUnclaimed(s?.packetCount ?? 0, s?.byteCount ?? 0, transportStats[0]?.bytesReceived ?? 0);
      if (s) {
        this.#packets = s.packetCount;
        this.#bytes = s.byteCount;
        this.#packetsLost = Math.max(0, s.packetsLost);
        const r = this.#rate;
        if (r) {
          // Frames advance only while packets do: a camera that stops is seen to stop.
          const now = performance.now();
          if (r.at !== undefined && s.packetCount > r.packets!) {
            r.carry += (r.fps * (now - r.at)) / 1000;
            const whole = Math.floor(r.carry);
            this.#frames += whole;
            r.carry -= whole;
          }
          r.at = now;
          r.packets = s.packetCount;
        }
      }
    }
    if (this.finished) return;
    this.emit('progress', { frames: this.#frames, bytes: this.#bytes, packetsLost: this.#packetsLost });
  }

  /**
   * The worker matches packets to the producer by the SSRC the camera named in SETUP and drops
   * the rest without a word: a camera that changes its SSRC would look merely silent.
   */
  #watchUnclaimed(packets: number, producerBytes: number, transportBytes: number): void {
    if (this.finished) return;
    const now = performance.now();
    const g = this.#lastGrowth;
    if (!g || packets > g.packets) {
      this.#lastGrowth = { packets, producerBytes, transportBytes, at: now };
      return;
    }
    const unclaimed = (transportBytes - g.transportBytes) - (producerBytes - g.producerBytes);
    if (now - g.at >= UNCLAIMED_MS && unclaimed >= UNCLAIMED_BYTES) {
      const ssrc = this.#cameraSsrc.toString(16).padStart(8, '0');
      this.finish(`camera's packets reach the media worker, but none under the SSRC it named in SETUP (${ssrc}) for ${UNCLAIMED_MS / 1000} s (${unclaimed} bytes): a camera that changed its SSRC mid-session is set up again`);
    }
  }

  protected closeMedia(): void {
    this.#counter?.transport.close();
    this.#counter = undefined;
  }
}
