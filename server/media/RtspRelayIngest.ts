// The passthrough fast path: an RTSP client inside the server that forwards the camera's
// H.264 (or, where the deployment says viewers decode it, H.265) RTP packets to the stream's
// PlainTransport as they arrive: no process, no demux and remux, no frame held back. Two
// halves, joined here:
//  - the RTSP session (rtsp/RtspSession.ts): DESCRIBE, redirects, authentication, SETUP,
//    PLAY, keep-alive, TEARDOWN, and the camera's media sockets;
//  - the RTP forwarder (rtp/RtpForwarder.ts): rewriting, parameter sets, loss counting, the
//    GOP cache and fast starts, keyframe requests, sender reports and the capture clock.
// This file reads the SDP, decides whether the camera is passthrough material (otherwise
// CameraStream hands it to ffmpeg), and reports progress and the end of the run.
// RTP runs interleaved over the RTSP connection (TCP, the default: no firewall or loss
// surprises) or over UDP.
import { EventEmitter } from 'node:events';
import type { FastStart, Ingest, IngestEvents, IngestTarget } from './Ingest.js';
import { codecOfEncoding } from './ingest-plan.js';
import { header, RtspError } from './rtsp/RtspConnection.js';
import { RtspSession, type RelayTransport } from './rtsp/RtspSession.js';
import { ABS_CAPTURE_TIME_ID, ABS_CAPTURE_TIME_URI, RtpForwarder } from './rtp/RtpForwarder.js';
import { H265, nalCodec } from './rtp/nal-codec.js';
import { parseVideoSdp, resolveControl } from './sdp.js';

export type { RelayTransport };
export { ABS_CAPTURE_TIME_ID };

export interface RtspRelayOptions extends IngestTarget {
  /** Camera RTSP URL (may contain credentials: never logged or reported). */
  url: string;
  transport?: RelayTransport;
  /** Time allowed for the TCP connect and for each RTSP answer. */
  ioTimeoutMs?: number;
  /**
   * Pass H.265 through as well (the camera's `transcode: 'never'`: its viewers decode H.265).
   * Otherwise an H.265 camera is handed to ffmpeg for transcoding, like every other codec.
   */
  passH265?: boolean;
  /** Answer a Basic challenge (the camera's `rtspBasicAuth`); otherwise only Digest. */
  allowBasic?: boolean;
}

/**
 * A session that has sent no RTP this long after PLAY is given up (and retried) sooner than
 * the stream's stall watchdog would: seen with GStreamer's shared media when a session
 * starts while the previous one is still being torn down.
 */
const FIRST_PACKET_TIMEOUT_MS = 3000;
const PROGRESS_INTERVAL_MS = 500;

export class RtspRelayIngest extends EventEmitter<IngestEvents> implements Ingest {
  readonly kind = 'relay';
  readonly pid = undefined;
  readonly #o: RtspRelayOptions;
  readonly #log: string[] = [];
  #session?: RtspSession;
  #forwarder?: RtpForwarder;
  #timers: NodeJS.Timeout[] = [];
  #finished = false;
  #stopRequested = false;
  #exited: Promise<void>;
  #resolveExited!: () => void;

  private constructor(o: RtspRelayOptions) {
    super();
    this.#o = o;
    this.#exited = new Promise((resolve) => { this.#resolveExited = resolve; });
  }

  static start(options: RtspRelayOptions): RtspRelayIngest {
    const relay = new RtspRelayIngest(options);
    void relay.#run().catch((err: unknown) => relay.#finish(err instanceof RtspError ? err.message : `relay failed: ${(err as Error).message}`));
    return relay;
  }

  get recentLog(): readonly string[] {
    return this.#log;
  }

  #note(line: string): void {
    this.#log.push(line);
    if (this.#log.length > 40) this.#log.shift();
  }

  async #run(): Promise<void> {
    const described = await RtspSession.describe(
      { url: this.#o.url, ioTimeoutMs: this.#o.ioTimeoutMs ?? 5000, allowBasic: this.#o.allowBasic === true, note: (l) => this.#note(l) },
      (s) => {
        if (this.#finished) return false;
        this.#session = s;
        return true;
      },
    );
    if (!described) return;
    const { session, answer } = described;
    session.on('closed', (reason) => this.#finish(reason));
    session.on('rtp', (p) => this.#forwarder?.rtp(p));
    session.on('rtcp', (b) => this.#forwarder?.rtcp(b));

    const sdp = answer.body.toString('utf8');
    const desc = parseVideoSdp(sdp);
    const staticPt = Number(/^m=video \d+ [^ ]+ (\d+)/m.exec(sdp)?.[1]);
    this.emit('input', { codec: desc ? codecOfEncoding(desc.encoding) : staticPt === 26 ? 'mjpeg' : 'unknown' });
    const passthrough = desc ? nalCodec(desc.encoding) : undefined;
    if (!desc || !passthrough || (passthrough === H265 && !this.#o.passH265)) {
      // Not passthrough material: CameraStream switches this camera to ffmpeg.
      if (desc) this.emit('rtp', desc);
      else throw new RtspError('camera offers no video stream the relay can read');
      return;
    }
    // Every RTP-to-time conversion divides by it: 0 or an absurd rate is a broken camera.
    if (!(desc.clockRate >= 1000 && desc.clockRate <= 1_000_000)) throw new RtspError(`camera announced an invalid RTP clock rate (${desc.clockRate})`);
    const base = header(answer, 'content-base') ?? header(answer, 'content-location') ?? session.url;

    const forwarder = await RtpForwarder.open({
      ...this.#o, codec: passthrough, cameraPayloadType: desc.payloadType, clockRate: desc.clockRate, sets: passthrough.spropSets(desc.fmtp),
      toCamera: (b) => session.sendRtcp(b),
    });
    if (this.#finished) {
      forwarder.close();
      return;
    }
    this.#forwarder = forwarder;
    forwarder.on('failed', (reason) => this.#finish(reason));
    forwarder.on('clock', (c) => this.emit('clock', c));
    forwarder.on('firstFrame', () => this.#progress());

    const udp = this.#o.transport === 'udp';
    const { sessionTimeoutS, cameraSsrc } = await session.setup(resolveControl(base, desc.control), udp ? 'udp' : 'tcp');
    if (cameraSsrc !== undefined) forwarder.announceCameraSsrc(cameraSsrc);
    // The producer is created from this while PLAY is on its way.
    this.emit('rtp', { ...desc, payloadType: this.#o.payloadType, headerExtensions: [{ uri: ABS_CAPTURE_TIME_URI, id: ABS_CAPTURE_TIME_ID }], answersNacks: true });
    await session.play(sdp, base, sessionTimeoutS);
    this.#note(`playing over ${udp ? 'UDP' : 'TCP'}`);
    if (this.#finished) return;
    forwarder.startReports();

    this.#timers.push(setTimeout(() => {
      if (forwarder.stats.packets === 0) this.#finish(`camera sent no video within ${FIRST_PACKET_TIMEOUT_MS / 1000} s of PLAY`);
    }, FIRST_PACKET_TIMEOUT_MS));
    const progress = setInterval(() => this.#progress(), PROGRESS_INTERVAL_MS);
    progress.unref();
    this.#timers.push(progress);
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
    if (this.#finished) return undefined;
    return this.#forwarder?.openFastStart(ssrc, onEnd);
  }

  #finish(reason: string): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.#forwarder?.close();
    this.#session?.close();
    const requested = this.#stopRequested;
    if (!requested) this.#note(reason);
    this.emit('exit', { code: null, signal: null, reason: requested ? 'stopped' : reason, requested });
    this.#resolveExited();
  }

  /** TEARDOWN (briefly awaited), then closes everything. Idempotent. */
  async stop(graceMs = 500): Promise<void> {
    if (!this.#finished) {
      this.#stopRequested = true;
      await this.#session?.teardown(graceMs);
      this.#finish('stopped');
    }
    await this.#exited;
  }
}
