// The passthrough fast path: an RTSP client inside the server that forwards the camera's
// H.264 (or, where the deployment says viewers decode it, H.265) RTP packets to the stream's
// PlainTransport as they arrive: no process, no demux and remux, no frame held back. Two
// halves, joined here:
//  - the RTSP session (rtsp/RtspSession.ts): DESCRIBE, redirects, authentication, SETUP,
//    PLAY, keep-alive, TEARDOWN, and the camera's media sockets;
//  - the RTP forwarder (rtp/RtpForwarder.ts): rewriting, parameter sets, loss counting, the
//    GOP cache and fast starts, keyframe requests, sender reports and the capture clock.
// The run around them (DESCRIBE, whether the camera is passthrough material at all, the end of
// the run) is the passthrough ingests' own (PassthroughIngest.ts); this file joins the halves
// and reports progress.
// RTP runs interleaved over the RTSP connection (TCP, the default: no firewall or loss
// surprises) or over UDP.
import type { FastStart, IngestTarget } from './Ingest.js';
import { PassthroughIngest, type PassthroughOptions } from './PassthroughIngest.js';
import type { PassthroughTrack } from './rtsp/passthrough-track.js';
import type { RtspSession, RelayTransport } from './rtsp/RtspSession.js';
import { ABS_CAPTURE_TIME_ID, ABS_CAPTURE_TIME_URI, RtpForwarder } from './rtp/RtpForwarder.js';

export type { RelayTransport };
export { ABS_CAPTURE_TIME_ID };

export interface RtspRelayOptions extends IngestTarget, PassthroughOptions {
  transport?: RelayTransport;
}

/**
 * A session that has sent no RTP this long after PLAY is given up (and retried) sooner than
 * the stream's stall watchdog would: seen with GStreamer's shared media when a session
 * starts while the previous one is still being torn down.
 */
const FIRST_PACKET_TIMEOUT_MS = 3000;
const PROGRESS_INTERVAL_MS = 500;

export class RtspRelayIngest extends PassthroughIngest {
  readonly kind = 'relay';
  readonly #o: RtspRelayOptions;
  #forwarder?: RtpForwarder;

  private constructor(o: RtspRelayOptions) {
    super(o);
    this.#o = o;
  }

  static start(options: RtspRelayOptions): RtspRelayIngest {
    return new RtspRelayIngest(options).begin();
  }

  protected async carry(session: RtspSession, track: PassthroughTrack): Promise<void> {
    const { sdp, desc, codec: passthrough, base, controlUrl } = track;
    session.on('rtp', (p) => this.#forwarder?.rtp(p));
    session.on('rtcp', (b) => this.#forwarder?.rtcp(b));
    const forwarder = await RtpForwarder.open({
      ...this.#o, codec: passthrough, cameraPayloadType: desc.payloadType, clockRate: desc.clockRate, sets: passthrough.spropSets(desc.fmtp),
      toCamera: (b) => session.sendRtcp(b),
    });
    if (this.finished) {
      forwarder.close();
      return;
    }
    this.#forwarder = forwarder;
    forwarder.on('failed', (reason) => this.finish(reason));
    forwarder.on('clock', (c) => this.emit('clock', c));
    forwarder.on('firstFrame', () => this.#progress());

    const udp = this.#o.transport === 'udp';
    const { sessionTimeoutS, cameraSsrc } = await session.setup(controlUrl, udp ? 'udp' : 'tcp');
    if (cameraSsrc !== undefined) forwarder.announceCameraSsrc(cameraSsrc);
    // The producer is created from this while PLAY is on its way.
    this.emit('rtp', { ...desc, payloadType: this.#o.payloadType, headerExtensions: [{ uri: ABS_CAPTURE_TIME_URI, id: ABS_CAPTURE_TIME_ID }], answersNacks: true });
    await session.play(sdp, base, sessionTimeoutS);
    this.note(`playing over ${udp ? 'UDP' : 'TCP'}`);
    if (this.finished) return;
    forwarder.startReports();

    this.keep(setTimeout(() => {
      if (forwarder.stats.packets === 0) this.finish(`camera sent no video within ${FIRST_PACKET_TIMEOUT_MS / 1000} s of PLAY`);
    }, FIRST_PACKET_TIMEOUT_MS));
    const progress = setInterval(() => this.#progress(), PROGRESS_INTERVAL_MS);
    progress.unref();
    this.keep(progress);
  }

  #progress(): void {
    const s = this.#forwarder?.stats;
    if (s) this.emit('progress', { frames: s.frames, bytes: s.bytes, packetsLost: s.packetsLost });
  }

  /** Whether the camera answers keyframe requests (undefined until one was asked). */
  get honoursKeyframeRequests(): boolean | undefined {
    return this.#forwarder?.honoursKeyframeRequests;
  }

  /**
   * A fast-start stream under `ssrc`, or undefined when no GOP is cached. `onEnd`: the feed
   * ended on its own (its viewer never started it, or it held back too much).
   */
  openFastStart(ssrc: number, onEnd?: () => void): FastStart | undefined {
    if (this.finished) return undefined;
    return this.#forwarder?.openFastStart(ssrc, onEnd);
  }

  protected closeMedia(): void {
    this.#forwarder?.close();
  }
}
