// The embedded database (PGlite) on a thread of its own, served on a loopback port so that
// Prisma's pg adapter and the migrations talk to it exactly as to a real server. The thread is
// the point: a query runs in WebAssembly to its end without yielding, and on the server's own
// thread every camera relay, socket and request waited for it (tests/integration/embedded-db.test.ts).
import { Worker } from 'node:worker_threads';
import { moduleLogger } from '../logger.js';

const log = moduleLogger('db');

export class EmbeddedDatabase {
  /** "127.0.0.1:PORT" */
  readonly conn: string;
  readonly #worker: Worker;
  #closing?: Promise<void>;

  private constructor(worker: Worker, conn: string) {
    this.#worker = worker;
    this.conn = conn;
  }

  /** Starts PGlite on the data in `dir` (created if empty) in its thread. */
  static start(dir: string, maxConnections = 16): Promise<EmbeddedDatabase> {
    const worker = new Worker(new URL('./embedded-worker.mjs', import.meta.url), { workerData: { dir, maxConnections } });
    return new Promise((resolve, reject) => {
      const early = (err: Error) => reject(new Error(`the embedded database did not start: ${err.message}`));
      worker.once('error', early);
      worker.once('exit', (code) => early(new Error(`its thread exited (${code})`)));
      worker.once('message', (m: { started?: string; failed?: string }) => {
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        if (m.failed !== undefined || !m.started) {
          reject(new Error(`the embedded database did not start: ${m.failed ?? 'no address'}`));
          return;
        }
        const db = new EmbeddedDatabase(worker, m.started);
        // A node without its database cannot serve: nothing it would do next could be stored.
        const lost = (why: string) => {
          if (db.#closing) return;
          log.fatal({ why }, 'the embedded database stopped; the node stops');
          process.exit(70);
        };
        worker.on('error', (err) => lost(err.message));
        worker.on('exit', (code) => lost(`its thread exited (${code})`));
        resolve(db);
      });
    });
  }

  /** Stops serving and closes the data (flushed to disk); idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      // Closed, the thread has nothing left and ends; one that does not is ended.
      const stuck = setTimeout(() => void this.#worker.terminate(), 10_000);
      stuck.unref();
      this.#worker.once('exit', () => {
        clearTimeout(stuck);
        resolve();
      });
      this.#worker.on('message', (m: { closed?: boolean; error?: string }) => {
        if (m.closed === false) log.error({ err: m.error }, 'closing the embedded database failed');
      });
      this.#worker.postMessage('close');
    });
    return this.#closing;
  }
}
