// One video tile: keeps its camera subscribed (re-subscribing by itself when the server
// closes the consumer or the connection comes back), and shows the camera's health and
// its own measured fps, decode delay and camera-to-screen latency.
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
import { t } from './i18n.js';
import type { MediaClient, Subscription } from './MediaClient.js';
import { RequestError } from './signaling.js';

export class Tile {
  readonly el: HTMLElement;
  readonly #video: HTMLVideoElement;
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
  #lastStats?: { decodeTime: number; framesDecoded: number; jbDelay: number; jbEmitted: number };

  constructor(media: MediaClient, stream: 'main' | 'sub' = 'main') {
    this.#media = media;
    this.stream = stream;
    this.el = document.createElement('div');
    this.el.className = 'tile empty';
    this.el.innerHTML = '<video muted playsinline autoplay></video><video class="fast-start" muted playsinline autoplay></video><div class="overlay top"><span class="name"></span><span class="badge"></span></div><div class="overlay bottom stats"></div><div class="notice"></div>';
    this.#video = this.el.querySelector('video')!;
    this.#fastVideo = this.el.querySelector('video.fast-start')!;
    this.#name = this.el.querySelector('.name')!;
    this.#badge = this.el.querySelector('.badge')!;
    this.#stats = this.el.querySelector('.stats')!;
    this.#notice = this.el.querySelector('.notice')!;
    this.#notice.textContent = t('emptyTile');
    this.#countFrames();
    this.el.append(new Watermark(watermarkText(currentSession())).el);
  }

  stream: 'main' | 'sub';

  get cameraId(): string | undefined {
    return this.#camera?.id;
  }

  /** Frames rendered since the tile was created (also read by tests and benchmarks). */
  get framesRendered(): number {
    return this.#frames;
  }

  #countFrames(): void {
    const video = this.#video;
    let windowStart = performance.now();
    let windowFrames = 0;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      this.#frames++;
      this.#measureLatency(meta);
      // The shared stream renders: the fast start (if any) has done its job.
      if (this.#sub?.fast) this.#endFastStart(this.#sub);
      windowFrames++;
      const now = performance.now();
      if (now - windowStart >= 1000) {
        this.#fps = (windowFrames * 1000) / (now - windowStart);
        windowStart = now;
        windowFrames = 0;
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
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
    this.#notice.textContent = camera ? '' : wasRevoked ? t('revoked') : t('emptyTile');
    if (!camera && wasRevoked) this.el.classList.add('revoked');
    void this.#setPoster(camera);
    if (camera) {
      this.setHealth(camera.health);
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
    if (health.state === 'live' && !this.#sub && this.#camera && this.#retryTimer !== undefined) {
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
    if (!camera) return;
    const gen = ++this.#generation;
    this.el.classList.add('connecting');
    // Time to first frame is measured from here (bench/latency.ts reads this mark).
    performance.mark('giamsat:subscribe', { detail: { cameraId: camera.id } });
    try {
      const sub = await this.#media.subscribe(camera.id, this.stream);
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
        this.#video.srcObject = null;
        this.#notice.textContent = t('noAccess');
        return;
      }
      const message = err instanceof RequestError ? err.message : (err as Error).message;
      this.#notice.textContent = `${t('reconnecting')} ${message}`;
      this.#scheduleRetry();
    } finally {
      if (gen === this.#generation) this.el.classList.remove('connecting');
    }
  }

  #scheduleRetry(delayMs?: number): void {
    if (!this.#camera || this.#retryTimer !== undefined) return;
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
        decodeTime: Number(s.totalDecodeTime ?? 0),
        framesDecoded: Number(s.framesDecoded ?? 0),
        jbDelay: Number(s.jitterBufferDelay ?? 0),
        jbEmitted: Number(s.jitterBufferEmittedCount ?? 0),
      };
      const prev = this.#lastStats;
      if (prev && now.framesDecoded > prev.framesDecoded) {
        this.#decodeMs = ((now.decodeTime - prev.decodeTime) * 1000) / (now.framesDecoded - prev.framesDecoded);
      }
      if (prev && now.jbEmitted > prev.jbEmitted) {
        this.#bufferMs = ((now.jbDelay - prev.jbDelay) * 1000) / (now.jbEmitted - prev.jbEmitted);
      }
      this.#lastStats = now;
    });
    const parts = [`${Math.round(this.#fps)} ${t('fps')}`];
    if (this.#latencies.length > 0) {
      const sorted = [...this.#latencies].sort((a, b) => a - b);
      const median = Math.round(sorted[Math.floor(sorted.length / 2)]!);
      parts.push(`${t('latency')} ${median} ms`);
      this.el.dataset.latencyMs = String(median);
    }
    if (this.#decodeMs !== undefined) parts.push(`${t('decode')} ${this.#decodeMs.toFixed(1)} ms`);
    if (this.#bufferMs !== undefined) parts.push(`${t('buffer')} ${Math.round(this.#bufferMs)} ms`);
    this.#stats.textContent = parts.join(' · ');
    this.el.dataset.fps = String(Math.round(this.#fps));
  }

  async #stop(): Promise<void> {
    this.#generation++;
    window.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const sub = this.#sub;
    this.#sub = undefined;
    this.#video.srcObject = null;
    this.#fastVideo.srcObject = null;
    this.el.classList.remove('fast-starting');
    this.#lastStats = undefined;
    this.#latencies.length = 0;
    delete this.el.dataset.latencyMs;
    if (sub) await this.#media.unsubscribe(sub);
  }

  /** Relabels after a language change. */
  relabel(): void {
    if (this.#health && this.#camera) this.setHealth(this.#health);
    if (!this.#camera) this.#notice.textContent = this.revoked ? t('revoked') : t('emptyTile');
  }
}
