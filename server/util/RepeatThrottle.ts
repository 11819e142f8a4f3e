// Records of a repeated event at a bounded rate: the first occurrence of a key in a window is
// recorded; repeats inside the window are only counted, and the count goes with the next
// record. At most `maxKeys` keys are tracked (the oldest forgotten first), so a client that
// cycles through keys cannot grow it. Used for the audit of refused views, which a hostile
// client could otherwise flood.
export class RepeatThrottle {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #seen = new Map<string, { at: number; repeats: number }>();

  constructor(windowMs = 60_000, maxKeys = 10_000) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  /**
   * Notes an occurrence. Undefined: a repeat inside the window (do not record it). A number:
   * record this one, with that many unrecorded repeats since the last record of the key.
   */
  note(key: string, now = Date.now()): number | undefined {
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
