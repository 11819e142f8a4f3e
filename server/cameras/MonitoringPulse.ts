// While the server runs, it beats: a row in the database says "this node was monitoring its
// cameras until at least T". A clean stop records 'unknown' for every stream (CameraRegistry)
// and says so here; a crash (SIGKILL, power loss, OOM) leaves the beat behind, and the next
// start writes 'unknown' rows at it. Without that, the 24/7 connection report would count the
// whole outage of the server as whatever state each camera was last in (live, usually).
// At most one beat interval of the dead run is lost to the report's accuracy. In a cluster a
// dead node may never start again: every node also recovers the others that stopped beating
// (three intervals of silence), once, for the cameras they ingested and the views they served.
import { moduleLogger } from '../logger.js';
import type { HeartbeatRepository } from './heartbeat.repository.js';

const log = moduleLogger('cameras:pulse');

export interface MonitoringPulseOptions {
  /** This node's name (several media nodes keep one row each). */
  nodeId: string;
  intervalMs: number;
}

export class MonitoringPulse {
  readonly #repo: HeartbeatRepository;
  readonly #options: MonitoringPulseOptions;
  readonly #timer: NodeJS.Timeout;
  #stopped = false;

  private constructor(repo: HeartbeatRepository, options: MonitoringPulseOptions) {
    this.#repo = repo;
    this.#options = options;
    this.#timer = setInterval(() => void this.#beat(), options.intervalMs);
    this.#timer.unref();
  }

  /** Recovers from a previous run that did not stop cleanly, then beats every interval. */
  static async start(repo: HeartbeatRepository, options: MonitoringPulseOptions): Promise<MonitoringPulse> {
    const { recovered, viewsClosed, lastBeat } = await repo.begin(options.nodeId, new Date());
    if (lastBeat) {
      log.warn({ node: options.nodeId, lastBeat: lastBeat.toISOString(), streams: recovered, viewsClosed }, 'the previous run ended without a clean stop; its cameras are unmonitored from its last beat');
    }
    return new MonitoringPulse(repo, options);
  }

  async #beat(): Promise<void> {
    if (this.#stopped) return;
    const now = Date.now();
    try {
      await this.#repo.beat(this.#options.nodeId, new Date(now));
    } catch (err) {
      // A missed beat costs accuracy after a crash, nothing else: keep serving.
      log.warn({ err: (err as Error).message }, 'cannot record the monitoring heartbeat');
    }
    try {
      for (const r of await this.#repo.recoverDead(this.#options.nodeId, new Date(now - 3 * this.#options.intervalMs))) {
        log.warn({ node: r.nodeId, lastBeat: r.lastBeat.toISOString(), streams: r.recovered, viewsClosed: r.viewsClosed }, 'a node stopped beating without a clean stop; its cameras are unmonitored from its last beat and its views closed there');
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot recover the nodes that stopped beating');
    }
  }

  /** A clean stop (after the registry recorded every stream as 'unknown'). Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#repo.end(this.#options.nodeId, new Date());
  }
}
