// One connected viewer: its receive transports and consumers, and the camera demand its
// consumers hold. Closing the session closes them all and releases the demand.
import type { Consumer, RtpCapabilities, WebRtcTransport } from 'mediasoup/node/lib/types.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { MediaService } from '../media/MediaService.js';
import { FAST_START_ENDED, type FastStartView, type StreamDirectory } from '../media/View.js';
import type { ViewAccess, Viewer } from './access-port.js';
import type { IceServer } from './ice-servers.js';
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
  streams: StreamDirectory;
  access: ViewAccess;
  log: Logger;
  /** Tells the client that a consumer or transport is gone and why. */
  notify: {
    consumerClosed(consumerId: string, cameraId: string, reason: string): void;
    transportClosed(transportId: string, reason: string): void;
  };
  onView(e: ViewEvent): void;
  /** TURN servers with fresh credentials for this viewer; absent: no TURN configured. */
  iceServers?(): IceServer[];
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
  readonly #fastStarts = new Map<string, FastStartView>();
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

  async createTransport({ dtlsParameters }: ParsedRequest<'createTransport'>): Promise<TransportInfo> {
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
      if (dtlsParameters) await this.#connect(transport, dtlsParameters).catch((err: unknown) => {
        transport.close(); // nothing is left of a failed request
        throw err;
      });
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
    const iceServers = this.#deps.iceServers?.();
    return { ...this.#deps.media.transportInfo(transport), ...(dtlsParameters ? { connected: true } : {}), ...(iceServers ? { iceServers } : {}) };
  }

  /** New ICE parameters for a transport whose ICE failed; the browser restarts ICE with them (and fresh TURN credentials). */
  async restartIce({ transportId }: ParsedRequest<'restartIce'>): Promise<{ iceParameters: unknown; iceServers?: IceServer[] }> {
    const transport = this.#transport(transportId);
    const iceParameters = await transport.restartIce();
    this.#deps.log.info({ transportId }, 'ICE restarted');
    const iceServers = this.#deps.iceServers?.();
    return { iceParameters, ...(iceServers ? { iceServers } : {}) };
  }

  #transport(id: string): WebRtcTransport {
    const t = this.#transports.get(id);
    if (!t || t.closed) throw new AppError(ErrorCode.NotFound, 'no such transport');
    return t;
  }

  async connectTransport({ transportId, dtlsParameters }: ParsedRequest<'connectTransport'>): Promise<Record<string, never>> {
    await this.#connect(this.#transport(transportId), dtlsParameters);
    return {};
  }

  async #connect(transport: WebRtcTransport, dtlsParameters: ParsedRequest<'connectTransport'>['dtlsParameters']): Promise<void> {
    try {
      await MediaService.connectTransport(transport, dtlsParameters as Parameters<typeof MediaService.connectTransport>[1]);
    } catch (err) {
      throw new AppError(ErrorCode.BadRequest, `cannot connect transport: ${(err as Error).message}`);
    }
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

  async #consume(transport: WebRtcTransport, { cameraId, stream: kind, rtpCapabilities, resume }: ParsedRequest<'consume'>, land: () => void): Promise<ConsumeResult> {
    // Authorization happens here, at the moment media would flow, before any demand or consumer.
    await this.#deps.access.authorizeView(this.viewer, cameraId, kind);
    const view = await this.#deps.media.openView(transport, await this.#deps.streams.streamFor(cameraId, kind), rtpCapabilities as RtpCapabilities, {
      onFastStartEnded: (consumerId) => this.#deps.notify.consumerClosed(consumerId, cameraId, FAST_START_ENDED),
    });
    if (this.#closed) {
      view.release();
      throw new AppError(ErrorCode.InvalidState, 'session closed');
    }
    // A cold camera can take seconds to start: access may have been taken away meanwhile.
    if (!(await this.#deps.access.mayStillView(this.viewer, cameraId))) {
      view.release();
      throw new AppError(ErrorCode.NotFound, 'no such camera');
    }
    const { consumer, served, fastStart } = view;
    const end = (reason: string, tellClient: boolean) => {
      if (!this.#consumers.delete(consumer.id)) return;
      view.release();
      if (tellClient) this.#deps.notify.consumerClosed(consumer.id, cameraId, reason);
      this.#deps.onView({ type: 'end', viewer: this.viewer, cameraId, stream: served, consumerId: consumer.id, reason });
    };
    land();
    this.#consumers.set(consumer.id, { consumer, cameraId, stream: served, end });
    if (fastStart) {
      this.#fastStarts.set(fastStart.consumer.id, fastStart);
      fastStart.consumer.observer.once('close', () => this.#fastStarts.delete(fastStart.consumer.id));
    }
    consumer.on('producerclose', () => end('camera stream restarted', true));
    consumer.on('transportclose', () => end('transport closed', true));
    consumer.observer.once('close', () => end('closed', false));
    this.#deps.onView({ type: 'start', viewer: this.viewer, cameraId, stream: served, consumerId: consumer.id });
    // Resumed now, the consumer's keyframe request goes to the camera while the answer travels
    // and the page builds its receiver (15-55 ms here; the camera's IDR takes 37-112 ms), not a
    // resumeConsumer round trip later. Should the IDR come first anyway, the browser asks for
    // another. A fast start must wait: its replay begins with the IDR the page needs.
    const resumed = resume === true && !fastStart && (await consumer.resume().then(() => true, () => false));
    return {
      ...(resumed ? { resumed: true } : {}),
      consumerId: consumer.id,
      producerId: consumer.producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      cameraId,
      stream: served,
      ...(view.clock ? { clock: view.clock } : {}),
      ...(fastStart ? { fastStart: { consumerId: fastStart.consumer.id, producerId: fastStart.consumer.producerId, rtpParameters: fastStart.consumer.rtpParameters } } : {}),
    };
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

  /**
   * Ends, as withdrawn, the open views of these cameras: the caller decided, at the moment it
   * gives the page a list or prunes its rooms, that they are no longer allowed. The page's list
   * and its views then agree whatever the re-check's period: without this, a grant running out
   * between a re-check and a list took the camera off the page's list while its view played on,
   * and the page closed it as its own (no "withdrawn" for the person, "closed" in the audit).
   */
  withdraw(cameraIds: ReadonlySet<string>): number {
    let ended = 0;
    for (const entry of [...this.#consumers.values()]) {
      if (!cameraIds.has(entry.cameraId) || !this.#consumers.has(entry.consumer.id)) continue;
      entry.end(REVOKED, true);
      ended++;
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
