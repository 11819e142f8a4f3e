// What the two passthrough ingests share (the relay, RtspRelayIngest, and the direct path,
// DirectIngest): the run's RTSP session from DESCRIBE to TEARDOWN, reading what the camera
// describes (rtsp/passthrough-track.ts), the run's log, its timers, and how it ends. Each
// subclass carries the camera's track its own way from SETUP on (`carry`) and closes what it
// opened for that (`closeMedia`).
import { EventEmitter } from 'node:events';
import type { Ingest, IngestEvents, IngestKind } from './Ingest.js';
import { RtspError } from './rtsp/RtspConnection.js';
import { readDescribe, type PassthroughTrack } from './rtsp/passthrough-track.js';
import { RtspSession } from './rtsp/RtspSession.js';

export interface PassthroughOptions {
  /** Camera RTSP URL (may contain credentials: never logged or reported). */
  url: string;
  /** Time allowed for the TCP connect and for each RTSP answer. */
  ioTimeoutMs?: number;
  /**
   * Pass H.265 through as well (the camera's `transcode: 'never'`: its viewers decode H.265).
   * Otherwise an H.265 camera is handed to ffmpeg for transcoding, like every other codec.
   */
  passH265?: boolean;
  /** Answer a Basic challenge (the camera's `rtspBasicAuth`); otherwise only Digest. */
  allowBasic?: boolean;
}

/** Lines of a run's log kept for whoever debugs a camera. */
const LOG_LINES = 40;

export abstract class PassthroughIngest extends EventEmitter<IngestEvents> implements Ingest {
  abstract readonly kind: IngestKind;
  readonly pid = undefined;
  readonly #options: PassthroughOptions;
  readonly #log: string[] = [];
  #session?: RtspSession;
  #timers: NodeJS.Timeout[] = [];
  #finished = false;
  #stopRequested = false;
  readonly #exited: Promise<void>;
  #resolveExited!: () => void;

  protected constructor(options: PassthroughOptions) {
    super();
    this.#options = options;
    this.#exited = new Promise((resolve) => { this.#resolveExited = resolve; });
  }

  /** Starts the run (once, from the subclass's static start()). */
  protected begin(): this {
    void this.#run().catch((err: unknown) => this.finish(err instanceof RtspError ? err.message : `${this.kind} ingest failed: ${(err as Error).message}`));
    return this;
  }

  get recentLog(): readonly string[] {
    return this.#log;
  }

  protected note(line: string): void {
    this.#log.push(line);
    if (this.#log.length > LOG_LINES) this.#log.shift();
  }

  /** The run has ended (stopped, or failed): nothing more may be opened for it. */
  protected get finished(): boolean {
    return this.#finished;
  }

  /** A timer or interval of the run, cleared when it ends. */
  protected keep(timer: NodeJS.Timeout): void {
    this.#timers.push(timer);
  }

  async #run(): Promise<void> {
    const o = this.#options;
    const opened = await RtspSession.describe(
      { url: o.url, ioTimeoutMs: o.ioTimeoutMs ?? 5000, allowBasic: o.allowBasic === true, note: (l) => this.note(l) },
      (s) => {
        if (this.#finished) return false;
        this.#session = s;
        return true;
      },
    );
    if (!opened) return;
    const { session, answer } = opened;
    session.on('closed', (reason) => this.finish(reason));
    const described = readDescribe(answer, session.url, o.passH265 === true);
    this.emit('input', described.input);
    if ('error' in described) throw new RtspError(described.error);
    // Not passthrough material: CameraStream switches this camera to ffmpeg.
    if ('desc' in described) return void this.emit('rtp', described.desc);
    await this.carry(session, described.track);
  }

  /** SETUP, PLAY and the media of the run, the subclass's way; throws RtspError to end it. */
  protected abstract carry(session: RtspSession, track: PassthroughTrack): Promise<void>;

  /** Closes what `carry` opened (idempotent; the session is closed here). */
  protected abstract closeMedia(): void;

  /** Ends the run with `reason` (once): everything closed, 'exit' emitted. */
  protected finish(reason: string): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.closeMedia();
    this.#session?.close();
    const requested = this.#stopRequested;
    if (!requested) this.note(reason);
    this.emit('exit', { code: null, signal: null, reason: requested ? 'stopped' : reason, requested });
    this.#resolveExited();
  }

  /** TEARDOWN (briefly awaited), then closes everything. Idempotent. */
  async stop(graceMs = 500): Promise<void> {
    if (!this.#finished) {
      this.#stopRequested = true;
      await this.#session?.teardown(graceMs);
      this.finish('stopped');
    }
    await this.#exited;
  }
}
