// The nodes of the cluster, as Redis knows them: each node writes its record (address, role,
// region, capacity, load, draining) under a key that expires after three heartbeats, and reads
// everyone's at each beat. A node whose key expired is gone ('left'): its cameras are placed
// again and the pipes from it end. Nodes also agree on the credentials key before joining.
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { moduleLogger } from '../logger.js';
import { PUBLIC_ORIGIN } from '../util/origins.js';
import type { RedisClient } from './redis-client.js';

const log = moduleLogger('cluster');

export type NodeRole = 'media' | 'edge' | 'both';

const nodeSchema = z.object({
  id: z.string().min(1).max(100),
  role: z.enum(['media', 'edge', 'both']),
  region: z.string().max(32).optional(),
  /** Base URL of the node's cluster routes. */
  address: z.string().url().max(300),
  /** Where browsers reach the node (NODE_PUBLIC_URL); absent: never offered to pages. */
  publicUrl: z.string().max(300).regex(PUBLIC_ORIGIN).optional(),
  capacity: z.number().int().min(1),
  /** Cameras it owns right now. */
  load: z.number().int().min(0),
  draining: z.boolean(),
  startedAt: z.number(),
  beatAt: z.number(),
}); // not strict: a field a newer node adds must not make an older one take it for dead
export type NodeInfo = z.infer<typeof nodeSchema>;

/** Whether `n` takes cameras (ingests). */
export const ingests = (n: Pick<NodeInfo, 'role'>): boolean => n.role !== 'edge';

export interface NodeRegistryOptions {
  /** The cluster's name: its keys' prefix. */
  name: string;
  self: Omit<NodeInfo, 'load' | 'draining' | 'beatAt' | 'startedAt'>;
  /** How many cameras this node owns now (read at each beat). */
  load(): number;
  beatMs: number;
  /** The credentials key's fingerprint: a node with another refuses to join. */
  keyFingerprint: string;
}

interface NodeRegistryEvents {
  joined: [NodeInfo];
  /** A node's record expired or it left: it serves nothing any more. */
  left: [nodeId: string];
  /** This node beats again after failing to (Redis was away, perhaps restarted empty). */
  reconnected: [];
}

export class NodeRegistry extends EventEmitter<NodeRegistryEvents> {
  readonly #redis: RedisClient;
  readonly #o: NodeRegistryOptions;
  readonly #startedAt = Date.now();
  #nodes = new Map<string, NodeInfo>();
  #draining = false;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #failing = false;
  /** This node's record has been written once (its absence later means Redis lost it). */
  #written = false;
  #graceUntil = 0;
  #closed = false;

  private constructor(redis: RedisClient, o: NodeRegistryOptions) {
    super();
    this.#redis = redis;
    this.#o = o;
  }

  /**
   * The first node to join sets the cluster's key fingerprint; any other node must hold the
   * same key, else it refuses to start (before it reads a camera it could not open).
   */
  static async agreeOnKey(redis: RedisClient, name: string, keyFingerprint: string): Promise<void> {
    const checkKey = `${name}:credentials-key`;
    await redis.set(checkKey, keyFingerprint, { condition: 'NX' });
    const agreed = await redis.get(checkKey);
    if (agreed !== keyFingerprint) {
      throw new Error('this node\'s CREDENTIALS_KEY differs from the one the cluster\'s nodes share: it could not open their cameras\' URLs; refusing to join');
    }
  }

  static async join(redis: RedisClient, o: NodeRegistryOptions): Promise<NodeRegistry> {
    await NodeRegistry.agreeOnKey(redis, o.name, o.keyFingerprint);
    const registry = new NodeRegistry(redis, o);
    await registry.#beat();
    registry.#timer = setInterval(() => void registry.beat(), o.beatMs);
    registry.#timer.unref();
    log.info({ node: o.self.id, role: o.self.role, region: o.self.region, nodes: registry.#nodes.size }, 'registered in the cluster');
    return registry;
  }

  get self(): NodeInfo {
    return this.#record();
  }

  /** The live nodes, this one included, as of the last beat. */
  get nodes(): NodeInfo[] {
    return [...this.#nodes.values()];
  }

  alive(id: string): boolean {
    return this.#nodes.has(id);
  }

  /**
   * Where pages may reconnect when their node stops answering: the public origins of the live
   * nodes that take new work (not draining), this one included.
   */
  get publicUrls(): string[] {
    return this.nodes.filter((n) => n.publicUrl && !n.draining).map((n) => n.publicUrl!).sort();
  }

  get(id: string): NodeInfo | undefined {
    return this.#nodes.get(id);
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Takes no new cameras from now (placement skips a draining node); told at once. */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.beat();
  }

  #key(id: string): string {
    return `${this.#o.name}:node:${id}`;
  }

  #record(): NodeInfo {
    return { ...this.#o.self, load: this.#o.load(), draining: this.#draining, startedAt: this.#startedAt, beatAt: Date.now() };
  }

  /** One beat now (also run every beatMs): writes this node's record and reads everyone's. */
  beat(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#beating ??= this.#beat().catch((err: Error) => {
      // Everyone else's view is kept: a node that cannot reach Redis must not take its peers for
      // dead (its own leases lapse, and it stops its cameras: CameraLeases).
      if (!this.#failing) log.warn({ err: err.message }, 'cannot beat in the node registry; retrying');
      this.#failing = true;
    }).finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  async #beat(): Promise<void> {
    const me = this.#record();
    const set = `${this.#o.name}:nodes`;
    const previous = await this.#redis.set(this.#key(me.id), JSON.stringify(me), { expiration: { type: 'PX', value: this.#o.beatMs * 3 }, GET: true });
    // This node's own record gone though it was written within its life: Redis lost its data
    // (restarted empty between two beats, too fast for a beat to fail). Everyone else's records
    // are gone for the same reason: they are not dead.
    const dataLost = this.#written && previous === null;
    this.#written = true;
    await this.#redis.sAdd(set, me.id);
    const ids = (await this.#redis.sMembers(set)).slice(0, 10_000);
    const values = ids.length ? await this.#redis.mGet(ids.map((id) => this.#key(id))) : [];
    const next = new Map<string, NodeInfo>();
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const raw = values[i];
      if (raw == null) {
        gone.push(id);
        return;
      }
      const parsed = parseNode(raw);
      if (parsed && parsed.id === id) next.set(id, parsed);
    });
    if (gone.length) await this.#redis.sRem(set, gone);
    next.set(me.id, me);
    if (this.#failing || dataLost) {
      log.info(dataLost ? 'the node registry was emptied (Redis restarted?); writing it again' : 'beating in the node registry again');
      // Redis may have restarted without its data: the others write their records again at
      // their next beat. Until three beats have passed, nobody missing is taken for dead.
      this.#graceUntil = Date.now() + 3 * this.#o.beatMs;
      this.emit('reconnected');
    }
    this.#failing = false;
    if (Date.now() < this.#graceUntil) {
      for (const [id, n] of this.#nodes) if (!next.has(id)) next.set(id, n);
    }
    const before = this.#nodes;
    this.#nodes = next;
    // A node that died and started again within three beats keeps its id but not its pipes
    // or its views: its new start time tells the others it left (and came back).
    const restarted = [...next.values()].filter((n) => n.id !== me.id && before.has(n.id) && before.get(n.id)!.startedAt !== n.startedAt);
    for (const n of restarted) this.emit('left', n.id);
    for (const [id, n] of next) if ((!before.has(id) || restarted.includes(n)) && id !== me.id) this.emit('joined', n);
    for (const id of before.keys()) if (!next.has(id)) this.emit('left', id);
  }

  /** Leaves at once (others need not wait for the record to expire). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#beating;
    try {
      await this.#redis.del(this.#key(this.#o.self.id));
      await this.#redis.sRem(`${this.#o.name}:nodes`, this.#o.self.id);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot leave the node registry; the record expires by itself');
    }
  }
}

function parseNode(raw: string): NodeInfo | undefined {
  try {
    const parsed = nodeSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
