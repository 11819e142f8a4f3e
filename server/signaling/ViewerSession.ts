// One connected viewer: its receive transports and consumers, and the camera demand its
// consumers hold. Closing the session closes them all and releases the demand.
import type { Consumer, WebRtcTransport } from 'mediasoup/node/lib/types.js';
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { MediaService } from '../media/MediaService.js';
import type { CameraStream } from '../media/CameraStream.js';
import type { ViewAccess, Viewer } from './access-port.js';
import type { ConsumeResult, ParsedRequest, TransportInfo } from './protocol.js';

export const SESSION_LIMITS = { transports: 4, consumers: 64 } as const;

export interface ViewEvent {
  type: 'start' | 'end';
  viewer: Viewer;
  cameraId: string;
  stream: 'main' | 'sub';
  consumerId: string;
  reason?: string;
}

export interface SessionDeps {
  media: MediaService;
  cameras: CameraRegistry;
  access: ViewAccess;
  log: Logger;
  /** Tells the client that a consumer or transport is gone and why. */
  notify: {
    consumerClosed(consumerId: string, cameraId: string, reason: string): void;
    transportClosed(transportId: string, reason: string): void;
  };
  onView(e: ViewEvent): void;
}

interface ConsumerEntry {
  consumer: Consumer;
  cameraId: string;
  stream: 'main' | 'sub';
  /** Ends the view: closes the consumer, releases the camera, tells the client if asked. */
  end(reason: string, tellClient: boolean): void;
}

/** The reason given to a client whose view was taken away. */
export const REVOKED = 'access revoked';
/** The reason given when a fast-start consumer ends because the shared one took over. */
export const FAST_START_ENDED = 'fast start ended';
/** How long a fast-start consumer outlives the shared consumer's first keyframe (the client's switch). */
const FAST_START_HANDOVER_MS = 1500;

export class ViewerSession {
  readonly viewer: Viewer;
  readonly #deps: SessionDeps;
  readonly #transports = new Map<string, WebRtcTransport>();
  readonly #consumers = new Map<string, ConsumerEntry>();
  /**
   * Transports and consumers being made (between the limit check and the map): counted
   * against the limits, so parallel requests cannot all pass the check before any lands.
   */
  readonly #pending = { transports: 0, consumers: 0 };
  /** Fast-start companions of open views (docs/media.md), by consumer id. */
  readonly #fastStarts = new Map<string, { consumer: Consumer; start(): void }>();
  #closed = false;

  constructor(viewer: Viewer, deps: SessionDeps) {
    this.viewer = viewer;
    this.#deps = deps;
  }

  /** The open views (one per consumer, fast-start companions not counted), for the ops dashboard. */
  views(): Array<{ cameraId: string; stream: 'main' | 'sub'; consumerId: string }> {
    return [...this.#consumers.entries()].map(([consumerId, e]) => ({ cameraId: e.cameraId, stream: e.stream, consumerId }));
  }

  get consumerCount(): number {
    return this.#consumers.size;
  }

  async createTransport(): Promise<TransportInfo> {
    if (this.#transports.size + this.#pending.transports >= SESSION_LIMITS.transports) {
      throw new AppError(ErrorCode.BadRequest, `at most ${SESSION_LIMITS.transports} transports per session`);
    }
    this.#pending.transports++;
    let transport: WebRtcTransport;
    try {
      // Media ports and a DTLS handshake only for someone who can watch something.
      if (!(await this.#deps.access.mayWatchAnything(this.viewer))) {
        throw new AppError(ErrorCode.Forbidden, 'this account watches no camera, so it gets no media transport');
      }
      transport = await this.#deps.media.createViewerTransport();
    } finally {
      this.#pending.transports--;
    }
    if (this.#closed) {
      transport.close();
      throw new AppError(ErrorCode.InvalidState, 'session closed');
    }
    this.#transports.set(transport.id, transport);
    transport.on('routerclose', () => {
      this.#transports.delete(transport.id);
      this.#deps.notify.transportClosed(transport.id, 'media worker restarted');
    });
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') this.#deps.log.info({ transportId: transport.id, state }, 'transport DTLS ended');
    });
    return MediaService.transportInfo(transport);
  }

  #transport(id: string): WebRtcTransport {
    const t = this.#transports.get(id);
    if (!t || t.closed) throw new AppError(ErrorCode.NotFound, 'no such transport');
    return t;
  }

  async connectTransport({ transportId, dtlsParameters }: ParsedRequest<'connectTransport'>): Promise<Record<string, never>> {
    const transport = this.#transport(transportId);
    try {
      await MediaService.connectTransport(transport, dtlsParameters as Parameters<typeof MediaService.connectTransport>[1]);
    } catch (err) {
      throw new AppError(ErrorCode.BadRequest, `cannot connect transport: ${(err as Error).message}`);
    }
    return {};
  }

  async consume(request: ParsedRequest<'consume'>): Promise<ConsumeResult> {
    const transport = this.#transport(request.transportId);
    if (this.#consumers.size + this.#pending.consumers >= SESSION_LIMITS.consumers) {
      throw new AppError(ErrorCode.BadRequest, `at most ${SESSION_LIMITS.consumers} consumers per session`);
    }
    // The reservation turns into the map entry in the same step (`land`), so no parallel
    // request ever sees one consumer counted twice.
    this.#pending.consumers++;
    let reserved = true;
    const land = () => {
      if (reserved) this.#pending.consumers--;
      reserved = false;
    };
    try {
      return await this.#consume(transport, request, land);
    } finally {
      land();
    }
  }

  async #consume(transport: WebRtcTransport, { cameraId, stream: kind, rtpCapabilities }: ParsedRequest<'consume'>, land: () => void): Promise<ConsumeResult> {
    // Authorization happens here, at the moment media would flow, before any demand or consumer.
    await this.#deps.access.authorizeView(this.viewer, cameraId, kind);
    const camera = this.#deps.cameras.stream(cameraId, kind);
    const served = camera.id.endsWith(':sub') ? 'sub' : 'main';
    const release = camera.acquire();
    let consumer: Consumer;
    try {
      consumer = await this.#deps.media.consume(transport, camera, rtpCapabilities as Parameters<MediaService['consume']>[2]);
    } catch (err) {
      release();
      if (err instanceof TypeError) throw new AppError(ErrorCode.BadRequest, `invalid rtpCapabilities: ${err.message}`);
      throw err;
    }
    if (this.#closed) {
      consumer.close();
      release();
      throw new AppError(ErrorCode.InvalidState, 'session closed');
    }
    // A cold camera can take seconds to start: access may have been taken away meanwhile.
    if (!(await this.#deps.access.mayStillView(this.viewer, cameraId))) {
      consumer.close();
      release();
      throw new AppError(ErrorCode.NotFound, 'no such camera');
    }
    const fastStart = await this.#openFastStart(transport, camera, rtpCapabilities as Parameters<MediaService['consume']>[2], cameraId, consumer);
    const end = (reason: string, tellClient: boolean) => {
      if (!this.#consumers.delete(consumer.id)) return;
      fastStart?.close();
      release();
      if (!consumer.closed) consumer.close();
      if (tellClient) this.#deps.notify.consumerClosed(consumer.id, cameraId, reason);
      this.#deps.onView({ type: 'end', viewer: this.viewer, cameraId, stream: served, consumerId: consumer.id, reason });
    };
    land();
    this.#consumers.set(consumer.id, { consumer, cameraId, stream: served, end });
    consumer.on('producerclose', () => end('camera stream restarted', true));
    consumer.on('transportclose', () => end('transport closed', true));
    consumer.observer.once('close', () => end('closed', false));
    this.#deps.onView({ type: 'start', viewer: this.viewer, cameraId, stream: served, consumerId: consumer.id });
    return {
      consumerId: consumer.id,
      producerId: consumer.producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      cameraId,
      stream: served,
      ...(camera.clock ? { clock: camera.clock } : {}),
      ...(fastStart ? { fastStart: { consumerId: fastStart.id, producerId: fastStart.producerId, rtpParameters: fastStart.rtpParameters } } : {}),
    };
  }

  /**
   * The fast-start companion of a new view of a camera that ignores keyframe requests: a
   * consumer of a producer of the viewer's own that begins with the cached GOP. It ends a
   * moment after the shared consumer has sent its first keyframe (the client switches to
   * the shared one when that renders), or with the view.
   */
  async #openFastStart(transport: WebRtcTransport, camera: CameraStream, rtpCapabilities: Parameters<MediaService['consume']>[2], cameraId: string, shared: Consumer): Promise<Consumer | undefined> {
    const feed = await camera.openFastStart().catch(() => undefined);
    if (!feed) return undefined;
    let consumer: Consumer;
    try {
      consumer = await this.#deps.media.consumeProducer(transport, camera, feed.producer, rtpCapabilities);
    } catch {
      feed.close();
      return undefined;
    }
    // The replay starts when the client resumes it: earlier packets would reach no one.
    this.#fastStarts.set(consumer.id, { consumer, start: feed.start });
    const finished = (tellClient: boolean) => {
      if (!this.#fastStarts.delete(consumer.id)) return;
      feed.close();
      if (!consumer.closed) consumer.close();
      if (tellClient) this.#deps.notify.consumerClosed(consumer.id, cameraId, FAST_START_ENDED);
    };
    consumer.observer.once('close', () => finished(false));
    consumer.on('producerclose', () => finished(true));
    consumer.on('transportclose', () => finished(false));
    void shared.enableTraceEvent(['keyframe']).catch(() => undefined);
    shared.on('trace', (t) => {
      if (t.type !== 'keyframe' || t.direction !== 'out') return;
      void shared.enableTraceEvent([]).catch(() => undefined);
      setTimeout(() => finished(true), FAST_START_HANDOVER_MS).unref();
    });
    return consumer;
  }

  #consumer(id: string): { consumer: Consumer } {
    const c = this.#consumers.get(id);
    if (c) return c;
    const fastStart = this.#fastStarts.get(id);
    if (fastStart) return fastStart;
    throw new AppError(ErrorCode.NotFound, 'no such consumer');
  }

  async resumeConsumer({ consumerId }: ParsedRequest<'resumeConsumer'>): Promise<Record<string, never>> {
    const { consumer } = this.#consumer(consumerId);
    await consumer.resume();
    const fastStart = this.#fastStarts.get(consumerId);
    if (fastStart) {
      fastStart.start(); // begins with the cached IDR: no keyframe to ask for
      return {};
    }
    // The client is ready to render: ask the source for a keyframe now rather than wait a GOP.
    await consumer.requestKeyFrame().catch(() => undefined);
    return {};
  }

  async closeConsumer({ consumerId }: ParsedRequest<'closeConsumer'>): Promise<Record<string, never>> {
    this.#consumer(consumerId).consumer.close();
    return {};
  }

  async closeTransport({ transportId }: ParsedRequest<'closeTransport'>): Promise<Record<string, never>> {
    this.#transport(transportId).close();
    this.#transports.delete(transportId);
    return {};
  }

  /**
   * Asks access control again about every open view and ends those no longer allowed,
   * telling the client why. Runs when a person's access changed and on a short period
   * (time limits such as the end of a spot check pass without any event).
   */
  async recheck(): Promise<number> {
    let ended = 0;
    for (const entry of [...this.#consumers.values()]) {
      const allowed = await this.#deps.access.mayStillView(this.viewer, entry.cameraId).catch(() => false);
      if (!allowed && this.#consumers.has(entry.consumer.id)) {
        entry.end(REVOKED, true);
        ended++;
      }
    }
    return ended;
  }

  /** Closes every consumer and transport; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { consumer } of [...this.#consumers.values()]) consumer.close();
    for (const t of this.#transports.values()) t.close();
    this.#transports.clear();
  }
}
