// A rate over a sliding time window from samples of a growing counter.

export class RateWindow {
  readonly #windowMs: number;
  #samples: Array<[number, number]> = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Adds a sample of a monotonic counter; a counter that went backwards starts afresh. */
  add(at: number, value: number): void {
    const last = this.#samples.at(-1);
    if (last && value < last[1]) this.#samples = [];
    this.#samples.push([at, value]);
    while (this.#samples.length > 2 && at - this.#samples[0]![0] > this.#windowMs) this.#samples.shift();
  }

  /** Counter increase per second over the window (0 with fewer than two samples). */
  ratePerSecond(): number {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last[0] === first[0]) return 0;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }
}
