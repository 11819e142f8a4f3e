// Instant start for cameras that ignore keyframe requests (docs/media.md): the relay keeps
// the current GOP, and a new viewer gets a short-lived stream of its own that starts with
// that GOP, replayed at once with its timestamps compressed (so the browser decodes up to
// the live edge instead of playing it seconds late), and continues live until the viewer
// has switched to the shared stream at the camera's next IDR.
import { randomInt } from 'node:crypto';
import { rewrite, timestamp } from './rtp/rtp.js';

/** Beyond this, a GOP is not cached (a camera with a huge GOP or bitrate). */
export const GOP_CACHE_MAX_BYTES = 8 * 1024 * 1024;
/** Spacing of the replayed frames' timestamps: 1 ms at 90 kHz. */
const REPLAY_TICKS_PER_FRAME = 90;
/** Replay pacing: packets per burst, and the pause between bursts (keeps socket buffers from overflowing). */
const REPLAY_BURST = 48;
const REPLAY_PAUSE_MS = 2;

/**
 * The packets since the start of the last IDR access unit, as forwarded. It begins with that
 * access unit's parameter sets, which is what makes a receiver (and mediasoup, which keys on
 * SPS) treat it as a keyframe. Each packet is copied into memory of its own size: a packet
 * read over RTSP/TCP is a view into the connection's read buffer, and keeping views would
 * keep whole read buffers alive behind a cap that counts only the packets' bytes.
 */
export class GopCache {
  #packets: Buffer[] = [];
  #bytes = 0;
  /** Index of the first packet of the current access unit. */
  #auStart = 0;
  #lastTs?: number;
  /** The cache holds a whole GOP from its IDR on. */
  #keyed = false;

  /** Every forwarded packet, in order. `idrStart`: the packet starts an IDR picture. */
  add(p: Buffer, idrStart: boolean): void {
    const ts = timestamp(p);
    if (ts !== this.#lastTs) {
      this.#lastTs = ts;
      this.#auStart = this.#packets.length;
      // Before the first IDR only the current access unit is worth keeping.
      if (!this.#keyed) this.#drop(this.#auStart);
    }
    if (idrStart && !(this.#keyed && this.#auStart === 0)) {
      // The IDR's access unit (its parameter sets included) begins the new GOP.
      this.#drop(this.#auStart);
      this.#keyed = true;
    }
    if (this.#bytes + p.length > GOP_CACHE_MAX_BYTES) {
      // Too big to keep: wait for the next IDR.
      this.#drop(this.#packets.length);
      this.#keyed = false;
      return;
    }
    const own = Buffer.allocUnsafeSlow(p.length);
    p.copy(own);
    this.#packets.push(own);
    this.#bytes += p.length;
  }

  /** Drops the first `n` packets. */
  #drop(n: number): void {
    if (n === 0) return;
    this.#packets = this.#packets.slice(n);
    this.#bytes = this.#packets.reduce((sum, b) => sum + b.length, 0);
    this.#auStart = Math.max(0, this.#auStart - n);
  }

  /** The cached GOP, or nothing while no IDR has been seen. */
  get packets(): readonly Buffer[] {
    return this.#keyed ? this.#packets : [];
  }

  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.#packets = [];
    this.#bytes = 0;
    this.#auStart = 0;
    this.#lastTs = undefined;
    this.#keyed = false;
  }
}

/**
 * A feed whose viewer never starts it (never resumes its consumer) ends after this: until
 * its start it holds every live packet, which must not grow without bound.
 */
export const FAST_START_START_TIMEOUT_MS = 10_000;
/** What a feed may hold back (before its start, and during its replay) before it ends. */
export const FAST_START_QUEUE_MAX_BYTES = GOP_CACHE_MAX_BYTES;

export interface FastStartFeedOptions {
  startTimeoutMs?: number;
  maxQueuedBytes?: number;
  /** Called once when the feed ends on its own (never started in time, or held back too much). */
  onEnd?: (reason: 'not started' | 'queue full') => void;
}

/**
 * Packets a feed keeps after sending them, to send again when the SFU reports them lost (a
 * NACK). The replay is a burst of a whole GOP into the worker's socket, whose receive buffer a
 * worker that was not scheduled for a few milliseconds overflows: a lost packet of the IDR
 * would leave the viewer black until the camera's next one, the very wait a fast start is for.
 */
export const FAST_START_RESEND_HISTORY = 512;

/** One viewer's fast-start stream: the cached GOP, then live packets, under its own SSRC. */
export class FastStartFeed {
  readonly ssrc: number;
  readonly #send: (p: Buffer) => void;
  readonly #payloadType: number;
  readonly #maxQueued: number;
  readonly #onEnd?: FastStartFeedOptions['onEnd'];
  #seq = randomInt(0, 0x8000);
  #replaying = true;
  #started = false;
  #queued: Buffer[] = [];
  #queuedBytes = 0;
  #closed = false;
  #startTimer: NodeJS.Timeout | undefined;
  /** The last FAST_START_RESEND_HISTORY packets sent, by sequence number (insertion order is sending order). */
  readonly #sent = new Map<number, Buffer>();
  #resent = 0;

  constructor(ssrc: number, payloadType: number, send: (p: Buffer) => void, options: FastStartFeedOptions = {}) {
    this.ssrc = ssrc;
    this.#payloadType = payloadType;
    this.#send = send;
    this.#maxQueued = options.maxQueuedBytes ?? FAST_START_QUEUE_MAX_BYTES;
    this.#onEnd = options.onEnd;
    this.#startTimer = setTimeout(() => this.#end('not started'), options.startTimeoutMs ?? FAST_START_START_TIMEOUT_MS);
    this.#startTimer.unref();
  }

  /** Bytes held back, waiting for the start or the end of the replay. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Replays `cached` (paced, timestamps compressed), then sends what arrived meanwhile. Once. */
  start(cached: readonly Buffer[]): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    clearTimeout(this.#startTimer);
    const frames = [...new Set(cached.map(timestamp))];
    const last = frames.at(-1);
    const mapped = new Map(frames.map((ts, i) => [ts, (last! - (frames.length - 1 - i) * REPLAY_TICKS_PER_FRAME) >>> 0]));
    const copies = cached.map((p) => {
      const c = this.#copy(p);
      c.writeUInt32BE(mapped.get(timestamp(p))!, 4);
      return c;
    });
    let i = 0;
    const burst = () => {
      if (this.#closed) return;
      for (const end = Math.min(copies.length, i + REPLAY_BURST); i < end; i++) this.#emit(copies[i]!);
      if (i < copies.length) {
        setTimeout(burst, REPLAY_PAUSE_MS);
        return;
      }
      // The last cached frame kept its own timestamp: live packets follow it unchanged.
      this.#replaying = false;
      for (const q of this.#queued) this.#emit(q);
      this.#queued = [];
      this.#queuedBytes = 0;
    };
    burst();
  }

  /** A live packet as forwarded on the shared stream. */
  live(p: Buffer): void {
    if (this.#closed) return;
    if (!this.#replaying) {
      this.#emit(this.#copy(p));
      return;
    }
    if (this.#queuedBytes + p.length > this.#maxQueued) {
      this.#end('queue full');
      return;
    }
    this.#queued.push(this.#copy(p));
    this.#queuedBytes += p.length;
  }

  #end(reason: 'not started' | 'queue full'): void {
    if (this.#closed) return;
    this.close();
    this.#onEnd?.(reason);
  }

  #copy(p: Buffer): Buffer {
    const c = Buffer.from(p);
    rewrite(c, this.ssrc, this.#payloadType, 0);
    return c;
  }

  /** Sequence numbers follow the order of sending, whatever the order of copying. */
  #emit(c: Buffer): void {
    c.writeUInt16BE(this.#seq, 2);
    this.#sent.delete(this.#seq);
    this.#sent.set(this.#seq, c);
    if (this.#sent.size > FAST_START_RESEND_HISTORY) this.#sent.delete(this.#sent.keys().next().value!);
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#send(c);
  }

  /** Sends again the packets of `seqs` it still has (a NACK from the SFU); the others are gone. */
  resend(seqs: readonly number[]): void {
    if (this.#closed) return;
    for (const seq of seqs) {
      const p = this.#sent.get(seq);
      if (!p) continue;
      this.#resent++;
      this.#send(p);
    }
  }

  /** Packets sent again on request so far. */
  get resent(): number {
    return this.#resent;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#startTimer);
    this.#sent.clear();
    this.#queued = [];
    this.#queuedBytes = 0;
  }
}
