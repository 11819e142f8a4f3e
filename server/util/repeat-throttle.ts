// Records of a repeated event at a bounded rate: the first occurrence of a key in a window is
// recorded; repeats inside the window are only counted, and the count goes with the next
// record. Used for the audit of refused views and routes and of throttled sign-ins, which a
// hostile client could otherwise flood. The port: one node alone keeps the keys in memory
// (LocalRepeatThrottle); a cluster shares them on Redis (cluster/RedisRepeatThrottle.ts), so a
// person refused on several nodes is still recorded once a window.
export interface RepeatThrottle {
  /**
   * Notes an occurrence. Undefined: a repeat inside the window (do not record it). A number:
   * record this one, with that many unrecorded repeats since the last record of the key.
   */
  note(key: string): Promise<number | undefined>;
}

/**
 * The keys in this process. At most `maxKeys` are tracked (the oldest forgotten first), so a
 * client that cycles through keys cannot grow it.
 */
export class LocalRepeatThrottle implements RepeatThrottle {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #seen = new Map<string, { at: number; repeats: number }>();

  constructor(windowMs = REPEAT_WINDOW_MS, maxKeys = 10_000) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  async note(key: string): Promise<number | undefined> {
    return this.noteAt(key, Date.now());
  }

  /** note() at a given time (what a fallback and the tests use). */
  noteAt(key: string, now: number): number | undefined {
    const last = this.#seen.get(key);
    if (last && now - last.at < this.#windowMs) {
      last.repeats++;
      return undefined;
    }
    this.#seen.delete(key);
    this.#seen.set(key, { at: now, repeats: 0 });
    if (this.#seen.size > this.#maxKeys) this.#seen.delete(this.#seen.keys().next().value!);
    return last?.repeats ?? 0;
  }
}

/** A key is recorded at most once in this long. */
export const REPEAT_WINDOW_MS = 60_000;
