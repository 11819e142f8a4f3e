// Repeats of an audited refusal counted on the cluster's Redis (util/repeat-throttle.ts): a
// person refused the same camera on several nodes is recorded once a window, not once per node.
// Per key, two Redis keys: a window key set by the occurrence that is recorded (it lapses after
// the window), and a count of the repeats since, taken by the next recorded occurrence. One
// script decides and counts, so occurrences arriving together at several nodes are decided one
// after another. Keys are hashed: what they are made of (camera ids, route names, addresses)
// comes from clients and is not bounded in length.
// While Redis does not answer (within ANSWER_MS) the node decides alone, as a node alone does:
// an audit bounded per node for the blip is better than a refusal that waits on Redis.
import { createHash } from 'node:crypto';
import { moduleLogger } from '../logger.js';
import { LocalRepeatThrottle, REPEAT_WINDOW_MS, type RepeatThrottle } from '../util/repeat-throttle.js';
import { withTimeout } from '../util/with-timeout.js';
import type { RedisClient } from './redis-client.js';

const log = moduleLogger('cluster');

/** How long a refusal waits on Redis before this node decides alone. */
export const ANSWER_MS = 1000;
/** A count of repeats that no later occurrence took is forgotten after this long. */
const COUNT_LIFE_MS = 86_400_000;

/** KEYS[1] the window key, KEYS[2] the count; ARGV window (ms), the count's life (ms). -1: a repeat; n >= 0: record, n repeats since the last record. */
const NOTE = `if redis.call('set', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return tonumber(redis.call('getdel', KEYS[2])) or 0
end
redis.call('incr', KEYS[2])
redis.call('pexpire', KEYS[2], ARGV[2])
return -1`;

export interface RedisRepeatThrottleOptions {
  /** The keys' prefix: the cluster's name and what is throttled. */
  name: string;
  windowMs?: number;
}

export class RedisRepeatThrottle implements RepeatThrottle {
  readonly #redis: RedisClient;
  readonly #name: string;
  readonly #windowMs: number;
  /** What decides while Redis does not answer. */
  readonly #alone: LocalRepeatThrottle;
  #warned = false;

  constructor(redis: RedisClient, o: RedisRepeatThrottleOptions) {
    this.#redis = redis;
    this.#name = o.name;
    this.#windowMs = o.windowMs ?? REPEAT_WINDOW_MS;
    this.#alone = new LocalRepeatThrottle(this.#windowMs);
  }

  async note(key: string): Promise<number | undefined> {
    const hash = createHash('sha256').update(key).digest('base64url').slice(0, 24);
    const at = `${this.#name}:repeats:${hash}`;
    try {
      const n = await withTimeout(this.#redis.eval(NOTE, { keys: [at, `${at}:n`], arguments: [String(this.#windowMs), String(COUNT_LIFE_MS)] }), ANSWER_MS);
      this.#warned = false;
      return typeof n === 'number' && n >= 0 ? n : undefined;
    } catch (err) {
      if (!this.#warned) log.warn({ err: (err as Error).message, name: this.#name }, 'refusals\' repeats counted on this node only: Redis does not answer');
      this.#warned = true;
      return this.#alone.note(key);
    }
  }
}
