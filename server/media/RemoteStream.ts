// A camera stream owned by another node, as this node's viewers see it: its producer arrives
// over a pipe from the owner (pipes.ts), opened when the first viewer comes and hung up a grace
// period after the last one leaves, exactly as an ingest is. Views of it look like views of a
// local stream (ViewableStream); when the pipe ends (the owner's camera restarted, the owner
// died) the producer closes and its viewers ask again, as after a local camera's restart.
import { EventEmitter } from 'node:events';
import type { PipeTransport, Producer } from 'mediasoup/node/lib/types.js';
import { moduleLogger } from '../logger.js';
import type { CameraClock } from './Ingest.js';
import { endpointOf, openPipeTransport, type PipeAddress, type PipeEndpoint, type PipeOffer } from './pipes.js';
import type { ViewableStream } from './View.js';
import type { WorkerPool, WorkerSlot } from './WorkerPool.js';

const log = moduleLogger('media:pipe');

/** A call to the owner: the pipe it opened for this edge, and how to hang it up. */
export interface PipeCall {
  pipeId: string;
  offer: PipeOffer;
  /** Asks the owner for a fast start fed into this pipe; undefined where the stream gives none. */
  openFastStart(): Promise<{ fastStartId: string; producer: PipeOffer['producer'] } | undefined>;
  /** Tells the owner to start (the viewer resumed) or end a fast start it opened. */
  fastStart(fastStartId: string, action: 'start' | 'close'): void;
  hangUp(): void;
}

/** Asks the owner for the stream, giving this edge's endpoint. */
export type PipeDialer = (local: PipeEndpoint) => Promise<PipeCall>;

export interface RemoteStreamOptions {
  id: string;
  kind: 'main' | 'sub';
  /** The node that owns the camera. */
  owner: string;
  address: PipeAddress;
  graceMs: number;
  dial: PipeDialer;
}

interface Pipe {
  call: PipeCall;
  transport: PipeTransport;
  producer: Producer;
  slot: WorkerSlot;
}

interface RemoteStreamEvents {
  producer: [Producer];
}

export class RemoteStream extends EventEmitter<RemoteStreamEvents> implements ViewableStream {
  readonly id: string;
  readonly kind: 'main' | 'sub';
  readonly owner: string;
  readonly piped = true;
  readonly #pool: WorkerPool;
  readonly #o: RemoteStreamOptions;
  #demand = 0;
  #graceTimer: NodeJS.Timeout | undefined;
  #opening: Promise<Producer> | undefined;
  #pipe: Pipe | undefined;
  #closed = false;

  constructor(pool: WorkerPool, o: RemoteStreamOptions) {
    super();
    this.id = o.id;
    this.kind = o.kind;
    this.owner = o.owner;
    this.#pool = pool;
    this.#o = o;
  }

  get slot(): WorkerSlot | undefined {
    return this.#pipe?.slot;
  }

  get clock(): CameraClock | undefined {
    return this.#pipe?.call.offer.clock;
  }

  /** The owner's id of the open pipe, if one is open. */
  get pipeId(): string | undefined {
    return this.#pipe?.call.pipeId;
  }

  get viewers(): number {
    return this.#demand;
  }

  acquire(): () => void {
    if (this.#closed) throw new Error(`stream ${this.id} is closed`);
    this.#demand++;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#demand--;
      this.#maybeHangUp();
    };
  }

  waitForProducer(timeoutMs: number): Promise<Producer> {
    const live = this.#pipe?.producer;
    if (live && !live.closed) return Promise.resolve(live);
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the camera's owner (${this.owner}) did not answer in time`)), timeoutMs);
      this.#opening!.then((p) => { clearTimeout(timer); resolve(p); }, (err: Error) => { clearTimeout(timer); reject(err); });
    });
  }

  /**
   * A fast start from the owner's GOP cache, for a camera that ignores keyframe requests: the
   * owner feeds a producer of the viewer's own into the pipe and this node produces it under
   * the same id; the replay begins when `start` reaches the owner.
   */
  async openFastStart(): Promise<{ producer: Producer; start(): void; close(): void } | undefined> {
    const pipe = this.#pipe;
    if (!pipe) return undefined;
    const fast = await pipe.call.openFastStart().catch(() => undefined);
    if (!fast) return undefined;
    const tell = (action: 'start' | 'close') => pipe.call.fastStart(fast.fastStartId, action);
    let producer: Producer;
    try {
      if (this.#pipe !== pipe) throw new Error('the pipe ended');
      const { id, rtpParameters, paused } = fast.producer;
      producer = await pipe.transport.produce({ id, kind: 'video', rtpParameters, paused, appData: { streamId: this.id, pipedFrom: this.owner, fastStart: true } });
    } catch {
      tell('close');
      return undefined;
    }
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      if (!producer.closed) producer.close();
      tell('close');
    };
    // The pipe's transport closing (the pipe ended) takes the producer with it.
    producer.observer.once('close', close);
    return { producer, start: () => tell('start'), close };
  }

  async #open(): Promise<Producer> {
    const slot = this.#pool.leastLoaded();
    const transport = await openPipeTransport(slot.router, this.#o.address);
    let call: PipeCall | undefined;
    try {
      call = await this.#o.dial(endpointOf(transport, this.#o.address));
      await transport.connect(call.offer.endpoint);
      const { id, rtpParameters, paused } = call.offer.producer;
      const producer = await transport.produce({ id, kind: 'video', rtpParameters, paused, appData: { streamId: this.id, pipedFrom: this.owner } });
      if (this.#closed) throw new Error(`stream ${this.id} is closed`);
      const pipe: Pipe = { call, transport, producer, slot };
      this.#pipe = pipe;
      transport.observer.once('close', () => this.#drop(pipe, 'media worker died'));
      log.info({ stream: this.id, owner: this.owner, pipe: call.pipeId }, 'piped from its owner');
      this.emit('producer', producer);
      this.#maybeHangUp();
      return producer;
    } catch (err) {
      if (!transport.closed) transport.close();
      call?.hangUp();
      throw err;
    }
  }

  #maybeHangUp(): void {
    if (this.#demand > 0 || !this.#pipe || this.#graceTimer) return;
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = undefined;
      if (this.#demand === 0) this.end('no viewers');
    }, this.#o.graceMs);
    this.#graceTimer.unref();
  }

  /**
   * Ends the open pipe (the owner said it ended, or the owner is gone): its producer closes, so
   * its viewers' consumers close and they ask again. The next demand opens a new pipe.
   */
  end(reason: string): void {
    const pipe = this.#pipe;
    if (pipe) this.#drop(pipe, reason);
  }

  #drop(pipe: Pipe, reason: string): void {
    if (this.#pipe !== pipe) return;
    this.#pipe = undefined;
    log.info({ stream: this.id, owner: this.owner, reason }, 'pipe from the owner ended');
    if (!pipe.transport.closed) pipe.transport.close();
    pipe.call.hangUp();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#graceTimer);
    this.end('closed');
  }
}
