// Bounded concurrency for costly work (an ffmpeg run): at most `max` at once, the rest wait
// in order, and, when `maxWaiting` is set, a request beyond that many waiting is refused at
// once rather than queued without bound.

export class GateFullError extends Error {
  constructor() {
    super('too many requests of this kind are waiting');
    this.name = 'GateFullError';
  }
}

export class Gate {
  readonly #max: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(max: number, maxWaiting = Number.POSITIVE_INFINITY) {
    this.#max = max;
    this.#maxWaiting = maxWaiting;
  }

  /** Runs `work` when a place is free; rejects with GateFullError when too many wait already. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max) {
      if (this.#waiting.length >= this.#maxWaiting) throw new GateFullError();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
