// The passthrough fast path: an RTSP client inside the server that forwards the camera's
// H.264 (or, where the deployment says viewers decode it, H.265) RTP packets to the stream's PlainTransport as they arrive (no process, no demux and
// remux, no frame held back). Per packet it only rewrites SSRC, payload type and sequence
// number in place. It also
//  - inserts the parameter sets (SPS/PPS, and VPS for H.265; from the SDP, or the last
//    in-band ones) before a keyframe that lacks them,
//    because a browser joining mid-stream cannot decode without them;
//  - passes keyframe requests (PLI/FIR from the SFU) to the camera as RTCP PLI, rate-limited;
//  - carries the camera's capture clock (its RTCP sender reports) to viewers as the
//    abs-capture-time header extension, so the client can show camera-to-screen latency;
//  - keeps the RTSP session alive and sends TEARDOWN when stopped.
// RTP runs interleaved over the RTSP connection (TCP, the default: no firewall or loss
// surprises) or over UDP.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { FastStartFeed, GopCache } from './FastStart.js';
import { codecOfEncoding } from './ingest-plan.js';
import type { FastStart, Ingest, IngestEvents, IngestTarget } from './Ingest.js';
import { header, RtspConnection, RtspError, splitCredentials, type RtspCredentials, type RtspResponse } from './rtsp/RtspConnection.js';
import { parseVideoSdp, resolveControl, sessionControl } from './sdp.js';
import {
  ABS_CAPTURE_TIME_URI, emptyReceiverReport, marker, msFromNtp, ntpFromMs, payloadType, pliPacket, senderClockMs,
  readRtcp, rewrite, rtpHeaderLength, senderReport, sequenceNumber, ssrc, timestamp, withAbsCaptureTime,
  type SenderReport,
} from './rtp/rtp.js';
import { H264, H265, nalCodec, type NalCodec, type ParameterSets } from './rtp/nal-codec.js';

export type RelayTransport = 'tcp' | 'udp';

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

/** Header extension id used for abs-capture-time on the producer. */
export const ABS_CAPTURE_TIME_ID = 1;
const KEYFRAME_REQUEST_MIN_INTERVAL_MS = 300;
/** A keyframe request answered by an IDR within this long counts as honoured. */
const KEYFRAME_ANSWER_MS = 600;
const RECEIVER_REPORT_INTERVAL_MS = 5000;
const ABS_CAPTURE_TIME_INTERVAL_MS = 1000;
const MAX_REDIRECTS = 3;
/**
 * A session that has sent no RTP this long after PLAY is given up (and retried) sooner than
 * the stream's stall watchdog would: seen with GStreamer's shared media when a session
 * starts while the previous one is still being torn down.
 */
const FIRST_PACKET_TIMEOUT_MS = 3000;
/** Packets that are not our RTP before the stream counts as garbage. */
const MAX_BAD_PACKETS = 100;
/** A sequence jump larger than this is a renumbering (camera restart), not loss. */
const MAX_SEQ_JUMP = 3000;
/** Frames on interleaved channels the session did not set up, before the camera counts as broken. */
const MAX_STRAY_FRAMES = 100;
/** A frame-to-frame RTP timestamp step beyond this, either way, is a jump. */
const TIMESTAMP_JUMP_MS = 5000;
/**
 * Jumps tolerated within TIMESTAMP_JUMP_WINDOW_MS: an encoder restart makes one, a camera
 * whose clock jumps again and again gives viewers nothing they can play in time.
 */
const MAX_TIMESTAMP_JUMPS = 5;
const TIMESTAMP_JUMP_WINDOW_MS = 60_000;

export class RtspRelayIngest extends EventEmitter<IngestEvents> implements Ingest {
  readonly kind = 'relay';
  readonly pid = undefined;
  readonly #o: RtspRelayOptions;
  readonly #log: string[] = [];
  #conn?: RtspConnection;
  #out?: dgram.Socket;
  #outRtcp?: dgram.Socket;
  #camRtp?: dgram.Socket;
  #camRtcp?: dgram.Socket;
  #camRtcpAddress?: { host: string; port: number };
  #channels = { rtp: 0, rtcp: 1 };
  #timers: NodeJS.Timeout[] = [];
  /** The session's aggregate control URL (PLAY, TEARDOWN). */
  #aggregateUrl?: string;
  #finished = false;
  #stopRequested = false;
  #exited: Promise<void>;
  #resolveExited!: () => void;
  // stream state
  #cameraPt = 96;
  #clockRate = 90000;
  #cameraSsrc?: number;
  readonly #receiverSsrc = randomInt(1, 2 ** 31);
  #codec: NalCodec = H264;
  /** The parameter sets in force (SDP first, then the last in-band ones). */
  #sets: ParameterSets = {};
  /** RTP timestamp of the last in-band parameter sets. */
  #paramsTs?: number;
  #inserted = 0;
  #lastTs?: number;
  #sr?: SenderReport;
  #lastAbsAt = 0;
  #lastKeyframeRequest = 0;
  #keyframeTimer?: NodeJS.Timeout;
  readonly #gop = new GopCache();
  readonly #fastStarts = new Set<FastStartFeed>();
  /** When the oldest unanswered keyframe request went out. */
  #keyframeAskedAt?: number;
  #honoursKeyframeRequests?: boolean;
  #frames = 0;
  #bytes = 0;
  #packets = 0;
  #lost = 0;
  /** The camera's last sequence number (before our rewrite), for loss counting. */
  #lastSeqIn?: number;
  #bad = 0;
  #strayFrames = 0;
  /** When the recent timestamp jumps happened (at most MAX_TIMESTAMP_JUMPS + 1 kept). */
  #jumps: number[] = [];
  /** UDP datagrams dropped because they did not come from the camera's media ports. */
  #foreign = 0;
  /** The camera's RTP and RTCP source ports, once its SETUP answer named them (UDP). */
  #cameraPorts?: { rtp: number; rtcp: number };

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
    const timeout = this.#o.ioTimeoutMs ?? 5000;
    const { url: bare, username, password } = splitCredentials(this.#o.url);
    const cameraCredentials = { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), allowBasic: this.#o.allowBasic === true };
    let credentials: RtspCredentials = cameraCredentials;
    let target = bare;
    let describe: RtspResponse;
    for (let hop = 0; ; hop++) {
      const conn = await RtspConnection.connect(target, timeout, credentials);
      if (this.#finished) return conn.close();
      this.#conn = conn;
      conn.on('close', (err) => this.#finish(err?.message ?? 'camera closed the connection'));
      conn.on('interleaved', (channel, data) => {
        if (channel === this.#channels.rtp) this.#onCameraRtp(data);
        else if (channel === this.#channels.rtcp) this.#onCameraRtcp(data);
        else if (++this.#strayFrames > MAX_STRAY_FRAMES) this.#finish(`camera sent data on interleaved channel ${channel}, which the session did not set up`);
      });
      describe = await conn.request('DESCRIBE', target, { Accept: 'application/sdp' });
      if (describe.status < 300) break;
      const location = header(describe, 'location');
      if (!location || hop >= MAX_REDIRECTS) throw new RtspError(`camera redirected ${location ? 'too often' : 'without a Location'} (${describe.status})`);
      conn.removeAllListeners('close');
      conn.close();
      const next = redirectTarget(bare, location, target);
      target = next.url;
      // The camera's credentials go to its own host and port only, never where it points us.
      credentials = next.samePort ? cameraCredentials : {};
      this.#note(`redirected (${describe.status})${next.samePort ? '' : ' to another port, without the credentials'}`);
    }
    const conn = this.#conn!;
    const sdp = describe.body.toString('utf8');
    const desc = parseVideoSdp(sdp);
    const staticPt = Number(/^m=video \d+ [^ ]+ (\d+)/m.exec(sdp)?.[1]);
    const codec = desc ? codecOfEncoding(desc.encoding) : staticPt === 26 ? 'mjpeg' : 'unknown';
    this.emit('input', { codec });
    const passthrough = desc ? nalCodec(desc.encoding) : undefined;
    if (!desc || !passthrough || (passthrough === H265 && !this.#o.passH265)) {
      // Not passthrough material: CameraStream switches this camera to ffmpeg.
      if (desc) this.emit('rtp', desc);
      else throw new RtspError('camera offers no video stream the relay can read');
      return;
    }
    // Every RTP-to-time conversion divides by it: 0 or an absurd rate is a broken camera.
    if (!(desc.clockRate >= 1000 && desc.clockRate <= 1_000_000)) throw new RtspError(`camera announced an invalid RTP clock rate (${desc.clockRate})`);
    this.#codec = passthrough;
    this.#cameraPt = desc.payloadType;
    this.#clockRate = desc.clockRate;
    this.#sets = passthrough.spropSets(desc.fmtp);
    const base = header(describe, 'content-base') ?? header(describe, 'content-location') ?? target;
    await this.#openSfuSockets();

    // SETUP
    const udp = this.#o.transport === 'udp';
    if (udp) await this.#openCameraSockets();
    const transportHeader = udp
      ? `RTP/AVP;unicast;client_port=${this.#camRtp!.address().port}-${this.#camRtcp!.address().port}`
      : 'RTP/AVP/TCP;unicast;interleaved=0-1';
    const setup = await conn.request('SETUP', resolveControl(base, desc.control), { Transport: transportHeader });
    const session = header(setup, 'session');
    if (!session) throw new RtspError('camera answered SETUP without a session');
    conn.session = session.split(';')[0]!.trim();
    const sessionTimeout = Number(/timeout=(\d+)/.exec(session)?.[1] ?? 60);
    const answered = header(setup, 'transport') ?? '';
    const interleaved = /interleaved=(\d+)-(\d+)/.exec(answered);
    if (interleaved) this.#channels = { rtp: Number(interleaved[1]), rtcp: Number(interleaved[2]) };
    const camSsrc = /ssrc=([0-9a-fA-F]+)/.exec(answered);
    if (camSsrc) this.#cameraSsrc = parseInt(camSsrc[1]!, 16) >>> 0;
    if (udp) {
      const ports = /server_port=(\d+)-(\d+)/.exec(answered);
      const source = /source=([^;]+)/.exec(answered)?.[1] ?? new URL(target).hostname;
      if (ports) {
        this.#camRtcpAddress = { host: source, port: Number(ports[2]) };
        this.#cameraPorts = { rtp: Number(ports[1]), rtcp: Number(ports[2]) };
      }
    } else if (!interleaved && !/TCP/i.test(answered)) {
      throw new RtspError('camera refused RTP over TCP');
    }

    // The producer is created from this while PLAY is on its way.
    this.emit('rtp', { ...desc, payloadType: this.#o.payloadType, headerExtensions: [{ uri: ABS_CAPTURE_TIME_URI, id: ABS_CAPTURE_TIME_ID }] });
    this.#aggregateUrl = resolveControl(base, sessionControl(sdp));
    await conn.request('PLAY', this.#aggregateUrl, { Range: 'npt=0.000-' });
    this.#note(`playing over ${udp ? 'UDP' : 'TCP'}`);
    if (this.#finished) return;

    const firstPacket = setTimeout(() => {
      if (this.#packets === 0) this.#finish(`camera sent no video within ${FIRST_PACKET_TIMEOUT_MS / 1000} s of PLAY`);
    }, FIRST_PACKET_TIMEOUT_MS);
    this.#timers.push(firstPacket);
    const keepAlive = Math.max(5, Math.min(sessionTimeout, 120) / 2) * 1000;
    this.#every(keepAlive, () => void conn.request('OPTIONS', target).catch(() => undefined));
    this.#every(RECEIVER_REPORT_INTERVAL_MS, () => this.#toCameraRtcp(emptyReceiverReport(this.#receiverSsrc)));
    this.#every(500, () => this.emit('progress', { frames: this.#frames, bytes: this.#bytes, packetsLost: this.#lost }));
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.push(t);
  }

  /** Our side toward mediasoup: the fixed local ports the transport is connected to; RTCP from the SFU read back. */
  async #openSfuSockets(): Promise<void> {
    // Connected sockets: a send to an address string resolves it every time (dns.lookup and a
    // tick per packet — a quarter of the relay's CPU in a profile at 50 cameras). Connected,
    // a packet goes straight out, and only the transport's own RTCP comes back in.
    const open = async (port: number, peerPort: number) => {
      const s = dgram.createSocket('udp4');
      s.on('error', (err) => this.#note(`udp: ${err.message}`));
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', () => s.connect(peerPort, '127.0.0.1', () => { s.off('error', reject); resolve(); }));
      });
      if (this.#finished) { s.close(); throw new RtspError('stopped'); }
      return s;
    };
    this.#out = await open(this.#o.localRtpPort, this.#o.rtpPort);
    this.#outRtcp = await open(this.#o.localRtcpPort, this.#o.rtcpPort);
    this.#outRtcp.on('message', (msg) => {
      if (readRtcp(msg).keyframeRequest) this.#requestKeyframe();
    });
  }

  /** RTP/RTCP sockets toward the camera (UDP mode): an even/odd port pair. */
  async #openCameraSockets(): Promise<void> {
    const cameraHost = this.#conn!.remoteAddress;
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = 2 * randomInt(10000, 30000);
      const rtp = dgram.createSocket('udp4');
      const rtcp = dgram.createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => { rtp.once('error', reject); rtp.bind(port, () => resolve()); });
        await new Promise<void>((resolve, reject) => { rtcp.once('error', reject); rtcp.bind(port + 1, () => resolve()); });
      } catch {
        rtp.close();
        try { rtcp.close(); } catch { /* never bound */ }
        continue;
      }
      if (this.#finished) { rtp.close(); rtcp.close(); throw new RtspError('stopped'); }
      // Only the camera's host, and its media ports once SETUP named them, may feed the stream.
      // Anything else is dropped, not held against the camera: a stranger who could make the
      // relay give up on a camera could blind its supervisors at will.
      const fromCamera = (from: dgram.RemoteInfo, port: 'rtp' | 'rtcp') => {
        if (from.address === cameraHost && (this.#cameraPorts === undefined || from.port === this.#cameraPorts[port])) return true;
        if (this.#foreign++ === 0) this.#note(`dropped UDP data from ${from.address}:${from.port}, not the camera's media ports`);
        return false;
      };
      rtp.on('message', (msg, from) => { if (fromCamera(from, 'rtp')) this.#onCameraRtp(msg); });
      rtcp.on('message', (msg, from) => { if (fromCamera(from, 'rtcp')) this.#onCameraRtcp(msg); });
      rtp.on('error', () => undefined);
      rtcp.on('error', () => undefined);
      this.#camRtp = rtp;
      this.#camRtcp = rtcp;
      return;
    }
    throw new RtspError('no free UDP port pair for the camera');
  }

  #onCameraRtp(p: Buffer): void {
    if (this.#finished || !this.#out) return;
    const headerLen = rtpHeaderLength(p);
    if (headerLen === undefined || payloadType(p) !== this.#cameraPt) {
      if (++this.#bad > MAX_BAD_PACKETS && this.#packets === 0) this.#finish('camera sent data that is not a valid RTSP/RTP stream');
      return;
    }
    // Some cameras change SSRC on a new keyframe or encoder restart: keyframe requests and
    // sender reports follow the one the media really carries.
    this.#cameraSsrc = ssrc(p);
    const ts = timestamp(p);
    const frameStart = ts !== this.#lastTs;
    if (frameStart && this.#lastTs !== undefined && this.#timestampJumped(ts, this.#lastTs)) return;
    this.#lastTs = ts;
    const codec = this.#codec;
    const units = codec.units(p.subarray(headerLen));
    for (const name of codec.setNames) {
      const nal = units.sets[name];
      if (!nal) continue;
      // A copy: the packet's buffer is rewritten and handed on.
      if (!this.#sets[name]?.equals(nal)) this.#sets[name] = Buffer.from(nal);
      this.#paramsTs = ts;
    }
    const seqIn = sequenceNumber(p);
    this.#countLoss(seqIn);
    const idrStart = units.keyframeStart;
    if (idrStart && frameStart) this.#keyframeArrived();
    if (idrStart && this.#paramsTs !== ts) {
      const sets = codec.setNames.map((n) => this.#sets[n]);
      if (sets.every((s): s is Buffer => s !== undefined)) {
        const packet = codec.parameterSetPacket(sets, p);
        rewrite(packet, this.#o.ssrc, this.#o.payloadType, seqIn + this.#inserted);
        this.#inserted++;
        this.#forward(packet, false);
        this.#paramsTs = ts;
      }
    }
    rewrite(p, this.#o.ssrc, this.#o.payloadType, seqIn + this.#inserted);
    let out = p;
    const now = Date.now();
    if (frameStart && this.#sr && !(p[0]! & 0x10) && (idrStart || now - this.#lastAbsAt >= ABS_CAPTURE_TIME_INTERVAL_MS)) {
      const deltaTicks = (ts - this.#sr.rtpTimestamp) | 0; // signed 32-bit difference
      const captureMs = msFromNtp(this.#sr.ntp) + (deltaTicks * 1000) / this.#clockRate;
      out = withAbsCaptureTime(p, headerLen, ABS_CAPTURE_TIME_ID, ntpFromMs(captureMs));
      this.#lastAbsAt = now;
    }
    this.#forward(out, idrStart);
    if (marker(p) && ++this.#frames === 1) {
      // The first whole frame: the stream is live now, not at the next progress tick.
      this.emit('progress', { frames: this.#frames, bytes: this.#bytes, packetsLost: this.#lost });
    }
  }

  /**
   * Whether the step from `last` to `ts` is a jump that ends the run. A jump drops the sender
   * report it followed (capture times computed across it would be hours off) until the next.
   */
  #timestampJumped(ts: number, last: number): boolean {
    const stepMs = (((ts - last) | 0) * 1000) / this.#clockRate;
    if (Math.abs(stepMs) <= TIMESTAMP_JUMP_MS) return false;
    this.#sr = undefined;
    const now = Date.now();
    this.#jumps = this.#jumps.filter((at) => now - at < TIMESTAMP_JUMP_WINDOW_MS);
    this.#jumps.push(now);
    if (this.#jumps.length <= MAX_TIMESTAMP_JUMPS) return false;
    this.#finish(`camera's RTP timestamps jumped ${this.#jumps.length} times within ${TIMESTAMP_JUMP_WINDOW_MS / 1000} s`);
    return true;
  }

  /**
   * Sequence gaps as lost packets; a late packet (reordered over UDP) takes its gap back.
   * A jump of more than MAX_SEQ_JUMP is a camera restart of its numbering, not loss.
   */
  #countLoss(seq: number): void {
    const last = this.#lastSeqIn;
    if (last === undefined) {
      this.#lastSeqIn = seq;
      return;
    }
    const delta = (seq - last) & 0xffff;
    if (delta === 0) return;
    if (delta < 0x8000) {
      if (delta <= MAX_SEQ_JUMP) this.#lost += delta - 1;
      this.#lastSeqIn = seq;
    } else if (0x10000 - delta <= MAX_SEQ_JUMP && this.#lost > 0) {
      this.#lost--;
    }
  }

  /** To the shared producer, into the GOP cache, and to every open fast-start stream. */
  #forward(p: Buffer, idrStart: boolean): void {
    this.#packets++;
    this.#bytes += p.length;
    this.#out!.send(p);
    this.#gop.add(p, idrStart);
    for (const feed of this.#fastStarts) feed.live(p);
  }

  #keyframeArrived(): void {
    if (this.#keyframeAskedAt === undefined) return;
    this.#honoursKeyframeRequests = Date.now() - this.#keyframeAskedAt <= KEYFRAME_ANSWER_MS;
    this.#keyframeAskedAt = undefined;
  }

  /** Whether the camera answers keyframe requests (undefined until one was asked). */
  get honoursKeyframeRequests(): boolean | undefined {
    if (this.#keyframeAskedAt !== undefined && Date.now() - this.#keyframeAskedAt > KEYFRAME_ANSWER_MS) return false;
    return this.#honoursKeyframeRequests;
  }

  /**
   * A fast-start stream under `ssrc`, or undefined when no GOP is cached. `onEnd`: the feed
   * ended on its own (its viewer never started it, or it held back too much).
   */
  openFastStart(ssrc: number, onEnd?: () => void): FastStart | undefined {
    if (this.#finished || this.#gop.packets.length === 0) return undefined;
    const feed: FastStartFeed = new FastStartFeed(ssrc, this.#o.payloadType, (b) => this.#out?.send(b), {
      onEnd: () => {
        this.#fastStarts.delete(feed);
        onEnd?.();
      },
    });
    this.#fastStarts.add(feed);
    // The GOP as it is now: the feed holds every later packet until the replay is done.
    const cached = [...this.#gop.packets];
    return {
      start: () => feed.start(cached),
      close: () => { feed.close(); this.#fastStarts.delete(feed); },
    };
  }

  #onCameraRtcp(b: Buffer): void {
    if (this.#finished) return;
    const { senderReport: sr } = readRtcp(b);
    if (!sr || (this.#cameraSsrc !== undefined && sr.ssrc !== this.#cameraSsrc)) return;
    const ntpMs = senderClockMs(sr.ntp);
    // A camera without a clock: no capture times, as for one that sends no reports.
    if (ntpMs === undefined) return;
    this.#sr = sr;
    this.emit('clock', { ntpMs, rtpTimestamp: sr.rtpTimestamp, clockRate: this.#clockRate });
    this.#outRtcp?.send(senderReport(this.#o.ssrc, sr, this.#packets, this.#bytes));
  }

  /**
   * A PLI to the camera, at most one per KEYFRAME_REQUEST_MIN_INTERVAL_MS. A request inside
   * the interval is not dropped but sent at its end (a viewer who joins just after another
   * needs an IDR newer than the one the first asked for).
   */
  #requestKeyframe(): void {
    const now = Date.now();
    if (this.#cameraSsrc === undefined || this.#finished) return;
    const wait = this.#lastKeyframeRequest + KEYFRAME_REQUEST_MIN_INTERVAL_MS - now;
    if (wait > 0) {
      if (!this.#keyframeTimer) {
        this.#keyframeTimer = setTimeout(() => {
          this.#keyframeTimer = undefined;
          this.#requestKeyframe();
        }, wait);
        this.#timers.push(this.#keyframeTimer);
      }
      return;
    }
    this.#lastKeyframeRequest = now;
    this.#keyframeAskedAt ??= now;
    this.#toCameraRtcp(pliPacket(this.#receiverSsrc, this.#cameraSsrc));
  }

  #toCameraRtcp(b: Buffer): void {
    if (this.#finished) return;
    if (this.#camRtcp && this.#camRtcpAddress) this.#camRtcp.send(b, this.#camRtcpAddress.port, this.#camRtcpAddress.host);
    else if (!this.#camRtcp) this.#conn?.sendInterleaved(this.#channels.rtcp, b);
  }

  #finish(reason: string): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    for (const feed of this.#fastStarts) feed.close();
    this.#fastStarts.clear();
    this.#gop.clear();
    for (const s of [this.#out, this.#outRtcp, this.#camRtp, this.#camRtcp]) {
      try { s?.close(); } catch { /* already closed */ }
    }
    this.#conn?.removeAllListeners('close');
    this.#conn?.close();
    const requested = this.#stopRequested;
    if (!requested) this.#note(reason);
    this.emit('exit', { code: null, signal: null, reason: requested ? 'stopped' : reason, requested });
    this.#resolveExited();
  }

  /** TEARDOWN (briefly awaited), then closes everything. Idempotent. */
  async stop(graceMs = 500): Promise<void> {
    if (!this.#finished) {
      this.#stopRequested = true;
      const conn = this.#conn;
      if (conn?.session && !conn.closed) {
        await Promise.race([conn.request('TEARDOWN', this.#aggregateUrl ?? splitCredentials(this.#o.url).url).catch(() => undefined), new Promise((r) => setTimeout(r, graceMs))]);
      }
      this.#finish('stopped');
    }
    await this.#exited;
  }
}

/**
 * Where a camera's redirect leads, if the relay may follow it: RTSP on the camera's own host
 * (a camera pointing elsewhere could hand its viewers, and its credentials, to anyone).
 * `samePort`: the camera's own address, where its credentials may go.
 */
export function redirectTarget(cameraUrl: string, location: string, current: string): { url: string; samePort: boolean } {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new RtspError(`camera redirected to an invalid address (${location.slice(0, 100)})`);
  }
  const camera = new URL(cameraUrl);
  if (next.protocol !== 'rtsp:') throw new RtspError(`camera redirected to a ${next.protocol.replace(':', '')} address; not followed`);
  if (next.hostname !== camera.hostname) throw new RtspError(`camera redirected to another host (${next.hostname}); not followed`);
  next.username = '';
  next.password = '';
  return { url: next.toString(), samePort: (next.port || '554') === (camera.port || '554') };
}
