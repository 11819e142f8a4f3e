// One video tile: its DOM (the <video>s, name, health badge, figures, notices) over a
// TileSubscription, which keeps its camera subscribed (retries, fast start, main/sub switch).
// It shows the camera's health and its own measured fps, decode delay and camera-to-screen
// latency.
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
import { markPhase } from './page-timing.js';
import { TileSubscription, type TileStatus, type TileSurface } from './TileSubscription.js';

export class Tile {
  readonly el: HTMLElement;
  // The <video>s and the watermark are made when the tile first shows a camera (#build): a
  // page opens with 16 tiles, most of them empty, and made up front they cost the first
  // picture about 100 ms here.
  #built = false;
  /** Plays the current subscription. */
  #video!: HTMLVideoElement;
  /** Plays the outgoing subscription during a stream switch (on top of #video), else empty. */
  #spare!: HTMLVideoElement;
  /** Shows a fast-start consumer on top of #video until #video renders (see MediaClient). */
  #fastVideo!: HTMLVideoElement;
  readonly #name: HTMLElement;
  readonly #badge: HTMLElement;
  readonly #stats: HTMLElement;
  readonly #notice: HTMLElement;
  readonly #life: TileSubscription;
  #camera?: CameraSummary;
  /** The camera's health per stream: the badge shows the stream the tile plays (or will). */
  #healths: { main?: CameraHealth; sub?: CameraHealth } = {};
  #frames = 0;
  #fps = 0;
  #decodeMs?: number;
  #bufferMs?: number;
  /** Camera-to-screen latency of recent frames (ms), newest last. */
  readonly #latencies: number[] = [];
  #statsTimer?: number;
  #lastStats?: { consumerId: string; decodeTime: number; framesDecoded: number; jbDelay: number; jbEmitted: number };

  constructor(media: MediaClient, stream: 'main' | 'sub' = 'main') {
    this.el = document.createElement('div');
    this.el.className = 'tile empty';
    this.el.innerHTML = '<div class="overlay top"><span class="name"></span><span class="badge"></span><button type="button" class="report" hidden>⚑</button></div><div class="overlay bottom stats"></div><div class="notice"></div>';
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
    this.#life = new TileSubscription(media, this.#surface(), stream, {
      setTimeout: (fn, ms) => window.setTimeout(fn, ms),
      clearTimeout: (id) => window.clearTimeout(id),
    });
  }

  /** The <video>s (beneath the overlays) and the watermark, once. */
  #build(): void {
    if (this.#built) return;
    this.#built = true;
    const video = (className: string) => Object.assign(document.createElement('video'), { className, muted: true, playsInline: true, autoplay: true });
    this.#video = video('live current');
    this.#spare = video('live');
    this.#fastVideo = video('fast-start');
    this.el.prepend(this.#video, this.#spare, this.#fastVideo);
    this.el.append(new Watermark(watermarkText(currentSession())).el);
    this.#countFrames();
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
    if (!this.#built || !video.videoWidth) return undefined;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')!.drawImage(video, 0, 0);
    return new Promise((resolve) => canvas.toBlob((b) => resolve(b ?? undefined), 'image/jpeg', 0.85));
  }

  /** The stream this tile shows (or will show): main for a camera without a sub stream. */
  get stream(): 'main' | 'sub' {
    return this.#life.stream;
  }

  get cameraId(): string | undefined {
    return this.#camera?.id;
  }

  get active(): boolean {
    return this.#life.active;
  }

  /**
   * Chooses the stream: the sub stream in a grid, the main stream when maximized. The picture
   * playing stays until the other stream renders.
   */
  setStream(kind: 'main' | 'sub'): void {
    this.#life.setStream(kind);
  }

  /** Pauses (consumes nothing, keeps its camera) or resumes the tile. */
  setActive(active: boolean): void {
    if (active === this.#life.active) return;
    this.el.classList.toggle('paused', !active);
    this.#life.setActive(active);
    if (!this.#camera) return;
    if (!active) {
      this.#notice.textContent = t('paused');
      this.#showHealth();
    } else {
      this.#notice.textContent = '';
    }
  }

  /** The DOM side of the lifecycle. */
  #surface(): TileSurface {
    return {
      play: async (sub: Subscription) => {
        this.#showHealth(); // the stream that plays now may be the other one
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
        this.#statsTimer ??= window.setInterval(() => void this.#sampleStats(), 1000);
      },
      swap: () => {
        const old = this.#video;
        this.#video = this.#spare;
        this.#spare = old;
        old.classList.add('outgoing');
        old.classList.remove('current');
        this.#video.classList.add('current');
        this.#lastStats = undefined;
        this.#latencies.length = 0;
      },
      releaseOutgoing: () => {
        this.#showHealth(); // a main/sub switch has ended: the badge follows the stream now playing
        if (!this.#built) return;
        this.#spare.classList.remove('outgoing');
        this.#spare.srcObject = null;
      },
      releaseFastStart: () => {
        this.el.classList.remove('fast-starting');
        if (this.#built) this.#fastVideo.srcObject = null;
      },
      clearPicture: () => {
        if (this.#built) this.#video.srcObject = null;
      },
      status: (status) => this.#showStatus(status),
    };
  }

  #showStatus(status: TileStatus): void {
    // During a main/sub switch the old picture stays on top: no spinner over it.
    const spinner = status.kind === 'connecting' && !this.#life.switching;
    this.el.classList.toggle('connecting', spinner);
    switch (status.kind) {
      case 'connecting':
        // The server's reason in the person's language; a transport failure (no code) needs none.
        if (status.error !== undefined) {
          this.#notice.textContent = status.error instanceof RequestError ? `${t('reconnecting')} ${errorText(status.error)}` : t('reconnecting');
        }
        break;
      case 'subscribed':
        this.#notice.textContent = '';
        break;
      case 'noAccess':
        this.#notice.textContent = t('noAccess');
        break;
      case 'cannotDecode':
        this.#notice.textContent = t('cannotDecode');
        break;
      case 'revoked':
        this.#notice.textContent = t('revoked');
        this.el.classList.add('revoked');
        break;
      case 'idle':
        delete this.el.dataset.playing;
        this.#lastStats = undefined;
        this.#latencies.length = 0;
        delete this.el.dataset.latencyMs;
        break;
    }
  }

  /** Frames rendered since the tile was created (also read by tests and benchmarks). */
  get framesRendered(): number {
    return this.#frames;
  }

  #countFrames(): void {
    let windowStart = performance.now();
    let windowFrames = 0;
    // Both live <video>s take turns playing the current subscription; only the one that does counts.
    for (const video of [this.#video, this.#spare]) {
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
        video.requestVideoFrameCallback(onFrame);
        const sub = this.#life.current;
        if (video !== this.#video || !sub) return;
        this.#frames++;
        markPhase('first-frame');
        this.#measureLatency(sub, meta);
        this.#life.rendered();
        // Written when it changes only: an attribute written on every frame is a style invalidation per frame.
        if (this.el.dataset.playing !== sub.stream) this.el.dataset.playing = sub.stream;
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
      this.#life.fastRendered();
    };
    this.#fastVideo.requestVideoFrameCallback(onFastFrame);
  }

  #measureLatency(sub: Subscription, meta: VideoFrameCallbackMetadata): void {
    const clock = sub.clock;
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
    const sub = this.#life.current;
    if (sub && this.#camera?.id === cameraId && sub.stream === stream) sub.clock = clock;
  }

  /** True while the tile shows that access to its camera was withdrawn. */
  get revoked(): boolean {
    return this.el.classList.contains('revoked');
  }

  /** Shows `camera` in this tile (undefined empties it, keeping a "withdrawn" notice). */
  show(camera: CameraSummary | undefined): void {
    if (camera?.id === this.#camera?.id) return;
    const wasRevoked = this.revoked;
    this.#camera = camera;
    this.el.classList.remove('revoked');
    this.el.classList.toggle('empty', !camera);
    this.el.dataset.cameraId = camera?.id ?? '';
    this.#name.textContent = camera?.name ?? '';
    this.#report.hidden = !camera;
    this.#notice.textContent = camera ? '' : wasRevoked ? t('revoked') : t('emptyTile');
    if (!camera && wasRevoked) this.el.classList.add('revoked');
    if (camera) this.#build();
    void this.#setPoster(camera);
    if (camera) {
      this.#healths = { main: camera.health, ...(camera.subHealth ? { sub: camera.subHealth } : {}) };
      if (!this.#life.active) this.#notice.textContent = t('paused');
    } else {
      this.#healths = {};
      this.#badge.textContent = '';
      this.#badge.className = 'badge';
      this.#stats.textContent = '';
    }
    this.#life.show(camera);
    this.#showHealth(); // after the lifecycle knows the camera: which stream it plays depends on it
  }

  #posterUrl?: string;

  /**
   * The camera's latest snapshot (when the snapshots plugin offers one) as the video's poster
   * while the live view connects; fetched with the session's token, so held as a blob URL.
   */
  async #setPoster(camera: CameraSummary | undefined): Promise<void> {
    if (this.#posterUrl) URL.revokeObjectURL(this.#posterUrl);
    this.#posterUrl = undefined;
    if (!this.#built) return;
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

  /** A stream of this tile's camera changed health (or a newer camera list says how it is). */
  setHealth(stream: 'main' | 'sub', health: CameraHealth): void {
    this.#healths[stream] = health;
    if (stream === this.stream) this.#showHealth();
  }

  /**
   * The badge shows the health of the stream the tile plays: in a grid that is the sub stream,
   * whose ingest runs (and may be live) while the main stream's is idle.
   */
  #showHealth(): void {
    const health = this.#healths[this.stream] ?? this.#healths.main;
    if (!this.#camera || !health) return;
    this.#badge.textContent = t(`state.${health.state}`) + (health.transcoding ? ` · ${t('transcoding')}` : '');
    this.#badge.className = `badge state-${health.state}`;
    this.#badge.title = health.reason ?? '';
    // The camera came back: a waiting retry goes at once instead of after its backoff.
    if (health.state === 'live') this.#life.cameraLive();
  }

  /** Called when the server closed this tile's consumer. */
  onConsumerClosed(consumerId: string, reason: string): void {
    this.#life.consumerClosed(consumerId, reason);
  }

  /** Called after the signaling connection came back: everything must be re-subscribed. */
  resubscribe(): void {
    this.#life.resubscribe();
  }

  async #sampleStats(): Promise<void> {
    const sub = this.#life.current;
    if (!sub || sub.consumer.closed) {
      this.#stats.textContent = '';
      return;
    }
    const report = await sub.consumer.getStats();
    const path = pathOf(report);
    if (path) this.el.dataset.path = `${path.via}-${path.protocol}`;
    else delete this.el.dataset.path;
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
    if (path) parts.push(`${t(path.via === 'relay' ? 'path.relay' : 'path.direct')} ${path.protocol}`);
    // The stream's name always shows; the engineering figures only when the person asks
    // for them (body.show-figures; client/src/main.ts).
    const [streamName, ...figures] = parts;
    this.#stats.replaceChildren(
      Object.assign(document.createElement('span'), { className: 'stream-name', textContent: streamName }),
      Object.assign(document.createElement('span'), { className: 'figures', textContent: ` · ${figures.join(' · ')}` }),
    );
    this.el.dataset.fps = String(Math.round(this.#fps));
  }

  /** Relabels after a language change. */
  relabel(): void {
    this.#report.title = t('incident.report');
    this.#showHealth();
    if (!this.#camera) this.#notice.textContent = this.revoked ? t('revoked') : t('emptyTile');
    else if (!this.#life.active) this.#notice.textContent = t('paused');
  }
}

/**
 * The network path the media arrives on, from the receiver's stats: through a TURN relay
 * (udp, tcp or tls between the browser and the relay) or direct (udp or tcp to the server).
 */
export function pathOf(report: RTCStatsReport): { via: 'direct' | 'relay'; protocol: string } | undefined {
  let pairId: string | undefined;
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pairId = s.selectedCandidatePairId;
  });
  // Without a transport entry, the nominated pair that carries media.
  if (!pairId) report.forEach((s: Record<string, unknown>) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pairId = s.id as string;
  });
  const pair = pairId ? report.get(pairId) as Record<string, unknown> | undefined : undefined;
  if (!pair) return undefined;
  const local = report.get(pair.localCandidateId as string) as Record<string, unknown> | undefined;
  const remote = report.get(pair.remoteCandidateId as string) as Record<string, unknown> | undefined;
  if (!local || !remote) return undefined;
  if (local.candidateType === 'relay') return { via: 'relay', protocol: String(local.relayProtocol ?? local.protocol ?? '?') };
  return { via: 'direct', protocol: String(remote.protocol ?? '?') };
}
