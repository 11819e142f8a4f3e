// A tile's subscription lifecycle, apart from its DOM: which stream it wants, subscribing and
// re-subscribing (backoff, the camera coming back, the server closing the consumer, a
// reconnect), the fast-start hand-over and the main/sub switch without a black frame.
// Everything it shows goes through a TileSurface, and its timers are injected, so the whole
// lifecycle runs (and is tested: tests/unit/tile-subscription.test.ts) without a page.
import type { MediaClient, Subscription } from './MediaClient.js';
import { RequestError } from './signaling.js';

/** What the lifecycle needs of the camera. */
export interface TileCamera {
  id: string;
  hasSubStream: boolean;
}

/** The part of MediaClient the lifecycle uses. */
export type TileMedia = Pick<MediaClient, 'subscribe' | 'unsubscribe' | 'endFastStart'>;

export interface TileTimers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number | undefined): void;
}

/** What the tile shows, as the lifecycle sees it. */
export type TileStatus =
  /** Subscribing, or waiting to retry (a spinner; over the old picture during a switch). */
  | { kind: 'connecting'; error?: unknown }
  /** A subscription exists; its picture comes with its first frame. */
  | { kind: 'subscribed' }
  /** The server says this person may not watch the camera (no retry). */
  | { kind: 'noAccess' }
  /** The browser cannot decode the camera's codec (looked at again now and then). */
  | { kind: 'cannotDecode' }
  /** Access was withdrawn while watching (no retry). */
  | { kind: 'revoked' }
  /** Nothing subscribed: no camera, or paused. */
  | { kind: 'idle' };

/** The DOM side: two live <video>s taking turns, and one for the fast start. */
export interface TileSurface {
  /** Plays `sub` (and its fast start, if any) in the current <video>. */
  play(sub: Subscription): Promise<void>;
  /** A switch begins: the current <video> keeps the old picture on top; the other becomes current. */
  swap(): void;
  /** The old picture of a switch is no longer needed. */
  releaseOutgoing(): void;
  /** The fast start's <video> is no longer needed. */
  releaseFastStart(): void;
  /** The current <video> shows nothing. */
  clearPicture(): void;
  status(status: TileStatus): void;
}

/** Retry delays: 500 ms doubling to 5 s; 250 ms after the server closed a consumer. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;
const RETRY_AFTER_CLOSE_MS = 250;
const RETRY_UNDECODABLE_MS = 30_000;

export class TileSubscription {
  readonly #media: TileMedia;
  readonly #surface: TileSurface;
  readonly #timers: TileTimers;
  #camera?: TileCamera;
  #sub?: Subscription;
  /** The stream being replaced, shown until #sub renders. */
  #outgoing?: Subscription;
  #wanted: 'main' | 'sub';
  #active = true;
  /** Bumped by every subscribe and stop: an answer for an older one is stale. */
  #generation = 0;
  #retryTimer?: number;
  #attempt = 0;

  constructor(media: TileMedia, surface: TileSurface, stream: 'main' | 'sub', timers: TileTimers) {
    this.#media = media;
    this.#surface = surface;
    this.#wanted = stream;
    this.#timers = timers;
  }

  /** The subscription playing (or about to), if any. */
  get current(): Subscription | undefined {
    return this.#sub;
  }

  get camera(): TileCamera | undefined {
    return this.#camera;
  }

  get active(): boolean {
    return this.#active;
  }

  /** The stream shown (or to be shown): main for a camera without a sub stream. */
  get stream(): 'main' | 'sub' {
    return this.#sub?.stream ?? this.#served(this.#wanted);
  }

  /** Whether a main/sub switch is under way (the old stream still shows until the new renders). */
  get switching(): boolean {
    return this.#outgoing !== undefined;
  }

  /** Whether a retry is waiting (the camera is down or the server refused for now). */
  get retrying(): boolean {
    return this.#retryTimer !== undefined;
  }

  #served(kind: 'main' | 'sub'): 'main' | 'sub' {
    return kind === 'sub' && this.#camera && !this.#camera.hasSubStream ? 'main' : kind;
  }

  /** Watches `camera` (undefined: nothing); the previous one's subscription ends. */
  show(camera: TileCamera | undefined): void {
    void this.stop();
    this.#camera = camera;
    if (camera) void this.#subscribe();
  }

  /** The sub stream in a grid, the main stream when maximized; the picture stays until the other renders. */
  setStream(kind: 'main' | 'sub'): void {
    if (kind === this.#wanted) return;
    this.#wanted = kind;
    if (!this.#camera || !this.#active) return;
    if (this.#sub?.stream === this.#served(kind)) return;
    if (this.#sub) this.#beginHandover(this.#sub);
    this.#restartNow();
  }

  /** Paused: consumes nothing, keeps its camera. */
  setActive(active: boolean): void {
    if (active === this.#active) return;
    this.#active = active;
    if (!this.#camera) return;
    if (!active) void this.stop();
    else void this.#subscribe();
  }

  /** The camera is live again: a waiting retry goes now rather than after its backoff. */
  cameraLive(): void {
    if (!this.#sub && this.#camera && this.#active && this.#retryTimer !== undefined) this.#restartNow();
  }

  /** After the signaling connection came back: the server has nothing of the old session. */
  resubscribe(): void {
    if (!this.#camera) return;
    this.#endHandover();
    if (this.#sub) this.#endFastStart(this.#sub);
    this.#sub?.consumer.close();
    this.#sub = undefined;
    this.#restartNow();
  }

  /** The current <video> rendered a frame of #sub: the fast start and the old stream have done their job. */
  rendered(): void {
    if (!this.#sub) return;
    if (this.#sub.fast) this.#endFastStart(this.#sub);
    this.#endHandover();
  }

  /** The fast start rendered a frame: the old stream of a switch can go. */
  fastRendered(): void {
    if (this.#sub?.fast) this.#endHandover();
  }

  /** The server closed a consumer (`reason` as it said). */
  consumerClosed(consumerId: string, reason: string): void {
    const revoked = reason === 'access revoked';
    if (this.#outgoing && [this.#outgoing.consumer.id, this.#outgoing.fast?.consumer.id].includes(consumerId)) {
      this.#endHandover();
      if (!revoked) return;
    }
    if (this.#sub?.fast?.consumer.id === consumerId) {
      this.#endFastStart(this.#sub);
      return;
    }
    if (this.#sub?.consumer.id !== consumerId) return;
    this.#endFastStart(this.#sub);
    this.#sub.consumer.close();
    this.#sub = undefined;
    if (revoked) {
      // Not a fault to retry: the person may no longer watch this camera.
      this.#endHandover();
      this.#surface.clearPicture();
      this.#surface.status({ kind: 'revoked' });
      return;
    }
    this.#scheduleRetry(RETRY_AFTER_CLOSE_MS);
  }

  /** Ends everything (a new camera, paused, or the tile emptied). */
  async stop(): Promise<void> {
    this.#generation++;
    this.#cancelRetry();
    this.#endHandover();
    const sub = this.#sub;
    this.#sub = undefined;
    this.#surface.releaseFastStart();
    this.#surface.clearPicture();
    this.#surface.status({ kind: 'idle' });
    if (sub) await this.#media.unsubscribe(sub);
  }

  #restartNow(): void {
    this.#attempt = 0;
    this.#cancelRetry();
    void this.#subscribe();
  }

  #cancelRetry(): void {
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** The playing subscription becomes the outgoing one, on top, until the next renders. */
  #beginHandover(sub: Subscription): void {
    this.#endHandover();
    this.#endFastStart(sub);
    this.#sub = undefined;
    this.#outgoing = sub;
    this.#surface.swap();
  }

  /** The new stream renders (or the switch was abandoned): the old one ends. */
  #endHandover(): void {
    const out = this.#outgoing;
    if (!out) return;
    this.#outgoing = undefined;
    this.#surface.releaseOutgoing();
    void this.#media.unsubscribe(out);
  }

  #endFastStart(sub: Subscription): void {
    this.#surface.releaseFastStart();
    void this.#media.endFastStart(sub);
  }

  async #subscribe(): Promise<void> {
    const camera = this.#camera;
    if (!camera || !this.#active) return;
    const gen = ++this.#generation;
    // During a stream switch the old picture plays on: the surface shows no spinner over it.
    this.#surface.status({ kind: 'connecting' });
    // Time to first frame is measured from here (bench/latency.ts reads this mark).
    performance.mark('giamsat:subscribe', { detail: { cameraId: camera.id } });
    try {
      const sub = await this.#media.subscribe(camera.id, this.#served(this.#wanted));
      if (gen !== this.#generation) {
        await this.#media.unsubscribe(sub);
        return;
      }
      this.#sub = sub;
      this.#attempt = 0;
      sub.consumer.on('transportclose', () => {
        if (this.#sub !== sub) return;
        this.#sub = undefined;
        this.#scheduleRetry(RETRY_AFTER_CLOSE_MS);
      });
      await this.#surface.play(sub);
      if (this.#sub === sub && this.#retryTimer === undefined) this.#surface.status({ kind: 'subscribed' });
    } catch (err) {
      if (gen !== this.#generation) return;
      if (err instanceof RequestError && err.code === 'NOT_FOUND') {
        this.#endHandover();
        this.#surface.clearPicture();
        this.#surface.status({ kind: 'noAccess' });
        return;
      }
      if (err instanceof RequestError && err.code === 'CANNOT_CONSUME') {
        // Not a passing fault: retrying soon would not help. Looked at again now and then,
        // for when the camera is switched to transcoding.
        this.#endHandover();
        this.#surface.clearPicture();
        this.#scheduleRetry(RETRY_UNDECODABLE_MS, { kind: 'cannotDecode' });
        return;
      }
      this.#scheduleRetry(undefined, { kind: 'connecting', error: err });
    }
  }

  #scheduleRetry(delayMs?: number, status: TileStatus = { kind: 'connecting' }): void {
    if (!this.#camera || !this.#active) return;
    this.#surface.status(status);
    if (this.#retryTimer !== undefined) return;
    const delay = delayMs ?? Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.#attempt++);
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#subscribe();
    }, delay);
  }
}
