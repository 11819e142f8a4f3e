// A viewer's view of one camera stream: what media hands signaling when asked to let a
// (already authorized) person watch. Demand counting and the fast start are media's business;
// signaling only routes client requests to the consumers it is given.
import type { Consumer, Producer } from 'mediasoup/node/lib/types.js';
import type { CameraClock } from './Ingest.js';
import type { WorkerSlot } from './WorkerPool.js';

/** The reason a client is given when its fast-start consumer ends because the shared one took over. */
export const FAST_START_ENDED = 'fast start ended';
/** How long a fast-start consumer outlives the shared consumer's first keyframe (the client's switch). */
export const FAST_START_HANDOVER_MS = 1500;

export interface FastStartView {
  /** A consumer of a producer of the viewer's own that begins with the cached GOP. */
  readonly consumer: Consumer;
  /** Begins the replay: call when the client resumes the consumer (earlier packets reach no one). */
  start(): void;
}

export interface View {
  /** The shared stream's consumer, paused until the client resumes it. */
  readonly consumer: Consumer;
  /** The stream served: a camera without a sub stream serves its main one. */
  readonly served: 'main' | 'sub';
  /** The camera's clock mapping for the current run, if known yet. */
  readonly clock?: CameraClock;
  /** For a camera that ignores keyframe requests, when a GOP is cached. */
  readonly fastStart?: FastStartView;
  /** Ends the view: closes its consumers and gives back its demand on the stream. Idempotent. */
  release(): void;
}

export interface ViewOptions {
  /**
   * The fast start ended while the view goes on (handed over to the shared consumer, or its
   * feed ended): the client should drop it.
   */
  onFastStartEnded?(consumerId: string): void;
}

/**
 * What a view needs of a stream: a camera this node ingests (CameraStream) or one piped from
 * the node that owns it (RemoteStream). Its producer lives on `slot`'s router.
 */
export interface ViewableStream {
  readonly id: string;
  readonly kind: 'main' | 'sub';
  readonly slot: WorkerSlot | undefined;
  readonly clock: CameraClock | undefined;
  /**
   * Fed by a pipe from the node that owns the camera: when its producer closes no new one comes
   * by itself (a local ingest starts again and says so with a new producer); whoever holds it
   * asks the directory again, perhaps for another owner.
   */
  readonly piped: boolean;
  /** Registers interest; the stream is fed while anyone holds it. Returns the release. */
  acquire(): () => void;
  /** Resolves with the producer once it exists; rejects when the stream fails or the time is up. */
  waitForProducer(timeoutMs: number): Promise<Producer>;
  /** Tells of each new producer (the ingest started again, or a new pipe opened). */
  on(event: 'producer', listener: (producer: Producer) => void): unknown;
  off(event: 'producer', listener: (producer: Producer) => void): unknown;
  /** A fast start for a new viewer, where the stream can give one. */
  openFastStart(): Promise<{ producer: Producer; start(): void; close(): void } | undefined>;
}

/**
 * Where a camera's stream is viewed from: this node's own ingest, or a pipe from the node that
 * owns the camera. Throws NotFound for unknown cameras.
 */
export interface StreamDirectory {
  streamFor(cameraId: string, kind: 'main' | 'sub'): Promise<ViewableStream>;
}
