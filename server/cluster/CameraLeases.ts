// Camera ownership leases on Redis: one key per camera naming the node that ingests it,
// written only if free (SET NX) and kept alive by its owner (renewed every third of its life,
// by a compare-and-expire script, so a node never extends a lease another node holds now).
// A node that cannot renew for a whole lease life gives up its cameras: by then another node
// may own them. No consensus of our own: Redis's single-key atomicity is the arbiter.
import { EventEmitter } from 'node:events';
import { moduleLogger } from '../logger.js';
import type { RedisClient } from './redis-client.js';

const log = moduleLogger('cluster');

/**
 * Extends the lease if this node still holds it; takes it again if it is gone (Redis restarted
 * without its data: nobody else can have taken it, or it would be there).
 */
const RENEW = `local v = redis.call('get', KEYS[1])
if v == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not v then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
/** Drops the lease only if this node holds it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
/** Frees a lease held by a node whose registry record has expired (it is dead), and nothing else. */
const FREE_FROM_DEAD = `if redis.call('get', KEYS[1]) == ARGV[1] and redis.call('exists', KEYS[2]) == 0 then return redis.call('del', KEYS[1]) end return 0`;

export interface CameraLeasesOptions {
  name: string;
  nodeId: string;
  leaseMs: number;
}

interface CameraLeasesEvents {
  /** A lease this node held is gone (another node holds it now, or it could not be renewed in time). */
  lost: [cameraId: string];
}

export class CameraLeases extends EventEmitter<CameraLeasesEvents> {
  readonly #redis: RedisClient;
  readonly #o: CameraLeasesOptions;
  readonly #held = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  /** When every held lease was last renewed (or first taken). */
  #renewedAt = Date.now();
  #renewing = false;
  #closed = false;

  constructor(redis: RedisClient, o: CameraLeasesOptions) {
    super();
    this.#redis = redis;
    this.#o = o;
    this.#timer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(o.leaseMs / 3)));
    this.#timer.unref();
  }

  #key(cameraId: string): string {
    return `${this.#o.name}:owner:${cameraId}`;
  }

  /** The cameras this node owns. */
  get held(): ReadonlySet<string> {
    return this.#held;
  }

  holds(cameraId: string): boolean {
    return this.#held.has(cameraId);
  }

  async owner(cameraId: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#key(cameraId))) ?? undefined;
  }

  async owners(cameraIds: readonly string[]): Promise<Array<string | undefined>> {
    if (cameraIds.length === 0) return [];
    return (await this.#redis.mGet(cameraIds.map((id) => this.#key(id)))).map((v) => v ?? undefined);
  }

  /** Takes the camera if nobody holds it (or this node already does); true when this node owns it now. */
  async claim(cameraId: string): Promise<boolean> {
    if (this.#closed) return false;
    const key = this.#key(cameraId);
    const set = await this.#redis.set(key, this.#o.nodeId, { condition: 'NX', expiration: { type: 'PX', value: this.#o.leaseMs } });
    const mine = set === 'OK' || (await this.#redis.get(key)) === this.#o.nodeId;
    if (mine) {
      if (set !== 'OK') await this.#redis.pExpire(key, this.#o.leaseMs);
      if (!this.#held.has(cameraId)) log.info({ camera: cameraId }, 'owns the camera now');
      this.#held.add(cameraId);
    }
    return mine;
  }

  /** Gives the camera up (placement may put it elsewhere). */
  async release(cameraId: string): Promise<void> {
    if (!this.#held.delete(cameraId)) return;
    log.info({ camera: cameraId }, 'gave the camera up');
    await this.#redis.eval(RELEASE, { keys: [this.#key(cameraId)], arguments: [this.#o.nodeId] }).catch((err: Error) => {
      log.warn({ camera: cameraId, err: err.message }, 'cannot release a camera; its lease expires by itself');
    });
  }

  /** Frees the camera's lease if `deadNode` holds it and its registry record is gone; true if freed. */
  async freeFromDead(cameraId: string, deadNode: string): Promise<boolean> {
    const freed = await this.#redis.eval(FREE_FROM_DEAD, { keys: [this.#key(cameraId), `${this.#o.name}:node:${deadNode}`], arguments: [deadNode] });
    if (freed === 1) log.info({ camera: cameraId, from: deadNode }, 'freed the camera of a dead node');
    return freed === 1;
  }

  /** Renews every held lease now (back on Redis after losing it). */
  renewNow(): Promise<void> {
    return this.#renew();
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#closed) return;
    this.#renewing = true;
    const started = Date.now();
    try {
      const ids = [...this.#held];
      const results = await Promise.all(ids.map((id) => this.#redis.eval(RENEW, { keys: [this.#key(id)], arguments: [this.#o.nodeId, String(this.#o.leaseMs)] })));
      this.#renewedAt = started;
      ids.forEach((id, i) => {
        if (results[i] === 1 || !this.#held.has(id)) return;
        this.#lose(id, 'another node holds it now');
      });
    } catch (err) {
      if (Date.now() - this.#renewedAt >= this.#o.leaseMs) {
        // Other nodes may own these cameras by now: this node must not ingest them too.
        for (const id of [...this.#held]) this.#lose(id, `leases could not be renewed: ${(err as Error).message}`);
      }
    } finally {
      this.#renewing = false;
    }
  }

  #lose(cameraId: string, reason: string): void {
    if (!this.#held.delete(cameraId)) return;
    log.warn({ camera: cameraId, reason }, 'lost the camera');
    this.emit('lost', cameraId);
  }

  /** Gives every camera up (a clean leave: other nodes take them at once). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.all([...this.#held].map((id) => this.release(id)));
  }
}
