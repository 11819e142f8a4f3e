// A camera stream tap read by ffmpeg in a child process, kept running for as long as a
// plugin wants it: started on demand, asking the camera for keyframes until ffmpeg's output
// has begun (packets sent before ffmpeg bound its port are lost), started over when the
// camera's ingest restarts, released when ffmpeg exits (the next ensure() starts again).
import type { PluginContext, StreamKind, StreamTap } from './index.js';
import { freeRtpPort, runFfmpeg, sdpInput, type FfmpegRun } from './ffmpeg.js';

export interface TappedFfmpegRun {
  cameraId: string;
  stream: StreamKind;
  /** Where the tap's SDP is written for ffmpeg. */
  sdpFile: string;
  /** ffmpeg's arguments after its input. */
  output: string[];
  stdout?: 'pipe' | 'ignore';
  env?: Record<string, string>;
}

export interface TappedFfmpegOptions {
  /** What the process does, for log lines ("recording", "motion analysis"). */
  what: string;
  /** The run to start now (evaluated at every start). */
  run(): TappedFfmpegRun;
  /** Has the output begun (so keyframe requests can stop)? */
  begun(run: FfmpegRun): boolean;
  /** Called with each new run (e.g. to read its stdout). */
  onRun?(run: FfmpegRun): void;
  /** How stop() ends ffmpeg: SIGINT lets a muxer finish its file. */
  stopSignal?: NodeJS.Signals;
}

/** What it needs of the plugin's context. */
type TapContext = Pick<PluginContext<unknown>, 'openStreamTap' | 'ffmpegPath' | 'signal' | 'log'>;

export class TappedFfmpeg {
  readonly #ctx: TapContext;
  readonly #o: TappedFfmpegOptions;
  #tap?: StreamTap;
  #run?: FfmpegRun;
  #starting = false;

  constructor(ctx: TapContext, options: TappedFfmpegOptions) {
    this.#ctx = ctx;
    this.#o = options;
  }

  get running(): boolean {
    return this.#run !== undefined;
  }

  /** Starts unless running or starting; a failure is logged and left for the next call. */
  async ensure(): Promise<void> {
    if (this.#run || this.#starting || this.#ctx.signal.aborted) return;
    this.#starting = true;
    const spec = this.#o.run();
    try {
      const tap = await this.#ctx.openStreamTap(spec.cameraId, { stream: spec.stream, rtpPort: await freeRtpPort() });
      this.#tap = tap;
      const run = runFfmpeg(this.#ctx.ffmpegPath, [...sdpInput(tap.sdp, spec.sdpFile), ...spec.output], {
        signal: this.#ctx.signal, ...(spec.stdout ? { stdout: spec.stdout } : {}), ...(spec.env ? { env: spec.env } : {}),
      });
      this.#run = run;
      this.#o.onRun?.(run);
      const asker = setInterval(() => {
        if (this.#o.begun(run)) clearInterval(asker);
        else void tap.requestKeyFrame();
      }, 500);
      tap.on('restarted', () => {
        this.#ctx.log.info({ camera: spec.cameraId, what: this.#o.what }, 'the camera\'s ingest restarted: starting over');
        void this.stop().then(() => this.ensure());
      });
      // A tap piped from another node ends with its pipe (the camera moved): ffmpeg would wait
      // for packets forever; it stops, and the next check starts again wherever the camera is.
      tap.on('closed', () => {
        if (this.#tap !== tap || this.#run !== run) return; // stopped here, not ended under us
        this.#ctx.log.info({ camera: spec.cameraId, what: this.#o.what }, 'the stream tap ended: stopping until the next check');
        void this.stop();
      });
      void run.done.then(({ code, stderr }) => {
        clearInterval(asker);
        if (this.#run !== run) return;
        this.#run = undefined;
        void this.#tap?.close();
        this.#tap = undefined;
        if (!this.#ctx.signal.aborted) this.#ctx.log.warn({ camera: spec.cameraId, what: this.#o.what, code, err: stderr.split('\n').at(-1) }, 'ffmpeg ended; starting again at the next check');
      });
      this.#ctx.log.info({ camera: spec.cameraId, what: this.#o.what }, 'started');
    } catch (err) {
      await this.#tap?.close();
      this.#tap = undefined;
      this.#ctx.log.warn({ camera: spec.cameraId, what: this.#o.what, err: (err as Error).message }, 'cannot start now; trying again at the next check');
    } finally {
      this.#starting = false;
    }
  }

  async stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    if (run) {
      run.proc.kill(this.#o.stopSignal ?? 'SIGKILL');
      await Promise.race([run.done, new Promise((r) => setTimeout(r, 5000))]);
      run.proc.kill('SIGKILL');
    }
    await this.#tap?.close();
    this.#tap = undefined;
  }
}
