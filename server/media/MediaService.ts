// The media room's one door: workers, camera streams, viewer transports and consumers.
// It knows nothing of users or HTTP; callers authorize before they ask it for media.
import { EventEmitter } from 'node:events';
import type {
  Consumer, DataConsumer, DtlsParameters, Producer, Router, RtpCapabilities, WebRtcTransport,
} from 'mediasoup/node/lib/types.js';
import type { IngestConfig, MediaConfig } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';
import { moduleLogger } from '../logger.js';
import { CameraStream, type CameraStreamOptions } from './CameraStream.js';
import { FAST_START_HANDOVER_MS, type FastStartView, type View, type ViewableStream, type ViewOptions } from './View.js';
import { resolveFfmpeg, type FfmpegBinary } from './ffmpeg-binary.js';
import { WorkerPool, type WorkerSlot } from './WorkerPool.js';
import { withExtraAddresses } from './viewer-addresses.js';

const log = moduleLogger('media');

export interface MediaServiceEvents {
  workerDied: [slot: WorkerSlot];
  workerReplaced: [slot: WorkerSlot];
}

/** What a browser needs to build its receive transport. */
export interface TransportInfo {
  id: string;
  iceParameters: WebRtcTransport['iceParameters'];
  iceCandidates: WebRtcTransport['iceCandidates'];
  dtlsParameters: WebRtcTransport['dtlsParameters'];
  sctpParameters?: WebRtcTransport['sctpParameters'];
  warmup?: WarmupChannel;
}

/** The data consumer a browser subscribes to as it builds the transport (mediasoup-client's consumeData options). */
export interface WarmupChannel {
  id: string;
  dataProducerId: string;
  sctpStreamParameters: DataConsumer['sctpStreamParameters'];
  label: string;
  protocol: string;
}

export class MediaService extends EventEmitter<MediaServiceEvents> {
  readonly #config: MediaConfig;
  readonly #ingest: IngestConfig;
  readonly #pool: WorkerPool;
  readonly ffmpeg: FfmpegBinary;
  readonly #streams = new Map<string, CameraStream>();
  /** In-flight or done pipes: `${producerId}>${routerId}`. */
  readonly #pipes = new Map<string, Promise<void>>();

  private constructor(config: MediaConfig, ingest: IngestConfig, pool: WorkerPool, ffmpeg: FfmpegBinary) {
    super();
    this.#config = config;
    this.#ingest = ingest;
    this.#pool = pool;
    this.ffmpeg = ffmpeg;
    pool.on('workerDied', (slot) => this.emit('workerDied', slot));
    pool.on('workerReplaced', (slot) => this.emit('workerReplaced', slot));
  }

  static async create(config: MediaConfig, ingest: IngestConfig): Promise<MediaService> {
    const ffmpeg = resolveFfmpeg(ingest.ffmpegPath);
    log.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, 'ffmpeg found');
    const pool = await WorkerPool.create(config);
    return new MediaService(config, ingest, pool, ffmpeg);
  }

  get pool(): WorkerPool {
    return this.#pool;
  }

  /** All routers share one codec list, so any live router's capabilities serve. */
  get rtpCapabilities(): RtpCapabilities {
    return this.#pool.leastLoaded().router.rtpCapabilities;
  }

  stream(id: string): CameraStream | undefined {
    return this.#streams.get(id);
  }

  get streams(): ReadonlyMap<string, CameraStream> {
    return this.#streams;
  }

  /** Creates the stream for one camera URL (idempotent per id: returns the existing one). */
  openStream(options: Omit<CameraStreamOptions, 'ingest' | 'ffmpegPath'>): CameraStream {
    const existing = this.#streams.get(options.id);
    if (existing) return existing;
    const stream = new CameraStream(this.#pool, { ...options, ingest: this.#ingest, ffmpegPath: this.ffmpeg.path });
    this.#streams.set(options.id, stream);
    return stream;
  }

  async closeStream(id: string): Promise<void> {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#streams.delete(id);
    await stream.close();
  }

  /**
   * A WebRTC receive transport on the least loaded worker, on its WebRTC server's ports, with a
   * data consumer of the worker's silent warm-up source: the browser subscribes to it at once
   * and so connects ICE and DTLS while the page is still asking for its first camera, and the
   * consumer's keyframe request goes to the camera when it resumes rather than a handshake later
   * (docs/media.md, "The receive transport, warm before the first consume").
   */
  async createViewerTransport(): Promise<WebRtcTransport> {
    const { router, webRtcServer, warmup } = this.#pool.leastLoaded();
    const transport = await router.createWebRtcTransport<{ routerId: string; warmup?: WarmupChannel }>({
      webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 2_000_000,
      // The browser sends nothing on the channel; anything it tries is small and dropped.
      enableSctp: true,
      numSctpStreams: { OS: 1, MIS: 1 },
      maxSctpMessageSize: 1024,
      appData: { routerId: router.id },
    });
    try {
      const channel = await transport.consumeData({ dataProducerId: warmup.id });
      transport.appData.warmup = {
        id: channel.id,
        dataProducerId: warmup.id,
        sctpStreamParameters: channel.sctpStreamParameters,
        label: channel.label,
        protocol: channel.protocol,
      } satisfies WarmupChannel;
    } catch (err) {
      transport.close(); // nothing is left of a failed request
      throw err;
    }
    return transport;
  }

  /** What a browser needs to open the transport: its candidates on every announced address, and the warm-up channel. */
  transportInfo(t: WebRtcTransport): TransportInfo {
    return {
      id: t.id,
      iceParameters: t.iceParameters,
      iceCandidates: withExtraAddresses(t.iceCandidates, this.#config),
      dtlsParameters: t.dtlsParameters,
      ...(t.sctpParameters ? { sctpParameters: t.sctpParameters } : {}),
      ...(t.appData.warmup ? { warmup: t.appData.warmup as WarmupChannel } : {}),
    };
  }

  static async connectTransport(t: WebRtcTransport, dtlsParameters: DtlsParameters): Promise<void> {
    await t.connect({ dtlsParameters });
  }

  /**
   * A view of `stream` on `transport` for a viewer the caller has authorized: the stream's
   * demand is held (a cold camera starts), a paused consumer of its producer, and a fast start
   * where the camera needs one. Nothing is sent until the client resumes.
   */
  async openView(transport: WebRtcTransport, stream: ViewableStream, rtpCapabilities: RtpCapabilities, options: ViewOptions = {}): Promise<View> {
    const releaseDemand = stream.acquire();
    let consumer: Consumer;
    try {
      consumer = await this.#consume(transport, stream, rtpCapabilities);
    } catch (err) {
      releaseDemand();
      if (err instanceof TypeError) throw new AppError(ErrorCode.BadRequest, `invalid rtpCapabilities: ${err.message}`);
      throw err;
    }
    let released = false;
    const fastStart = await this.#openFastStart(transport, stream, rtpCapabilities, consumer, (id) => {
      if (!released) options.onFastStartEnded?.(id);
    });
    return {
      consumer,
      served: stream.kind,
      ...(stream.clock ? { clock: stream.clock } : {}),
      ...(fastStart ? { fastStart } : {}),
      release: () => {
        if (released) return;
        released = true;
        if (fastStart && !fastStart.consumer.closed) fastStart.consumer.close();
        if (!consumer.closed) consumer.close();
        releaseDemand();
      },
    };
  }

  /**
   * The fast-start companion of a new view of a camera that ignores keyframe requests: a
   * consumer of a producer of the viewer's own that begins with the cached GOP. It ends a
   * moment after the shared consumer has sent its first keyframe (the client switches to
   * the shared one when that renders), or with the view.
   */
  async #openFastStart(transport: WebRtcTransport, stream: ViewableStream, rtpCapabilities: RtpCapabilities, shared: Consumer, ended: (consumerId: string) => void): Promise<FastStartView | undefined> {
    const feed = await stream.openFastStart().catch(() => undefined);
    if (!feed) return undefined;
    let consumer: Consumer;
    try {
      consumer = await this.#consumeProducer(transport, stream, feed.producer, rtpCapabilities);
    } catch {
      feed.close();
      return undefined;
    }
    let done = false;
    const finish = (early: boolean) => {
      if (done) return;
      done = true;
      feed.close();
      if (!consumer.closed) consumer.close();
      if (early) ended(consumer.id);
    };
    consumer.observer.once('close', () => finish(false));
    consumer.on('producerclose', () => finish(true));
    consumer.on('transportclose', () => finish(false));
    void shared.enableTraceEvent(['keyframe']).catch(() => undefined);
    shared.on('trace', (t) => {
      if (t.type !== 'keyframe' || t.direction !== 'out') return;
      void shared.enableTraceEvent([]).catch(() => undefined);
      setTimeout(() => finish(true), FAST_START_HANDOVER_MS).unref();
    });
    return { consumer, start: feed.start };
  }

  /**
   * A paused consumer of `stream` on `transport`, after waiting for a cold stream to start.
   * The caller must have authorized the viewer already; nothing is sent until resume.
   */
  async #consume(transport: WebRtcTransport, stream: ViewableStream, rtpCapabilities: RtpCapabilities): Promise<Consumer> {
    // A producer can close under us (its ffmpeg run ended, its worker died) between the wait
    // and the consume: then wait for the next one, a few times.
    for (let attempt = 1; ; attempt++) {
      let producer: Producer;
      try {
        producer = await stream.waitForProducer(this.#ingest.startTimeoutMs);
      } catch (err) {
        throw new AppError(ErrorCode.CameraUnavailable, `camera unavailable: ${(err as Error).message}`);
      }
      try {
        return await this.#consumeProducer(transport, stream, producer, rtpCapabilities);
      } catch (err) {
        if (!producer.closed || attempt >= 3) throw err;
      }
    }
  }

  /** A paused consumer of one producer of `stream` (its own, or a fast-start one) on `transport`. */
  async #consumeProducer(transport: WebRtcTransport, stream: ViewableStream, producer: Producer, rtpCapabilities: RtpCapabilities): Promise<Consumer> {
    if (transport.closed) throw new AppError(ErrorCode.InvalidState, 'transport closed');
    const router = this.#routerOf(transport);
    await this.#pipe(producer, stream, router);
    if (!router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      const codec = producer.rtpParameters.codecs[0]?.mimeType.split('/')[1] ?? 'unknown';
      throw new AppError(ErrorCode.CannotConsume, `this browser cannot decode the camera's codec (${codec})`);
    }
    return transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
  }

  #routerOf(transport: WebRtcTransport): Router {
    const slot = this.#pool.slots.find((s) => s.router.id === transport.appData.routerId);
    if (!slot) throw new AppError(ErrorCode.InvalidState, 'transport\'s worker is gone');
    return slot.router;
  }

  /** Makes `producer` (living on the stream's router) available on `router`. */
  async #pipe(producer: Producer, stream: ViewableStream, router: Router): Promise<void> {
    const home = stream.slot?.router;
    if (!home || home === router) return;
    const key = `${producer.id}>${router.id}`;
    let pending = this.#pipes.get(key);
    if (!pending) {
      pending = home.pipeToRouter({ producerId: producer.id, router }).then(({ pipeProducer }) => {
        pipeProducer?.observer.once('close', () => this.#pipes.delete(key));
      });
      pending.catch(() => this.#pipes.delete(key));
      producer.observer.once('close', () => this.#pipes.delete(key));
      this.#pipes.set(key, pending);
    }
    await pending;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#streams.values()].map((s) => s.close()));
    this.#streams.clear();
    this.#pool.close();
  }
}
