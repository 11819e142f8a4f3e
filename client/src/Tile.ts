// One video tile: keeps its camera subscribed (re-subscribing by itself when the server
// closes the consumer or the connection comes back), and shows the camera's health and
// its own measured fps, decode delay and camera-to-screen latency.
//
// Switching streams (sub in a grid, main when maximized) never shows a black frame: the new
// stream starts in a second <video> beneath the one playing, and the old subscription ends
// when the new one renders its first frame. A paused tile (off screen, hidden tab) keeps its
// camera but consumes nothing.
//
// Camera-to-screen latency comes from RTP timing: each rendered frame's RTP timestamp
// (requestVideoFrameCallback) is mapped through the camera's clock (its RTCP sender reports,
// relayed by the server) to the moment the camera captured it, and compared with the moment
// the frame is shown. It assumes the camera's and the viewer's clocks agree (NTP), as any
// end-to-end figure must; implausible values (clocks apart) are not shown.
import type { CameraHealth } from '../../server/cameras/camera-health.js';
import type { CameraSummary } from '../../server/cameras/CameraRegistry.js';
import type { CameraClock } from '../../server/media/Ingest.js';
import { apiGet } from './api.js';
import { currentSession } from './auth.js';
import { Watermark, watermarkText } from './Watermark.js';
import { errorText, t } from './i18n.js';
import type { MediaClient, Subscription } from './MediaClient.js';
import { RequestError } from './signaling.js';

export class Tile {
  readonly el: HTMLElement;
  /** Plays #sub. */
  #video: HTMLVideoElement;
  /** Plays #outgoing during a stream switch (on top of #video), else empty. */
  #spare: HTMLVideoElement;
  /** Shows a fast-start consumer on top of #video until #video renders (see MediaClient). */
  readonly #fastVideo: HTMLVideoElement;
  readonly #name: HTMLElement;
  readonly #badge: HTMLElement;
  readonly #stats: HTMLElement;
  readonly #notice: HTMLElement;
  readonly #media: MediaClient;
  #camera?: CameraSummary;
  #health?: CameraHealth;
  #sub?: Subscription;
  /** The stream being replaced, shown until #sub renders. */
  #outgoing?: Subscription;
  #wanted: 'main' | 'sub';
  #active = true;
  #generation = 0;
  #retryTimer?: number;
  #attempt = 0;
  #frames = 0;
  #fps = 0;
  #decodeMs?: number;
  #bufferMs?: number;
  /** Camera-to-screen latency of recent frames (ms), newest last. */
  readonly #latencies: number[] = [];
  #statsTimer?: number;
  #lastStats?: { consumerId: string; decodeTime: number; framesDecoded: number; jbDelay: number; jbEmitted: number };

  constructor(media: MediaClient, stream: 'main' | 'sub' = 'main') {
    this.#media = media;
    this.#wanted = stream;
    this.el = document.createElement('div');
    this.el.className = 'tile empty';
    this.el.innerHTML = '<video class="live" muted playsinline autoplay></video><video class="live" muted playsinline autoplay></video><video class="fast-start" muted playsinline autoplay></video><div class="overlay top"><span class="name"></span><span class="badge"></span><button type="button" class="report" hidden>⚑</button></div><div class="overlay bottom stats"></div><div class="notice"></div>';
    [this.#video, this.#spare] = [...this.el.querySelectorAll<HTMLVideoElement>('video.live')] as [HTMLVideoElement, HTMLVideoElement];
    this.#video.classList.add('current');
    this.#fastVideo = this.el.querySelector('video.fast-start')!;
    this.#name = this.el.querySelector('.name')!;
    this.#badge = this.el.querySelector('.badge')!;
    this.#stats = this.el.querySelector('.stats')!;
    this.#notice = this.el.querySelector('.notice')!;
    this.#notice.textContent = t('emptyTile');
    this.#report = this.el.querySelector<HTMLButtonElement>('.report')!;
    this.#report.title = t('incident.report');
    this.#report.onclick = (e) => {
      e.stopPropagation();
      this.onReport?.(this);
    };
    this.#report.ondblclick = (e) => e.stopPropagation();
    this.#countFrames();
    this.el.append(new Watermark(watermarkText(currentSession())).el);
  }

  /** Called when the person asks to report an incident from this tile (the ⚑ button). */
  onReport?: (tile: Tile) => void;
  readonly #report: HTMLButtonElement;

  get camera(): CameraSummary | undefined {
    return this.#camera;
  }

  /** The picture on screen now as a JPEG (undefined before the first frame). */
  async captureFrame(): Promise<Blob | undefined> {
    const video = this.#video;
    if (!video.videoWidth) return undefined;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')!.drawImage(video, 0, 0);
    return new Promise((resolve) => canvas.toBlob((b) => resolve(b ?? undefined), 'image/jpeg', 0.85));
  }

  /** The stream this tile shows (or will show): main for a camera without a sub stream. */
  get stream(): 'main' | 'sub' {
    return this.#sub?.stream ?? this.#served(this.#wanted);
  }

  #served(kind: 'main' | 'sub'): 'main' | 'sub' {
    return kind === 'sub' && this.#camera && !this.#camera.hasSubStream ? 'main' : kind;
  }

  get cameraId(): string | undefined {
    return this.#camera?.id;
  }

  get active(): boolean {
    return this.#active;
  }

  /**
   * Chooses the stream: the sub stream in a grid, the main stream when maximized. The picture
   * playing stays until the other stream renders.
   */
  setStream(kind: 'main' | 'sub'): void {
    if (kind === this.#wanted) return;
    this.#wanted = kind;
    if (!this.#camera || !this.#active) return;
    const playing = this.#sub?.stream;
    if (playing === this.#served(kind)) return;
    if (this.#sub) this.#beginHandover(this.#sub);
    this.#attempt = 0;
    window.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#subscribe();
  }

  /** Pauses (consumes nothing, keeps its camera) or resumes the tile. */
  setActive(active: boolean): void {
    if (active === this.#active) return;
    this.#active = active;
    this.el.classList.toggle('paused', !active);
    if (!this.#camera) return;
    if (!active) {
      void this.#stop();
      this.#notice.textContent = t('paused');
      this.setHealth(this.#health ?? this.#camera.health);
    } else {
      this.#notice.textContent = '';
      void this.#subscribe();
    }
  }

  /** The playing subscription moves to the spare <video>, on top; #video gets the next one. */
  #beginHandover(sub: Subscription): void {
    this.#endHandover();
    this.#endFastStart(sub);
    this.#sub = undefined;
    this.#outgoing = sub;
    const old = this.#video;
    this.#video = this.#spare;
    this.#spare = old;
    old.classList.add('outgoing');
    old.classList.remove('current');
    this.#video.classList.add('current');
    this.#lastStats = undefined;
    this.#latencies.length = 0;
  }

  /** The new stream renders (or the switch was abandoned): the old one ends. */
  #endHandover(): void {
    const out = this.#outgoing;
    if (!out) return;
    this.#outgoing = undefined;
    this.#spare.classList.remove('outgoing');
    this.#spare.srcObject = null;
    void this.#media.unsubscribe(out);
  }

  /** Frames rendered since the tile was created (also read by tests and benchmarks). */
  get framesRendered(): number {
    return this.#frames;
  }

  #countFrames(): void {
    let windowStart = performance.now();
    let windowFrames = 0;
    // Both live <video>s take turns playing #sub; only the one that does counts.
    for (const video of [this.#video, this.#spare]) {
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
        video.requestVideoFrameCallback(onFrame);
        if (video !== this.#video || !this.#sub) return;
        this.#frames++;
        this.#measureLatency(meta);
        // The shared stream renders: the fast start (if any) and the old stream have done their job.
        if (this.#sub.fast) this.#endFastStart(this.#sub);
        this.#endHandover();
        this.el.dataset.playing = this.#sub.stream;
        windowFrames++;
        const now = performance.now();
        if (now - windowStart >= 1000) {
          this.#fps = (windowFrames * 1000) / (now - windowStart);
          windowStart = now;
          windowFrames = 0;
        }
      };
      video.requestVideoFrameCallback(onFrame);
    }
    const onFastFrame = () => {
      this.#fastVideo.requestVideoFrameCallback(onFastFrame);
      if (this.#sub?.fast) this.#endHandover();
    };
    this.#fastVideo.requestVideoFrameCallback(onFastFrame);
  }

  #measureLatency(meta: VideoFrameCallbackMetadata): void {
    const clock = this.#sub?.clock;
    if (!clock || meta.rtpTimestamp === undefined) return;
    const ticks = (meta.rtpTimestamp - clock.rtpTimestamp) | 0; // signed: wraps at 2^32
    const captured = clock.ntpMs + (ticks * 1000) / clock.clockRate;
    const latency = performance.timeOrigin + meta.expectedDisplayTime - captured;
    if (latency < 0 || latency > 60_000) return;
    this.#latencies.push(latency);
    if (this.#latencies.length > 25) this.#latencies.shift();
  }

  /** The camera's clock mapping changed (a new sender report): later frames use it. */
  setClock(cameraId: string, stream: 'main' | 'sub', clock: CameraClock): void {
    if (this.#sub && this.#camera?.id === cameraId && this.#sub.stream === stream) this.#sub.clock = clock;
  }

  /** True while the tile shows that access to its camera was withdrawn. */
  get revoked(): boolean {
    return this.el.classList.contains('revoked');
  }

  /** Shows `camera` in this tile (undefined empties it, keeping a "withdrawn" notice). */
  show(camera: CameraSummary | undefined): void {
    if (camera?.id === this.#camera?.id) return;
    const wasRevoked = this.revoked;
    void this.#stop();
    this.#camera = camera;
    this.el.classList.remove('revoked');
    this.el.classList.toggle('empty', !camera);
    this.el.dataset.cameraId = camera?.id ?? '';
    this.#name.textContent = camera?.name ?? '';
    this.#report.hidden = !camera;
    this.#notice.textContent = camera ? '' : wasRevoked ? t('revoked') : t('emptyTile');
    if (!camera && wasRevoked) this.el.classList.add('revoked');
    void this.#setPoster(camera);
    if (camera) {
      this.setHealth(camera.health);
      if (!this.#active) this.#notice.textContent = t('paused');
      void this.#subscribe();
    } else {
      this.#health = undefined;
      this.#badge.textContent = '';
      this.#badge.className = 'badge';
      this.#stats.textContent = '';
    }
  }

  #posterUrl?: string;

  /**
   * The camera's latest snapshot (when the snapshots plugin offers one) as the video's poster
   * while the live view connects; fetched with the session's token, so held as a blob URL.
   */
  async #setPoster(camera: CameraSummary | undefined): Promise<void> {
    if (this.#posterUrl) URL.revokeObjectURL(this.#posterUrl);
    this.#posterUrl = undefined;
    this.#video.removeAttribute('poster');
    if (!camera?.poster) return;
    try {
      const url = URL.createObjectURL(await (await apiGet(camera.poster)).blob());
      if (this.#camera?.id !== camera.id) return URL.revokeObjectURL(url);
      this.#posterUrl = url;
      this.#video.poster = url;
    } catch {
      // no poster: the tile shows its connecting notice as before
    }
  }

  setHealth(health: CameraHealth): void {
    this.#health = health;
    this.#badge.textContent = t(`state.${health.state}`) + (health.transcoding ? ` · ${t('transcoding')}` : '');
    this.#badge.className = `badge state-${health.state}`;
    this.#badge.title = health.reason ?? '';
    if (health.state === 'live' && !this.#sub && this.#camera && this.#active && this.#retryTimer !== undefined) {
      // The camera came back: retry at once instead of waiting for the backoff.
      window.clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      void this.#subscribe();
    }
  }

  #endFastStart(sub: Subscription): void {
    this.el.classList.remove('fast-starting');
    this.#fastVideo.srcObject = null;
    void this.#media.endFastStart(sub);
  }

  /** Called when the server closed this tile's consumer. */
  onConsumerClosed(consumerId: string, reason: string): void {
    if (this.#outgoing && [this.#outgoing.consumer.id, this.#outgoing.fast?.consumer.id].includes(consumerId)) {
      this.#endHandover();
      if (reason !== 'access revoked') return;
    }
    if (this.#sub?.fast?.consumer.id === consumerId) {
      this.#endFastStart(this.#sub);
      return;
    }
    if (this.#sub?.consumer.id !== consumerId) return;
    this.#endFastStart(this.#sub);
    this.#sub.consumer.close();
    this.#sub = undefined;
    if (reason === 'access revoked') {
      // Not a fault to retry: the person may no longer watch this camera.
      this.#endHandover();
      this.#video.srcObject = null;
      this.#notice.textContent = t('revoked');
      this.el.classList.add('revoked');
      return;
    }
    this.#scheduleRetry(250);
  }

  /** Called after the signaling connection came back: everything must be re-subscribed. */
  resubscribe(): void {
    if (!this.#camera) return;
    this.#endHandover();
    if (this.#sub) this.#endFastStart(this.#sub);
    this.#sub?.consumer.close();
    this.#sub = undefined;
    this.#attempt = 0;
    window.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    const camera = this.#camera;
    if (!camera || !this.#active) return;
    const gen = ++this.#generation;
    // During a stream switch the old picture plays on: no spinner over it.
    if (!this.#outgoing) this.el.classList.add('connecting');
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
      this.#notice.textContent = '';
      this.#video.srcObject = new MediaStream([sub.track]);
      if (sub.fast) {
        // The shared stream shows nothing before the camera's next IDR: the fast start plays.
        this.#fastVideo.srcObject = new MediaStream([sub.fast.track]);
        this.el.classList.add('fast-starting');
        void this.#video.play().catch(() => undefined);
        await this.#fastVideo.play().catch(() => undefined);
      } else {
        await this.#video.play().catch(() => undefined);
      }
      sub.consumer.on('transportclose', () => {
        if (this.#sub === sub) {
          this.#sub = undefined;
          this.#scheduleRetry(250);
        }
      });
      this.#statsTimer ??= window.setInterval(() => void this.#sampleStats(), 1000);
    } catch (err) {
      if (gen !== this.#generation) return;
      if (err instanceof RequestError && err.code === 'NOT_FOUND') {
        this.#endHandover();
        this.#video.srcObject = null;
        this.#notice.textContent = t('noAccess');
        return;
      }
      if (err instanceof RequestError && err.code === 'CANNOT_CONSUME') {
        // Not a passing fault: retrying soon would not help. Looked at again now and then,
        // for when the camera is switched to transcoding.
        this.#endHandover();
        this.#video.srcObject = null;
        this.#notice.textContent = t('cannotDecode');
        this.#scheduleRetry(30_000);
        this.el.classList.remove('connecting'); // a notice, not a spinner
        return;
      }
      // The server's reason in the person's language; a transport failure (no code) needs none.
      this.#notice.textContent = err instanceof RequestError ? `${t('reconnecting')} ${errorText(err)}` : t('reconnecting');
      this.#scheduleRetry();
    } finally {
      // A scheduled retry keeps the spinner (the tile is still reconnecting): removing it here
      // left the tile without one between attempts, e.g. while its camera is down.
      if (gen === this.#generation && this.#retryTimer === undefined) this.el.classList.remove('connecting');
    }
  }

  #scheduleRetry(delayMs?: number): void {
    if (!this.#camera || !this.#active || this.#retryTimer !== undefined) return;
    const delay = delayMs ?? Math.min(5000, 500 * 2 ** this.#attempt++);
    this.el.classList.add('connecting');
    this.#retryTimer = window.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#subscribe();
    }, delay);
  }

  async #sampleStats(): Promise<void> {
    const sub = this.#sub;
    if (!sub || sub.consumer.closed) {
      this.#stats.textContent = '';
      return;
    }
    const report = await sub.consumer.getStats();
    report.forEach((s: Record<string, number | string>) => {
      if (s.type !== 'inbound-rtp') return;
      const now = {
        consumerId: sub.consumer.id,
        decodeTime: Number(s.totalDecodeTime ?? 0),
        framesDecoded: Number(s.framesDecoded ?? 0),
        jbDelay: Number(s.jitterBufferDelay ?? 0),
        jbEmitted: Number(s.jitterBufferEmittedCount ?? 0),
      };
      // Counters belong to one receiver: after a resubscribe they start again from zero, and a
      // difference across two receivers is nonsense (it showed negative times).
      const prev = this.#lastStats?.consumerId === now.consumerId ? this.#lastStats : undefined;
      if (!prev && this.#lastStats) {
        this.#decodeMs = undefined;
        this.#bufferMs = undefined;
      }
      if (prev && now.framesDecoded > prev.framesDecoded) {
        this.#decodeMs = ((now.decodeTime - prev.decodeTime) * 1000) / (now.framesDecoded - prev.framesDecoded);
      }
      if (prev && now.jbEmitted > prev.jbEmitted) {
        this.#bufferMs = ((now.jbDelay - prev.jbDelay) * 1000) / (now.jbEmitted - prev.jbEmitted);
      }
      this.#lastStats = now;
    });
    // Which stream plays (sub in grids, main when maximized) leads the figures.
    const parts = [t(sub.stream === 'main' ? 'stream.main' : 'stream.sub'), `${Math.round(this.#fps)} ${t('fps')}`];
    if (this.#latencies.length > 0) {
      const sorted = [...this.#latencies].sort((a, b) => a - b);
      const median = Math.round(sorted[Math.floor(sorted.length / 2)]!);
      parts.push(`${t('latency')} ${median} ms`);
      this.el.dataset.latencyMs = String(median);
    }
    if (this.#decodeMs !== undefined) parts.push(`${t('decode')} ${this.#decodeMs.toFixed(1)} ms`);
    if (this.#bufferMs !== undefined) parts.push(`${t('buffer')} ${Math.round(this.#bufferMs)} ms`);
    // The stream's name always shows; the engineering figures only when the person asks
    // for them (body.show-figures; client/src/main.ts).
    const [streamName, ...figures] = parts;
    this.#stats.replaceChildren(
      Object.assign(document.createElement('span'), { className: 'stream-name', textContent: streamName }),
      Object.assign(document.createElement('span'), { className: 'figures', textContent: ` · ${figures.join(' · ')}` }),
    );
    this.el.dataset.fps = String(Math.round(this.#fps));
  }

  async #stop(): Promise<void> {
    this.#generation++;
    window.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#endHandover();
    const sub = this.#sub;
    this.#sub = undefined;
    this.#video.srcObject = null;
    this.#fastVideo.srcObject = null;
    this.el.classList.remove('connecting');
    delete this.el.dataset.playing;
    this.el.classList.remove('fast-starting');
    this.#lastStats = undefined;
    this.#latencies.length = 0;
    delete this.el.dataset.latencyMs;
    if (sub) await this.#media.unsubscribe(sub);
  }

  /** Relabels after a language change. */
  relabel(): void {
    this.#report.title = t('incident.report');
    if (this.#health && this.#camera) this.setHealth(this.#health);
    if (!this.#camera) this.#notice.textContent = this.revoked ? t('revoked') : t('emptyTile');
    else if (!this.#active) this.#notice.textContent = t('paused');
  }
}
