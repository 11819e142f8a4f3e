// Password hashing with bcrypt (bcryptjs: maintained, no native build to break offline), in a
// worker thread: one hash is ~100-200 ms of CPU, which on the event loop would hold up camera
// relays, signalling and every other request during a sign-in flood. Requests queue for the
// thread up to a bound; past it the caller is told the server is busy.
import { Worker } from 'node:worker_threads';
import { AppError, ErrorCode } from '../errors.js';

const COST = 11;
/** A valid hash of cost 11 to compare against when the user does not exist, so timing does not tell. */
const DUMMY = '$2b$11$79My.5yCkBRyYOEBW/9Sm.V0ksR0BJPh7ebw42t1f157btE9QNzja';
/** At most this many hashes wait for the thread (a few seconds of work). */
export const PASSWORD_QUEUE_LIMIT = 64;

type Job = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

class PasswordThread {
  #worker?: Worker;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  run<T>(job: Job): Promise<T> {
    if (this.#pending.size >= PASSWORD_QUEUE_LIMIT) {
      return Promise.reject(new AppError(ErrorCode.TooManyRequests, 'the server is busy checking passwords; try again in a moment'));
    }
    const worker = this.#start();
    const id = this.#next++;
    if (this.#pending.size === 0) worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, ...job });
    });
  }

  /** Starts the thread now (idle, unref'd), so the first sign-in does not pay its start. */
  warm(): void {
    this.#start();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./password-worker.mjs', import.meta.url));
    worker.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
      const p = this.#pending.get(id);
      this.#pending.delete(id);
      if (this.#pending.size === 0) worker.unref();
      if (error !== undefined) p?.reject(new Error(error));
      else p?.resolve(result);
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined; // the next call starts a new thread
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`password thread exited (${code})`)));
    // Idle, the thread does not keep the process alive (after the listeners: attaching a
    // 'message' listener refs it again); while a check waits, it does (a command-line tool
    // hashing one password would otherwise exit first).
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}

const thread = new PasswordThread();

/** A server calls this at start: the thread's start-up (tens of ms) is not paid by the first sign-in. */
export function warmPasswordThread(): void {
  thread.warm();
}

export function hashPassword(password: string): Promise<string> {
  return thread.run<string>({ op: 'hash', password, cost: COST });
}

export function checkPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  return thread.run<boolean>({ op: 'compare', password, hash: hash ?? DUMMY });
}
