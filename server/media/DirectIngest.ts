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
// no capture clock for the viewers' overlay. Frames, bytes and losses are read off the
// producer: a DirectTransport consumer counts frames beside the viewers, off their path, and
// looks at the first keyframes for the parameter sets a browser cannot start without.
import type { Consumer, DirectTransport, PlainTransport, Producer, Router } from 'mediasoup/node/lib/types.js';
import { PassthroughIngest, type PassthroughOptions } from './PassthroughIngest.js';
import type { NalCodec, ParameterSetName } from './rtp/nal-codec.js';
import { rtpHeaderLength } from './rtp/rtp.js';
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

export class DirectIngest extends PassthroughIngest {
  readonly kind = 'direct';
  readonly #o: DirectIngestOptions;
  #router?: Router;
  #codec?: NalCodec;
  #producer?: Producer;
  #counter?: { transport: DirectTransport; consumer: Consumer };
  /** Until judged: the parameter sets seen since the last keyframe, and keyframes seen. */
  #inband?: { sets: Set<ParameterSetName>; keyframes: number } = { sets: new Set(), keyframes: 0 };
  #frames = 0;
  #bytes = 0;
  #packets = 0;
  #packetsLost = 0;

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
    const localIp = session.localAddress;
    if (!localIp) throw new RtspError('camera connection closed before SETUP');
    const { transport, router } = await this.#o.openTransport(localIp);
    if (this.finished) return;
    this.#router = router;
    const ports = { rtp: transport.tuple.localPort, rtcp: transport.rtcpTuple!.localPort };
    const { sessionTimeoutS, cameraSsrc, cameraMedia } = await session.setup(controlUrl, { udpPorts: ports });
    // The worker matches the camera's packets to the producer by SSRC, and rewrites none.
    if (cameraSsrc === undefined) throw new RtspError('camera named no SSRC in its SETUP answer, which the direct path needs (use ingest \'auto\')');
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
   * The run's producer (CameraStream made it from the 'rtp' description): its frames are
   * counted from a consumer of its own, its packets and losses read from its stats.
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
    this.#counter = { transport, consumer };
    if (this.finished) return this.closeMedia();
    consumer.on('rtp', (packet) => {
      this.#bytes += packet.length;
      if (this.#inband) this.#judgeParameterSets(packet);
      // The marker bit ends a frame (RFC 6184 5.1, RFC 7798 4.1).
      if (packet.length > 1 && (packet[1]! & 0x80) !== 0) {
        if (this.#frames++ === 0) void this.#progress();
      }
    });
  }

  /**
   * A browser's decoder starts only at a keyframe preceded by its parameter sets. The relay
   * puts the SDP's in front of each keyframe; here nothing can, so a camera that sends them
   * only in its SDP would play nowhere: it fails with the reason instead of looking live.
   */
  #judgeParameterSets(packet: Buffer): void {
    const seen = this.#inband!;
    const headerLen = rtpHeaderLength(packet);
    if (headerLen === undefined || !this.#codec) return;
    const units = this.#codec.units(packet.subarray(headerLen));
    for (const name of Object.keys(units.sets) as ParameterSetName[]) seen.sets.add(name);
    if (!units.keyframeStart) return;
    const complete = this.#codec.setNames.every((n) => seen.sets.has(n));
    seen.sets.clear();
    // The stream's first keyframe proves nothing: encoders put their headers before it anyway.
    if (seen.keyframes++ === 0) return;
    if (complete) this.#inband = undefined;
    else if (seen.keyframes > KEYFRAMES_TO_JUDGE) {
      this.finish(`camera sends its parameter sets (${this.#codec.setNames.join('/').toUpperCase()}) only in its SDP (or once, at the start), which browsers need before every keyframe: the direct path cannot add them (use ingest 'auto')`);
    }
  }

  async #progress(): Promise<void> {
    const producer = this.#producer;
    if (producer && !producer.closed) {
      const stats = await producer.getStats().catch(() => []);
      const s = stats[0];
      if (s) {
        this.#packets = s.packetCount;
        this.#packetsLost = Math.max(0, s.packetsLost);
      }
    }
    if (this.finished) return;
    this.emit('progress', { frames: this.#frames, bytes: this.#bytes, packetsLost: this.#packetsLost });
  }

  protected closeMedia(): void {
    this.#counter?.transport.close();
    this.#counter = undefined;
  }
}
