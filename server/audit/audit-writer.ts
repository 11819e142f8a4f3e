// The audit log's write queue. Entries wait in one bounded buffer and are written in
// batches, one transaction (one hold of the chain's lock) per batch, so a burst of a hundred
// entries costs a few transactions instead of a hundred queued ones (which time out on the
// embedded database's single connection). A failed batch stays at the head of the buffer and
// is retried with backoff; its callers are let go after `holdMs` (their entries stay
// buffered), so a slow database never turns into errors for people. Only a full buffer
// refuses an entry, loudly: the system then refuses what it cannot record.
import { setTimeout as delay } from 'node:timers/promises';
import { AppError, ErrorCode } from '../errors.js';

export interface Queued<T> {
  item: T;
  /** When the entry was made (its time in the log, whenever it is written). */
  at: Date;
  settled: boolean;
  settle(err?: Error): void;
}

export interface WriterOptions {
  /** Entries written per transaction at most. */
  maxBatch: number;
  /** Entries held at most; beyond it `push` refuses. */
  maxBuffered: number;
  /** How long a caller waits for its entry while writes fail, before going on without it stored. */
  holdMs: number;
  /** First retry delay; doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface WriterState {
  buffered: number;
  /** Time of the oldest entry not yet stored, when writes are failing. */
  failingSince: Date | undefined;
  writeFailures: number;
  refused: number;
}

export interface WriterEvents<T> {
  written(items: T[]): void;
  failed(err: Error, buffered: number): void;
}

/** Errors a retry cannot mend (the entry itself is wrong); such an entry is refused alone. */
function permanent(err: Error): boolean {
  return err.name === 'PrismaClientValidationError';
}

export class AuditWriter<T> {
  readonly #write: (batch: Queued<T>[]) => Promise<void>;
  readonly #options: WriterOptions;
  readonly #events: WriterEvents<T>;
  readonly #queue: Queued<T>[] = [];
  /** Set and cleared synchronously inside the loop, so an entry pushed as it ends is never orphaned. */
  #active = false;
  #loop: Promise<void> = Promise.resolve();
  #failures = 0;
  #writeFailures = 0;
  #refused = 0;
  #failingSince: Date | undefined;
  #stopped = false;

  constructor(write: (batch: Queued<T>[]) => Promise<void>, options: WriterOptions, events: WriterEvents<T>) {
    this.#write = write;
    this.#options = options;
    this.#events = events;
  }

  /** Resolves once stored, or once `holdMs` passed while writes fail (the entry stays buffered). */
  push(item: T): Promise<void> {
    if (this.#queue.length >= this.#options.maxBuffered) {
      this.#refused++;
      return Promise.reject(new AppError(ErrorCode.Unavailable, 'the audit log cannot be written now; the action was not done'));
    }
    return new Promise<void>((resolve, reject) => {
      const q: Queued<T> = {
        item, at: new Date(), settled: false,
        settle: (err) => {
          if (q.settled) return;
          q.settled = true;
          if (err) reject(err);
          else resolve();
        },
      };
      this.#queue.push(q);
      if (!this.#active && !this.#stopped) {
        this.#active = true;
        this.#loop = this.#run();
      }
    });
  }

  state(): WriterState {
    return { buffered: this.#queue.length, failingSince: this.#failingSince, writeFailures: this.#writeFailures, refused: this.#refused };
  }

  /** Waits until the buffer is empty, or `timeoutMs` passed; returns how many entries are still unwritten. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.#active && Date.now() < deadline) {
      await Promise.race([this.#loop, delay(Math.max(0, deadline - Date.now()), undefined, { ref: false })]);
    }
    return this.#queue.length;
  }

  /** Stops retrying (after `drain`, at shutdown): what is left is reported by the caller. */
  stop(): void {
    this.#stopped = true;
  }

  async #run(): Promise<void> {
    // The flag is cleared in the same synchronous step as the last look at the queue (a
    // `finally` one await later would leave a gap in which a pushed entry finds the loop
    // "active" and waits for nobody).
    while (this.#queue.length && !this.#stopped) {
      const batch = this.#queue.slice(0, this.#options.maxBatch);
      try {
        await this.#write(batch);
        this.#done(batch);
      } catch (e) {
        const err = e as Error;
        if (permanent(err)) {
          await this.#oneByOne(batch);
          continue;
        }
        this.#failures++;
        this.#writeFailures++;
        this.#failingSince ??= this.#queue[0]!.at;
        this.#events.failed(err, this.#queue.length);
        // Wait out the backoff in slices, letting callers go at their hold time even while it runs long.
        const until = Date.now() + Math.min(this.#options.maxBackoffMs, this.#options.backoffMs * 2 ** (this.#failures - 1));
        for (;;) {
          const now = Date.now();
          for (const q of this.#queue) if (now - q.at.getTime() >= this.#options.holdMs) q.settle();
          if (now >= until) break;
          await delay(Math.min(until - now, 250));
        }
      }
    }
    this.#active = false;
  }

  async #oneByOne(batch: Queued<T>[]): Promise<void> {
    for (const q of batch) {
      try {
        await this.#write([q]);
        this.#done([q]);
      } catch (e) {
        const err = e as Error;
        if (!permanent(err)) return; // the next round retries from here
        this.#queue.splice(this.#queue.indexOf(q), 1);
        this.#refused++;
        q.settle(new AppError(ErrorCode.Internal, `audit entry refused by the database: ${err.message.split('\n').at(-1)}`));
      }
    }
  }

  #done(batch: Queued<T>[]): void {
    this.#queue.splice(0, batch.length);
    this.#failures = 0;
    this.#failingSince = undefined;
    for (const q of batch) q.settle();
    this.#events.written(batch.map((q) => q.item));
  }
}
