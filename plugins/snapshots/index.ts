// Snapshots: a JPEG per camera every N seconds and on demand, taken from a stream tap by
// ffmpeg in a child process; served only to people who may view the camera (and audited);
// offered to clients as the tile's poster while the live view connects.
import fs from 'node:fs';
import path from 'node:path';
import { definePlugin, z, type PluginContext } from '../sdk/index.js';
import { freeRtpPort, runFfmpeg, sdpInput } from '../sdk/ffmpeg.js';

const configSchema = z.object({
  /** Seconds between scheduled snapshots of every camera; 0 = on demand only. */
  intervalSeconds: z.number().int().min(0).max(86_400).default(300),
  /** Cameras to snapshot on schedule (ids); default every camera. */
  cameras: z.array(z.string().uuid()).optional(),
  /** Which stream to take it from. */
  stream: z.enum(['main', 'sub']).default('main'),
  /** Width of the JPEG in pixels (height follows the aspect ratio). */
  width: z.number().int().min(64).max(3840).default(640),
  /** How long to wait for a picture (a camera that ignores keyframe requests sends one per GOP). */
  timeoutSeconds: z.number().min(1).max(60).default(8),
  /** Snapshots taken at once on schedule. */
  concurrency: z.number().int().min(1).max(8).default(2),
}).strict();

type Config = z.infer<typeof configSchema>;

class Snapshotter {
  readonly #ctx: PluginContext<Config>;
  readonly #dir: string;
  /** One snapshot per camera at a time: a second ask waits for the one under way. */
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(ctx: PluginContext<Config>) {
    this.#ctx = ctx;
    this.#dir = ctx.storageDir;
  }

  fileOf(cameraId: string): string {
    return path.join(this.#dir, `${cameraId}.jpg`);
  }

  has(cameraId: string): boolean {
    return fs.existsSync(this.fileOf(cameraId));
  }

  take(cameraId: string): Promise<string> {
    let p = this.#inFlight.get(cameraId);
    if (!p) {
      p = this.#take(cameraId).finally(() => this.#inFlight.delete(cameraId));
      this.#inFlight.set(cameraId, p);
    }
    return p;
  }

  async #take(cameraId: string): Promise<string> {
    const { config, ffmpegPath, signal } = this.#ctx;
    const port = await freeRtpPort();
    const work = path.join(this.#dir, 'work', cameraId);
    const out = `${work}.jpg`;
    fs.rmSync(out, { force: true });
    // Packets sent before ffmpeg has bound the port are lost: keyframes are asked for every
    // 500 ms until a picture came.
    const tap = await this.#ctx.openStreamTap(cameraId, { stream: config.stream, rtpPort: port, timeoutMs: config.timeoutSeconds * 1000 });
    try {
      const run = runFfmpeg(ffmpegPath, [
        ...sdpInput(tap.sdp, `${work}.sdp`),
        '-frames:v', '1', '-vf', `scale=${config.width}:-2`, '-q:v', '4', '-f', 'image2', '-y', out,
      ], { signal, timeoutMs: config.timeoutSeconds * 1000 });
      const asker = setInterval(() => void tap.requestKeyFrame(), 500);
      void tap.requestKeyFrame();
      const { code, stderr } = await run.done.finally(() => clearInterval(asker));
      if (code !== 0 || !fs.existsSync(out)) throw new Error(`no picture from the camera within ${config.timeoutSeconds} s${stderr ? ` (${stderr.split('\n').at(-1)})` : ''}`);
    } finally {
      await tap.close();
    }
    const file = this.fileOf(cameraId);
    fs.renameSync(out, file); // atomic: readers never see half a JPEG
    return file;
  }

  async takeAll(ids: string[]): Promise<void> {
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id && !this.#ctx.signal.aborted; id = queue.shift()) {
        await this.take(id).catch((err: Error) => this.#ctx.log.warn({ camera: id, err: err.message }, 'scheduled snapshot failed'));
      }
    };
    await Promise.all(Array.from({ length: this.#ctx.config.concurrency }, worker));
  }
}

export default definePlugin<Config>({
  manifest: {
    name: 'snapshots',
    version: '1.0.0',
    hostApi: '^1.0.0',
    needs: ['stream-tap', 'http', 'storage'],
    configSchema,
    description: 'A JPEG per camera every N seconds and on demand; the tile poster while connecting.',
  },
  setup(ctx) {
    const snaps = new Snapshotter(ctx);
    if (ctx.config.intervalSeconds > 0) {
      // In a cluster the node that ingests a camera takes its scheduled snapshots (one tap, one
      // file); a snapshot asked for on any node is taken there, piped from the owner.
      ctx.schedule(ctx.config.intervalSeconds * 1000, async () => {
        const ids = ctx.config.cameras ?? ctx.cameras().map((c) => c.id);
        const here = await Promise.all(ids.map((id) => ctx.ingestsHere(id)));
        await snaps.takeAll(ids.filter((_, i) => here[i]));
      });
    }
    const jpeg = (file: string) => ({ type: 'image/jpeg', body: fs.readFileSync(file), headers: { 'cache-control': 'private, no-store', 'last-modified': fs.statSync(file).mtime.toUTCString() } });
    const notFound = { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such camera' } } };
    const serve = async (cameraId: string, caller: Parameters<typeof ctx.access.recordAccess>[0], fresh: boolean) => {
      if (!(await ctx.access.mayView(caller, cameraId, 'snapshot'))) return notFound;
      try {
        const file = !fresh && snaps.has(cameraId) ? snaps.fileOf(cameraId) : await snaps.take(cameraId);
        ctx.access.recordAccess(caller, cameraId, 'snapshot');
        return jpeg(file);
      } catch (err) {
        return { status: 503, json: { error: { code: 'CAMERA_UNAVAILABLE', message: (err as Error).message } } };
      }
    };

    // The latest snapshot (taken now if there is none yet).
    ctx.route({
      method: 'GET', path: '/cameras/:id/latest.jpg',
      handler: ({ params, caller }) => serve(params.id!, caller, false),
    });
    // A new snapshot now.
    ctx.route({
      method: 'POST', path: '/cameras/:id/snapshot',
      handler: ({ params, caller }) => serve(params.id!, caller, true),
    });
    return {
      hooks: {
        cameraPoster: (cameraId) => (snaps.has(cameraId) ? `cameras/${cameraId}/latest.jpg` : undefined),
        cameraRemoved: (cameraId) => fs.rmSync(snaps.fileOf(cameraId), { force: true }),
      },
    };
  },
});
