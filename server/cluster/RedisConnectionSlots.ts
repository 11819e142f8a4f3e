// Signaling connections per account across the cluster, on Redis: one sorted set per account,
// one member per connection (node/socket), scored by when it lapses unless renewed. The node
// that holds a connection renews it every third of its life, so a node that dies leaves no
// slot taken after one life. The check and the add are one script (Redis's own clock, not the
// nodes'): connections arriving together at several nodes are counted one after another.
// While Redis is away a node counts its own connections, so the cap holds per node as it does
// alone: refusing every supervisor's page for a blip of Redis would be worse than a looser cap
// for its duration. Its next renewal once Redis answers puts them on Redis with the rest.
import { moduleLogger } from '../logger.js';
import type { ConnectionSlots } from '../util/connection-slots.js';
import { withTimeout } from '../util/with-timeout.js';
import type { RedisClient } from './redis-client.js';

const log = moduleLogger('cluster');

/** How long a connection stays counted after its node last renewed it (a dead node's lapse then). */
export const CONNECTION_SLOT_LIFE_MS = 30_000;
/**
 * How long a page's connection waits on Redis for its slot before this node counts it itself:
 * a Redis that stopped answering (a partition closes nothing) must not hold up every sign-in
 * until the connection's ping watchdog notices.
 */
export const HOLD_ANSWER_MS = 1000;

const NOW = `local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;
/** KEYS[1] the account's set; ARGV cap, life (ms), member. 1: held, 0: at the cap. */
const HOLD = `${NOW}redis.call('zremrangebyscore', KEYS[1], '-inf', now)
if not redis.call('zscore', KEYS[1], ARGV[3]) and redis.call('zcard', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('zadd', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('pexpire', KEYS[1], ARGV[2])
return 1`;
/** KEYS[1] the account's set; ARGV life (ms), then the members this node holds. */
const RENEW = `${NOW}for i = 2, #ARGV do redis.call('zadd', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('pexpire', KEYS[1], ARGV[1])
return 1`;

export interface RedisConnectionSlotsOptions {
  /** The cluster's name (the keys' prefix). */
  name: string;
  nodeId: string;
  cap: number;
  /** How long a connection is counted without its node renewing it. */
  lifeMs: number;
}

export class RedisConnectionSlots implements ConnectionSlots {
  readonly #redis: RedisClient;
  readonly #o: RedisConnectionSlotsOptions;
  /** This node's connections by account (on Redis too, unless it was away when they came). */
  readonly #mine = new Map<string, Set<string>>();
  readonly #timer: NodeJS.Timeout;
  #renewing = false;
  #warned = false;

  constructor(redis: RedisClient, o: RedisConnectionSlotsOptions) {
    this.#redis = redis;
    this.#o = o;
    this.#timer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(o.lifeMs / 3)));
    this.#timer.unref();
  }

  #key(accountId: string): string {
    return `${this.#o.name}:connections:${accountId}`;
  }

  #member(connectionId: string): string {
    return `${this.#o.nodeId}/${connectionId}`;
  }

  #note(accountId: string, connectionId: string): void {
    const mine = this.#mine.get(accountId) ?? new Set<string>();
    mine.add(connectionId);
    this.#mine.set(accountId, mine);
  }

  async hold(accountId: string, connectionId: string): Promise<boolean> {
    try {
      const held = await withTimeout(this.#redis.eval(HOLD, { keys: [this.#key(accountId)], arguments: [String(this.#o.cap), String(this.#o.lifeMs), this.#member(connectionId)] }), HOLD_ANSWER_MS);
      if (held !== 1) return false;
      this.#note(accountId, connectionId);
      return true;
    } catch (err) {
      if (!this.#warned) log.warn({ err: (err as Error).message }, 'connections per account counted on this node only: Redis does not answer');
      this.#warned = true;
      // This node's own connections, wherever counted, against the cap. Should Redis take this
      // one after all, the next renewal keeps it there, as it puts every connection counted here.
      if ((this.#mine.get(accountId)?.size ?? 0) >= this.#o.cap) return false;
      this.#note(accountId, connectionId);
      return true;
    }
  }

  release(accountId: string, connectionId: string): void {
    const mine = this.#mine.get(accountId);
    if (!mine?.has(connectionId)) return;
    mine.delete(connectionId);
    if (mine.size === 0) this.#mine.delete(accountId);
    // Wherever counted: a hold sent while Redis was away may reach it late. A release that does
    // not reach Redis lapses there within a life.
    this.#redis.zRem(this.#key(accountId), this.#member(connectionId)).catch(() => undefined);
  }

  /** This node's connections, by account. */
  #held(): Array<[string, string[]]> {
    return [...this.#mine].map(([accountId, mine]): [string, string[]] => [accountId, [...mine]]);
  }

  /**
   * Renews this node's connections on Redis: all of them, those it counted itself while Redis
   * was away included, which are counted on Redis from then on (the cluster's count is whole
   * again; above the cap, until enough of them close). One released while the renewal was on
   * its way is taken off again: the renewal may have put it back.
   */
  async #renew(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      const held = this.#held();
      await Promise.all(held.map(([accountId, ids]) => this.#redis.eval(RENEW, { keys: [this.#key(accountId)], arguments: [String(this.#o.lifeMs), ...ids.map((c) => this.#member(c))] })));
      this.#warned = false;
      for (const [accountId, ids] of held) {
        const gone = ids.filter((id) => !this.#mine.get(accountId)?.has(id));
        if (gone.length > 0) this.#redis.zRem(this.#key(accountId), gone.map((c) => this.#member(c))).catch(() => undefined);
      }
    } catch (err) {
      if (!this.#warned) log.warn({ err: (err as Error).message }, 'cannot renew the connections counted on Redis; they lapse there unless Redis comes back within their life');
      this.#warned = true;
    } finally {
      this.#renewing = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#held().map(([accountId, ids]) => this.#redis.zRem(this.#key(accountId), ids.map((c) => this.#member(c))).catch(() => undefined)));
    this.#mine.clear();
  }
}
