// The relay's media half: a camera's RTP packets to the stream's PlainTransport as they arrive.
// Per packet it only rewrites SSRC, payload type and sequence number in place (no copy), and
//  - inserts the parameter sets (SPS/PPS, and VPS for H.265; from the SDP, or the last
//    in-band ones) before a keyframe that lacks them: a browser joining mid-stream cannot
//    decode without them;
//  - counts lost packets from sequence gaps, and fails a camera whose timestamps keep jumping;
//  - keeps the GOP cache, feeds the fast-start streams, and sends again from the cache what the
//    worker reports lost on the way in (NACK);
//  - passes keyframe requests from the SFU to the camera as RTCP PLI, rate-limited, and
//    learns whether the camera honours them;
//  - carries the camera's capture clock (its RTCP sender reports) to viewers as the
//    abs-capture-time header extension, and sends the camera receiver reports.
// It knows nothing of RTSP: the session (rtsp/RtspSession.ts) hands it packets and carries
// its RTCP to the camera.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { FastStartFeed, GopCache } from '../FastStart.js';
import type { CameraClock, FastStart, IngestTarget } from '../Ingest.js';
import {
  ABS_CAPTURE_TIME_URI, emptyReceiverReport, marker, msFromNtp, ntpFromMs, payloadType, pliPacket, senderClockMs,
  readRtcp, rewrite, rtpHeaderLength, senderReport, sequenceNumber, ssrc, timestamp, withAbsCaptureTime,
  type SenderReport,
} from './rtp.js';
import type { NalCodec, ParameterSets } from './nal-codec.js';

export { ABS_CAPTURE_TIME_URI };
/** Header extension id used for abs-capture-time on the producer. */
export const ABS_CAPTURE_TIME_ID = 1;
const KEYFRAME_REQUEST_MIN_INTERVAL_MS = 300;
/** A keyframe request answered by an IDR within this long counts as honoured. */
const KEYFRAME_ANSWER_MS = 600;
/** An IDR this close to where the camera's own IDR interval puts the next one is on its schedule. */
const IDR_SCHEDULE_TOLERANCE_MS = 200;
const RECEIVER_REPORT_INTERVAL_MS = 5000;
const ABS_CAPTURE_TIME_INTERVAL_MS = 1000;
/** Packets that are not our RTP before the stream counts as garbage. */
const MAX_BAD_PACKETS = 100;
/** A sequence jump larger than this is a renumbering (camera restart), not loss. */
const MAX_SEQ_JUMP = 3000;
/** A frame-to-frame RTP timestamp step beyond this, either way, is a jump. */
const TIMESTAMP_JUMP_MS = 5000;
/**
 * Jumps tolerated within TIMESTAMP_JUMP_WINDOW_MS: an encoder restart makes one, a camera
 * whose clock jumps again and again gives viewers nothing they can play in time.
 */
const MAX_TIMESTAMP_JUMPS = 5;
const TIMESTAMP_JUMP_WINDOW_MS = 60_000;

export interface RtpForwarderOptions extends IngestTarget {
  codec: NalCodec;
  /** The camera's payload type and clock rate, from its SDP. */
  cameraPayloadType: number;
  clockRate: number;
  /** The parameter sets of the SDP, if it had them. */
  sets: ParameterSets;
  /** RTCP toward the camera (receiver reports, keyframe requests). */
  toCamera(packet: Buffer): void;
}

export interface RtpForwarderEvents {
  /** The camera's clock mapping, from a sender report that carried a wall clock. */
  clock: [CameraClock];
  /** The first whole frame went out. */
  firstFrame: [];
  /** The camera's media cannot be carried on; the reason says why. */
  failed: [reason: string];
}

export interface ForwarderStats {
  frames: number;
  bytes: number;
  packets: number;
  packetsLost: number;
  /** Packets sent again to the worker on its NACKs. */
  resent: number;
}

/**
 * The packet of sequence number `seq` in `packets` (in sending order, numbered consecutively
 * except where the camera lost some): looked up where the numbering puts it, then walked
 * back over the gaps.
 */
export function findBySeq(packets: readonly Buffer[], seq: number): Buffer | undefined {
  const first = sequenceNumber(packets[0]!);
  const offset = (seq - first) & 0xffff;
  if (offset >= 0x8000) return undefined; // before the cache
  for (let i = Math.min(offset, packets.length - 1); i >= 0; i--) {
    const at = sequenceNumber(packets[i]!);
    if (at === seq) return packets[i];
    if (((seq - at) & 0xffff) < 0x8000) return undefined; // walked past it: never forwarded
  }
  return undefined;
}

export class RtpForwarder extends EventEmitter<RtpForwarderEvents> {
  readonly #o: RtpForwarderOptions;
  readonly #out: dgram.Socket;
  readonly #outRtcp: dgram.Socket;
  /** The report interval (one entry: the keyframe timer is kept apart, it comes and goes). */
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #receiverSsrc = randomInt(1, 2 ** 31);
  #cameraSsrc?: number;
  /** Receiver reports and keyframe requests go to the camera only once it plays. */
  #playing = false;
  /** A keyframe request that came before PLAY, sent when it plays. */
  #keyframeWanted = false;
  /** The parameter sets in force (SDP first, then the last in-band ones). */
  readonly #sets: ParameterSets;
  /** RTP timestamp of the last in-band parameter sets. */
  #paramsTs?: number;
  #inserted = 0;
  #lastTs?: number;
  /** RTP timestamp of the last IDR seen. */
  #lastIdrTs?: number;
  #sr?: SenderReport;
  #lastAbsAt = 0;
  #lastKeyframeRequest = 0;
  #keyframeTimer?: NodeJS.Timeout;
  readonly #gop = new GopCache();
  readonly #fastStarts = new Set<FastStartFeed>();
  /** When the oldest unanswered keyframe request went out. */
  #keyframeAskedAt?: number;
  #honoursKeyframeRequests?: boolean;
  /** When the last IDR arrived, and whether it came on the camera's own schedule (not as an answer). */
  #lastIdrAt?: number;
  #lastIdrScheduled = false;
  /** The camera's own IDR interval: between its last two IDRs that were no answers. */
  #idrIntervalMs?: number;
  #frames = 0;
  #bytes = 0;
  #packets = 0;
  #lost = 0;
  #resent = 0;
  /** The camera's last sequence number (before our rewrite), for loss counting. */
  #lastSeqIn?: number;
  #bad = 0;
  /** When the recent timestamp jumps happened (at most MAX_TIMESTAMP_JUMPS + 1 kept). */
  #jumps: number[] = [];
  #closed = false;

  private constructor(o: RtpForwarderOptions, out: dgram.Socket, outRtcp: dgram.Socket) {
    super();
    this.#o = o;
    this.#sets = { ...o.sets };
    this.#out = out;
    this.#outRtcp = outRtcp;
    outRtcp.on('message', (msg) => {
      const rtcp = readRtcp(msg);
      if (rtcp.keyframeRequest) this.#requestKeyframe();
      // Lost on the way into the worker (its socket's receive buffer overflowed while it was not
      // scheduled): the shared stream's packets are sent again from the GOP cache, a fast
      // start's from its own history (FastStart.ts).
      for (const nack of rtcp.nacks ?? []) {
        if (nack.ssrc === this.#o.ssrc) this.#resend(nack.seqs);
        else for (const feed of this.#fastStarts) if (feed.ssrc === nack.ssrc) feed.resend(nack.seqs);
      }
    });
  }

  /** Starts the receiver reports to the camera (once it plays: nothing goes to it before). */
  startReports(): void {
    if (this.#closed || this.#playing) return;
    this.#playing = true;
    if (this.#keyframeWanted) this.#requestKeyframe();
    const t = setInterval(() => this.#o.toCamera(emptyReceiverReport(this.#receiverSsrc)), RECEIVER_REPORT_INTERVAL_MS);
    t.unref();
    this.#timers.push(t);
  }

  /**
   * Opens the sockets toward mediasoup: the fixed local ports the transport is connected to,
   * connected in turn to the transport's ports. (A send to an address string resolves it every
   * time: dns.lookup and a tick per packet, a quarter of the relay's CPU in a profile at 50
   * cameras. Connected, a packet goes straight out, and only the transport's RTCP comes in.)
   */
  static async open(o: RtpForwarderOptions): Promise<RtpForwarder> {
    const open = async (port: number, peerPort: number) => {
      const s = dgram.createSocket('udp4');
      s.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', () => s.connect(peerPort, '127.0.0.1', () => { s.off('error', reject); resolve(); }));
      });
      return s;
    };
    const out = await open(o.localRtpPort, o.rtpPort);
    try {
      return new RtpForwarder(o, out, await open(o.localRtcpPort, o.rtcpPort));
    } catch (err) {
      out.close();
      throw err;
    }
  }

  /**
   * The SSRC the camera announced in its SETUP answer: keyframe requests can be addressed
   * before its first packet (a viewer who arrives with the producer asks at once). Its
   * packets, once they come, decide (see rtp()).
   */
  announceCameraSsrc(cameraSsrc: number): void {
    this.#cameraSsrc ??= cameraSsrc >>> 0;
  }

  get stats(): ForwarderStats {
    return { frames: this.#frames, bytes: this.#bytes, packets: this.#packets, packetsLost: this.#lost, resent: this.#resent };
  }

  /**
   * Sends again the shared stream's packets of `seqs` that the GOP cache still holds (every
   * packet since the last IDR: a lost packet of the IDR itself, which blacks every viewer of a
   * camera that ignores keyframe requests until its next one, is always there). Older ones
   * are gone; the worker gives up on them and asks for a keyframe.
   */
  #resend(seqs: readonly number[]): void {
    const cached = this.#gop.packets;
    if (cached.length === 0) return;
    for (const seq of seqs) {
      const p = findBySeq(cached, seq);
      if (!p) continue;
      this.#resent++;
      this.#out.send(p);
    }
  }

  /** Whether the camera answers keyframe requests (undefined until it was seen either way). */
  get honoursKeyframeRequests(): boolean | undefined {
    if (this.#keyframeAskedAt !== undefined && Date.now() - this.#keyframeAskedAt > KEYFRAME_ANSWER_MS) return false;
    return this.#honoursKeyframeRequests;
  }

  /** One RTP packet from the camera; its buffer is rewritten and handed on. */
  rtp(p: Buffer): void {
    if (this.#closed) return;
    const headerLen = rtpHeaderLength(p);
    if (headerLen === undefined || payloadType(p) !== this.#o.cameraPayloadType) {
      if (++this.#bad > MAX_BAD_PACKETS && this.#packets === 0) this.#fail('camera sent data that is not a valid RTSP/RTP stream');
      return;
    }
    // Some cameras change SSRC on a new keyframe or encoder restart: keyframe requests and
    // sender reports follow the one the media really carries.
    this.#cameraSsrc = ssrc(p);
    if (this.#keyframeWanted && this.#playing) this.#requestKeyframe();
    const ts = timestamp(p);
    const frameStart = ts !== this.#lastTs;
    if (frameStart && this.#lastTs !== undefined && this.#timestampJumped(ts, this.#lastTs)) return;
    this.#lastTs = ts;
    const codec = this.#o.codec;
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
    // The IDR's first packet, which need not be its access unit's first: cameras often send
    // SPS and PPS as packets of their own ahead of it, under the same timestamp.
    if (idrStart && ts !== this.#lastIdrTs) {
      this.#lastIdrTs = ts;
      this.#keyframeArrived();
    }
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
      const captureMs = msFromNtp(this.#sr.ntp) + (deltaTicks * 1000) / this.#o.clockRate;
      out = withAbsCaptureTime(p, headerLen, ABS_CAPTURE_TIME_ID, ntpFromMs(captureMs));
      this.#lastAbsAt = now;
    }
    this.#forward(out, idrStart);
    // The first whole frame: the stream is live now, not at the next progress tick.
    if (marker(p) && ++this.#frames === 1) this.emit('firstFrame');
  }

  /** One RTCP packet from the camera: its sender reports give the capture clock. */
  rtcp(b: Buffer): void {
    if (this.#closed) return;
    const { senderReport: sr } = readRtcp(b);
    if (!sr || (this.#cameraSsrc !== undefined && sr.ssrc !== this.#cameraSsrc)) return;
    const ntpMs = senderClockMs(sr.ntp);
    // A camera without a clock: no capture times, as for one that sends no reports.
    if (ntpMs === undefined) return;
    this.#sr = sr;
    this.emit('clock', { ntpMs, rtpTimestamp: sr.rtpTimestamp, clockRate: this.#o.clockRate });
    this.#outRtcp.send(senderReport(this.#o.ssrc, sr, this.#packets, this.#bytes));
  }

  /**
   * Whether the step from `last` to `ts` is a jump that ends the run. A jump drops the sender
   * report it followed (capture times computed across it would be hours off) until the next.
   */
  #timestampJumped(ts: number, last: number): boolean {
    const stepMs = (((ts - last) | 0) * 1000) / this.#o.clockRate;
    if (Math.abs(stepMs) <= TIMESTAMP_JUMP_MS) return false;
    this.#sr = undefined;
    const now = Date.now();
    this.#jumps = this.#jumps.filter((at) => now - at < TIMESTAMP_JUMP_WINDOW_MS);
    this.#jumps.push(now);
    if (this.#jumps.length <= MAX_TIMESTAMP_JUMPS) return false;
    this.#fail(`camera's RTP timestamps jumped ${this.#jumps.length} times within ${TIMESTAMP_JUMP_WINDOW_MS / 1000} s`);
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
    this.#out.send(p);
    this.#gop.add(p, idrStart);
    for (const feed of this.#fastStarts) feed.live(p);
  }

  /**
   * Judges whether the camera answers keyframe requests. The two mistakes cost differently:
   * taking a camera that ignores them for one that honours them leaves every new viewer
   * black until its next IDR (seconds), the other way costs each viewer a short fast-start
   * stream. So the run's first IDR proves nothing, and a timely IDR overturns a verdict of
   * "ignores" only when the camera's own IDR interval is known and does not explain it: a
   * camera with a 10 s GOP is asked often enough that one of its own IDRs comes soon after
   * some request now and then. Until a verdict of "honours", viewers get fast starts.
   */
  #keyframeArrived(): void {
    const now = Date.now();
    const askedAt = this.#keyframeAskedAt;
    this.#keyframeAskedAt = undefined;
    const since = this.#lastIdrAt === undefined ? undefined : now - this.#lastIdrAt;
    const onSchedule = since !== undefined && this.#idrIntervalMs !== undefined && Math.abs(since - this.#idrIntervalMs) <= IDR_SCHEDULE_TOLERANCE_MS;
    let scheduled: boolean;
    if (this.#lastIdrAt === undefined) {
      // The run's first IDR: most cameras open a session with one whether asked or not, and
      // a viewer's request is usually waiting for it. No evidence either way.
      scheduled = true;
    } else if (askedAt === undefined || now - askedAt > KEYFRAME_ANSWER_MS) {
      // Not asked for, or too late to be an answer: the camera's own.
      if (askedAt !== undefined) this.#honoursKeyframeRequests = false;
      scheduled = true;
    } else if (onSchedule) {
      // In time, but where the camera's own would come anyway: no evidence either way.
      scheduled = true;
    } else if (this.#honoursKeyframeRequests === false && this.#idrIntervalMs === undefined) {
      // In time after the camera was seen to ignore a request, with nothing to tell its
      // own IDRs from answers: keep the verdict (and measure no interval from this one).
      scheduled = false;
    } else {
      this.#honoursKeyframeRequests = true;
      scheduled = false;
    }
    if (scheduled && this.#lastIdrScheduled && since !== undefined) this.#idrIntervalMs = since;
    this.#lastIdrAt = now;
    this.#lastIdrScheduled = scheduled;
  }

  /**
   * A fast-start stream under `ssrc`, or undefined when no GOP is cached. `onEnd`: the feed
   * ended on its own (its viewer never started it, or it held back too much).
   */
  openFastStart(ssrc: number, onEnd?: () => void): FastStart | undefined {
    if (this.#closed || this.#gop.packets.length === 0) return undefined;
    const feed: FastStartFeed = new FastStartFeed(ssrc, this.#o.payloadType, (b) => { if (!this.#closed) this.#out.send(b); }, {
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

  /**
   * A PLI to the camera, at most one per KEYFRAME_REQUEST_MIN_INTERVAL_MS. A request inside
   * the interval is not dropped but sent at its end (a viewer who joins just after another
   * needs an IDR newer than the one the first asked for).
   */
  #requestKeyframe(): void {
    const now = Date.now();
    if (this.#closed) return;
    if (this.#cameraSsrc === undefined || !this.#playing) {
      // Asked before the camera plays or named its SSRC: sent once it does (startReports, rtp).
      this.#keyframeWanted = true;
      return;
    }
    this.#keyframeWanted = false;
    const wait = this.#lastKeyframeRequest + KEYFRAME_REQUEST_MIN_INTERVAL_MS - now;
    if (wait > 0) {
      if (!this.#keyframeTimer) {
        this.#keyframeTimer = setTimeout(() => {
          this.#keyframeTimer = undefined;
          this.#requestKeyframe();
        }, wait);
      }
      return;
    }
    this.#lastKeyframeRequest = now;
    this.#keyframeAskedAt ??= now;
    this.#o.toCamera(pliPacket(this.#receiverSsrc, this.#cameraSsrc));
  }

  #fail(reason: string): void {
    if (this.#closed) return;
    this.emit('failed', reason);
  }

  /** Closes the sockets, the fast starts and the cache. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    clearTimeout(this.#keyframeTimer);
    for (const feed of this.#fastStarts) feed.close();
    this.#fastStarts.clear();
    this.#gop.clear();
    for (const s of [this.#out, this.#outRtcp]) {
      try { s.close(); } catch { /* already closed */ }
    }
  }
}
