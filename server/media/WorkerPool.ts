// mediasoup workers, one router each; a dead worker is replaced in place.
import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { Consumer, DataProducer, Producer, Router, RtpCodecCapability, Transport, WebRtcServer, Worker } from 'mediasoup/node/lib/types.js';
import type { MediaConfig } from '../config.js';
import { moduleLogger } from '../logger.js';
import { NEGOTIABLE_PROFILES } from './h264-profile.js';
import { viewerListenInfos } from './viewer-addresses.js';

const log = moduleLogger('media:workers');

/**
 * The codecs every router offers. H.264 for video: cameras send it or are transcoded to it.
 * H.265 only for cameras passed through as they are (`transcode: 'never'`): a browser that
 * cannot decode it simply has no H.265 in its capabilities and is refused at consume.
 */
export const MEDIA_CODECS: RtpCodecCapability[] = [
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': NEGOTIABLE_PROFILES.constrainedBaseline, 'level-asymmetry-allowed': 1 },
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }],
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': NEGOTIABLE_PROFILES.main, 'level-asymmetry-allowed': 1 },
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }],
  },
  {
    kind: 'video',
    mimeType: 'video/H265',
    clockRate: 90000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }],
  },
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
];

/**
 * One worker, its router and its WebRTC server, with the load the pool balances on. Viewers'
 * transports share the WebRTC server's one UDP and one TCP port, so however many viewers come
 * they take no ports from the worker's range, which stays for the cameras' PlainTransports.
 */
export class WorkerSlot {
  readonly index: number;
  readonly worker: Worker;
  readonly router: Router;
  readonly webRtcServer: WebRtcServer;
  /**
   * A data source that never sends: each viewer's transport subscribes to it as it is made, so
   * the browser has something to negotiate (a data channel) and connects ICE and DTLS before
   * its first consume (MediaService.createViewerTransport).
   */
  readonly warmup: DataProducer;
  readonly #transports = new Set<Transport>();
  readonly #producers = new Set<Producer>();
  readonly #consumers = new Set<Consumer>();

  constructor(index: number, worker: Worker, router: Router, webRtcServer: WebRtcServer, warmup: DataProducer) {
    this.index = index;
    this.worker = worker;
    this.router = router;
    this.webRtcServer = webRtcServer;
    this.warmup = warmup;
    router.observer.on('newtransport', (transport) => {
      track(this.#transports, transport);
      transport.observer.on('newproducer', (p) => track(this.#producers, p));
      transport.observer.on('newconsumer', (c) => track(this.#consumers, c));
    });
  }

  get transports(): number {
    return this.#transports.size;
  }

  get producers(): number {
    return this.#producers.size;
  }

  get consumers(): number {
    return this.#consumers.size;
  }

  /** The live consumers and transports of this worker's router, for statistics (read-only use). */
  get liveConsumers(): ReadonlySet<Consumer> {
    return this.#consumers;
  }

  get liveTransports(): ReadonlySet<Transport> {
    return this.#transports;
  }

  /** A producer costs about as much as a few dozen consumers (ingest + fan-out source). */
  get load(): number {
    return this.#producers.size * 20 + this.#consumers.size;
  }

  get alive(): boolean {
    return !this.worker.closed && !this.router.closed;
  }
}

/** Keeps `item` in `set` until it closes. */
function track<T extends { observer: { once(event: 'close', fn: () => void): unknown } }>(set: Set<T>, item: T): void {
  set.add(item);
  item.observer.once('close', () => set.delete(item));
}

export interface WorkerPoolEvents {
  /** A worker died; its router and everything on it are closed. */
  workerDied: [slot: WorkerSlot];
  /** A replacement worker is ready in the same position. */
  workerReplaced: [slot: WorkerSlot];
}

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #config: MediaConfig;
  readonly #slots: Array<WorkerSlot | undefined> = [];
  #closed = false;

  private constructor(config: MediaConfig) {
    super();
    this.#config = config;
  }

  static async create(config: MediaConfig): Promise<WorkerPool> {
    const pool = new WorkerPool(config);
    await Promise.all(Array.from({ length: config.workers }, (_, i) => pool.#spawn(i)));
    log.info({ workers: config.workers }, 'mediasoup workers ready');
    return pool;
  }

  /** Live slots (a replacement may be on its way for a missing one). */
  get slots(): WorkerSlot[] {
    return this.#slots.filter((s): s is WorkerSlot => s !== undefined && s.alive);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The router of the least loaded live worker. */
  leastLoaded(): WorkerSlot {
    const slots = this.slots;
    if (slots.length === 0) throw new Error('no live mediasoup worker');
    return slots.reduce((a, b) => (b.load < a.load ? b : a));
  }

  slotOf(router: Router): WorkerSlot | undefined {
    return this.slots.find((s) => s.router === router);
  }

  async #spawn(index: number): Promise<WorkerSlot> {
    const range = this.#config.rtcMaxPort - this.#config.rtcMinPort + 1;
    const per = Math.floor(range / this.#config.workers);
    const worker = await mediasoup.createWorker({
      logLevel: this.#config.logLevel,
      // Each worker gets its own port range so replacements never collide with survivors.
      rtcMinPort: this.#config.rtcMinPort + index * per,
      rtcMaxPort: this.#config.rtcMinPort + (index + 1) * per - 1,
      appData: { index },
    });
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    // Without configured ports the worker picks free ones from its range (tests run several
    // servers at once); a deployment names them, so that its firewall can open exactly them.
    const webRtcServer = await worker.createWebRtcServer({ listenInfos: viewerListenInfos(this.#config, index) });
    // Made before the slot counts the router's transports: its direct transport is no viewer's.
    const warmup = await (await router.createDirectTransport()).produceData({ label: 'warmup' });
    const slot = new WorkerSlot(index, worker, router, webRtcServer, warmup);
    this.#slots[index] = slot;
    worker.once('died', (err) => void this.#onDied(slot, err));
    return slot;
  }

  async #onDied(slot: WorkerSlot, err: Error): Promise<void> {
    log.error({ worker: slot.index, pid: slot.worker.pid, err: err.message }, 'mediasoup worker died; replacing it');
    this.#slots[slot.index] = undefined;
    this.emit('workerDied', slot);
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        const fresh = await this.#spawn(slot.index);
        if (this.#closed) {
          fresh.worker.close();
          return;
        }
        log.info({ worker: slot.index, pid: fresh.worker.pid }, 'mediasoup worker replaced');
        this.emit('workerReplaced', fresh);
        return;
      } catch (e) {
        log.error({ worker: slot.index, err: (e as Error).message, attempt }, 'replacing mediasoup worker failed');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  }

  /** Closes every worker (and so every router, transport, producer and consumer). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) slot?.worker.close();
  }
}
