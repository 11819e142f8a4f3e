// How the nodes of one system tell each other what changed: access (a grant revoked, an account
// suspended), places, cameras. Without Redis a node is a cluster of one and the bus goes
// nowhere; with it, every node hears every other node's changes at once over Redis pub/sub, and
// keeps its caches short only while it cannot hear (docs/cluster.md).
//
// Pub/sub delivers to whoever is connected, so a node that lost Redis for a while may have
// missed events: when it is back it forgets every cache ('resync'), and a node whose own
// announcements failed meanwhile asks every node to do the same.
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { moduleLogger } from '../logger.js';
import { closeRedisClient, clusterRedisClient, connectWithin, redactUrl, type RedisClient } from './redis-client.js';

const log = moduleLogger('cluster');

const uuid = z.string().uuid();
const eventSchema = z.discriminatedUnion('kind', [
  /** A person's access changed ('*': anyone's). */
  z.object({ kind: z.literal('access'), userId: z.union([uuid, z.literal('*')]) }).strict(),
  /** Units or facilities moved: every camera's place may have changed. */
  z.object({ kind: z.literal('places') }).strict(),
  z.object({ kind: z.literal('camera'), cameraId: uuid, change: z.enum(['added', 'updated', 'removed']) }).strict(),
  /** The health of a stream its owner ingests (published by every node, recorded by the owner alone). */
  z.object({
    kind: z.literal('health'), cameraId: uuid, stream: z.enum(['main', 'sub']),
    health: z.object({
      state: z.enum(['idle', 'connecting', 'restarting', 'live', 'stalled', 'offline']),
      reason: z.string().max(500).optional(),
      since: z.string().max(40),
      lastFrameAt: z.string().max(40).optional(),
      fps: z.number().min(0).max(1000),
      bitrateKbps: z.number().min(0).max(1e6),
      restarts: z.number().int().min(0),
      codec: z.string().max(40).optional(),
      transcoding: z.boolean(),
      ingest: z.enum(['relay', 'ffmpeg', 'direct']).optional(),
      profile: z.string().max(40).optional(),
      viewers: z.number().int().min(0),
    }).strict(),
  }).strict(),
  /** The owner closed a pipe it fed to node `to` (its camera restarted, or its worker died). */
  z.object({ kind: z.literal('pipe-closed'), to: z.string().min(1).max(100), pipeId: uuid, reason: z.string().max(200) }).strict(),
  /** Events may have been lost: forget every cache. */
  z.object({ kind: z.literal('resync') }).strict(),
]);
export type ClusterEvent = z.infer<typeof eventSchema>;

const envelopeSchema = z.object({ node: z.string().min(1).max(100), event: eventSchema }).strict();
/** Larger messages are no event of ours: dropped unread. */
const MAX_MESSAGE_BYTES = 2048;

interface BusEvents {
  /** Another node's change. */
  event: [ClusterEvent];
  /** This node may have missed events (back on Redis after losing it): forget every cache. */
  resync: [];
}

export interface ClusterBus extends EventEmitter<BusEvents> {
  readonly nodeId: string;
  /** Whether other nodes hear this one (false: a node alone). */
  readonly shared: boolean;
  /** Whether this node hears the cluster right now (false alone, or while Redis is away). */
  readonly connected: boolean;
  /** How many times this node came back to the cluster after losing it (and dropped its caches). */
  readonly resyncs: number;
  /** Announcements of this node's changes that could not be sent (made up for by a resync). */
  readonly lost: number;
  /** Tells every other node; never throws, never waits. */
  publish(event: ClusterEvent): void;
  close(): Promise<void>;
}

/** A node alone: nothing to tell anyone. */
export class SoloBus extends EventEmitter<BusEvents> implements ClusterBus {
  readonly shared = false;
  readonly connected = false;
  readonly resyncs = 0;
  readonly lost = 0;
  constructor(readonly nodeId: string) {
    super();
  }
  publish(): void {}
  async close(): Promise<void> {}
}

export interface RedisBusOptions {
  url: string;
  /** The cluster's name: its channel on Redis. */
  name: string;
  nodeId: string;
  /** How long to wait for Redis at start (then the start fails: a configured cluster must be reachable). */
  connectTimeoutMs?: number;
}

export class RedisBus extends EventEmitter<BusEvents> implements ClusterBus {
  readonly shared = true;
  readonly nodeId: string;
  readonly #channel: string;
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  /** Announcements that did not reach Redis since it was last reachable. */
  #lost = 0;
  #lostTotal = 0;
  #resyncs = 0;
  #closed = false;

  static async connect(o: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(o);
    try {
      await bus.#start(o.connectTimeoutMs ?? 5000);
    } catch (err) {
      await bus.close();
      throw new Error(`cannot reach Redis for the cluster (${redactUrl(o.url)}): ${(err as Error).message}`);
    }
    return bus;
  }

  private constructor(o: RedisBusOptions) {
    super();
    this.nodeId = o.nodeId;
    this.#channel = `${o.name}:events`;
    // No offline queue: an announcement made while Redis is away fails at once (and is made up
    // for by a resync), rather than piling up in memory.
    const client = (role: string) => clusterRedisClient({ ...o, role, live: () => !this.#closed });
    this.#pub = client('publisher');
    this.#sub = client('subscriber');
  }

  async #start(timeoutMs: number): Promise<void> {
    await connectWithin([this.#pub, this.#sub], timeoutMs);
    await this.#sub.subscribe(this.#channel, (message) => this.#receive(message));
    // After the first connection, every 'ready' is a reconnection: events may have been missed.
    this.#sub.on('ready', () => {
      log.info('Redis is back: forgetting what may have changed meanwhile');
      this.#resyncs++;
      this.#safeEmit('resync');
    });
    this.#pub.on('ready', () => {
      if (this.#lost === 0) return;
      log.info({ lost: this.#lost }, 'Redis is back: asking every node to resync');
      this.#lost = 0;
      this.publish({ kind: 'resync' });
    });
    log.info({ channel: this.#channel, node: this.nodeId }, 'joined the cluster');
  }

  get connected(): boolean {
    return !this.#closed && this.#pub.isReady && this.#sub.isReady;
  }

  get resyncs(): number {
    return this.#resyncs;
  }

  get lost(): number {
    return this.#lostTotal;
  }

  publish(event: ClusterEvent): void {
    if (this.#closed) return;
    const message = JSON.stringify({ node: this.nodeId, event });
    this.#pub.publish(this.#channel, message).catch((err: Error) => {
      this.#lost++;
      this.#lostTotal++;
      log.warn({ err: err.message, kind: event.kind }, 'a change could not be announced to the cluster');
    });
  }

  #receive(message: string): void {
    if (message.length > MAX_MESSAGE_BYTES) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) {
      log.warn({ problem: envelope.error.issues[0]?.message }, 'a cluster message that is not one of ours was dropped');
      return;
    }
    if (envelope.data.node === this.nodeId) return;
    this.#safeEmit('event', envelope.data.event);
  }

  #safeEmit<E extends keyof BusEvents>(name: E, ...args: BusEvents[E]): void {
    try {
      (this as EventEmitter).emit(name, ...args);
    } catch (err) {
      log.error({ err: (err as Error).message, event: name }, 'a cluster event handler failed');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#pub, this.#sub].map(closeRedisClient));
  }
}
