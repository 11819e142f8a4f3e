// Motion: frame-difference detection on a camera's sub stream (the main one when it has none)
// at a low frame rate. ffmpeg decodes in a child process to small grayscale frames and keeps
// a JPEG of the latest frame; the comparison runs in a worker thread. Motion above the
// sensitivity's threshold becomes a recorded "motion" event with a snapshot, at most one per
// camera per cool-down. A demonstration that frame-level analytics fits the plugin API.
import fs from 'node:fs';
import path from 'node:path';
import { definePlugin, z, type PluginContext } from '../sdk/index.js';
import { TappedFfmpeg } from '../sdk/tapped-ffmpeg.js';
import { startWorker } from '../sdk/worker.js';
import { thresholdOf } from './detector.js';

const configSchema = z.object({
  /** Cameras to watch, by id or name; default every camera. */
  cameras: z.array(z.string().min(1)).optional(),
  /** 0-100: higher reports smaller movements. */
  sensitivity: z.number().min(0).max(100).default(50),
  /** Frames compared per second. */
  fps: z.number().min(0.5).max(10).default(2),
  /** Seconds after an event before the same camera can report again. */
  cooldownSeconds: z.number().min(0).max(3600).default(10),
  /** Motion snapshots kept per camera (the oldest go first). */
  keepSnapshots: z.number().int().min(1).max(10_000).default(200),
}).strict();

type Config = z.infer<typeof configSchema>;

const WIDTH = 64;
const HEIGHT = 36;
const FRAME = WIDTH * HEIGHT;
/** Frames an event waits for its first JPEG before it goes out without a picture. */
const SNAPSHOT_WAIT_FRAMES = 10;

/** One camera's analysis: a tap, an ffmpeg decoding to gray frames, the latest JPEG. */
class Watcher {
  readonly cameraId: string;
  readonly #dir: string;
  readonly #process: TappedFfmpeg;

  constructor(ctx: PluginContext<Config>, cameraId: string, dir: string, onFrame: (cameraId: string, frame: Uint8Array) => void) {
    this.cameraId = cameraId;
    this.#dir = dir;
    const framesSeen = new WeakSet<object>();
    this.#process = new TappedFfmpeg(ctx, {
      what: 'motion analysis',
      run: () => {
        fs.mkdirSync(dir, { recursive: true });
        const { fps } = ctx.config;
        return {
          cameraId, stream: 'sub', sdpFile: path.join(dir, 'tap.sdp'), stdout: 'pipe',
          output: [
            '-map', '0:v', '-vf', `fps=${fps},scale=${WIDTH}:${HEIGHT},format=gray`, '-f', 'rawvideo', 'pipe:1',
            '-map', '0:v', '-vf', `fps=${fps},scale=640:-2`, '-q:v', '5', '-f', 'image2', '-update', '1', '-atomic_writing', '1', '-y', this.latestJpeg,
          ],
        };
      },
      begun: (run) => framesSeen.has(run),
      onRun: (run) => {
        let pending = Buffer.alloc(0);
        run.proc.stdout!.on('data', (d: Buffer) => {
          framesSeen.add(run);
          pending = Buffer.concat([pending, d]);
          while (pending.length >= FRAME) {
            onFrame(cameraId, new Uint8Array(pending.subarray(0, FRAME)));
            pending = pending.subarray(FRAME);
          }
        });
      },
    });
  }

  get latestJpeg(): string {
    return path.join(this.#dir, 'latest.jpg');
  }

  /** Keeps the analysis running (started again after a failure at the next check). */
  ensure(): Promise<void> {
    return this.#process.ensure();
  }

  stop(): Promise<void> {
    return this.#process.stop();
  }
}

export default definePlugin<Config>({
  manifest: {
    name: 'motion',
    version: '1.0.0',
    hostApi: '^1.0.0',
    needs: ['stream-tap', 'storage', 'notify', 'http'],
    configSchema,
    description: 'Frame-difference motion detection on the sub stream at a low frame rate, in a worker thread.',
  },
  setup(ctx) {
    const root = ctx.storageDir;
    const threshold = thresholdOf(ctx.config.sensitivity);
    const lastEvent = new Map<string, number>();
    const watchers = new Map<string, Watcher>();
    const worker = startWorker(new URL('./detector-worker.ts', import.meta.url));
    worker.unref();
    worker.on('error', (err) => ctx.log.error({ err: err.message }, 'motion worker failed'));

    // ffmpeg writes the gray frames and the JPEG from separate outputs, so the first motion
    // can be seen before the first JPEG is on disk. Such an event waits for the camera's next
    // frames (at most SNAPSHOT_WAIT_FRAMES) for its picture rather than going out without one.
    const awaitingSnapshot = new Map<string, { at: number; share: number; framesLeft: number }>();
    const record = (cameraId: string, at: number, share: number, snapshotRequired: boolean): boolean => {
      const w = watchers.get(cameraId);
      let snapshot: string | null = null;
      if (w && fs.existsSync(w.latestJpeg)) {
        const name = `${new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.jpg`;
        fs.mkdirSync(path.join(root, cameraId, 'events'), { recursive: true });
        fs.copyFileSync(w.latestJpeg, path.join(root, cameraId, 'events', name));
        snapshot = `cameras/${cameraId}/events/${name}`;
        prune(path.join(root, cameraId, 'events'));
      } else if (snapshotRequired) {
        return false;
      }
      void ctx.emit('motion', { score: Math.round(share * 1000) / 1000, threshold, snapshot }, cameraId)
        .catch((err: Error) => ctx.log.error({ err: err.message }, 'cannot record motion'));
      return true;
    };
    const onFrame = (cameraId: string, frame: Uint8Array) => {
      const waiting = awaitingSnapshot.get(cameraId);
      if (waiting) {
        waiting.framesLeft--;
        if (record(cameraId, waiting.at, waiting.share, waiting.framesLeft > 0)) awaitingSnapshot.delete(cameraId);
      }
      worker.postMessage({ cameraId, frame }, [frame.buffer as ArrayBuffer]);
    };

    worker.on('message', (m: { cameraId: string; share: number }) => {
      ctx.log.debug({ camera: m.cameraId, share: m.share }, 'frame compared');
      if (m.share < threshold) return;
      const now = Date.now();
      if (now - (lastEvent.get(m.cameraId) ?? 0) < ctx.config.cooldownSeconds * 1000) return;
      if (awaitingSnapshot.has(m.cameraId)) return;
      lastEvent.set(m.cameraId, now);
      if (!record(m.cameraId, now, m.share, true)) awaitingSnapshot.set(m.cameraId, { at: now, share: m.share, framesLeft: SNAPSHOT_WAIT_FRAMES });
    });

    const prune = (dir: string) => {
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
      for (const f of files.slice(0, Math.max(0, files.length - ctx.config.keepSnapshots))) fs.rmSync(path.join(dir, f), { force: true });
    };

    const wanted = () => {
      const all = ctx.cameras();
      const list = ctx.config.cameras;
      return list ? all.filter((c) => list.includes(c.id) || list.includes(c.name)) : all;
    };
    const check = async () => {
      // In a cluster each camera is analysed once, by the node that ingests it.
      const candidates = wanted().map((c) => c.id);
      const here = await Promise.all(candidates.map((id) => ctx.ingestsHere(id)));
      const ids = new Set(candidates.filter((_, i) => here[i]));
      for (const [id, w] of watchers) {
        if (!ids.has(id)) {
          watchers.delete(id);
          awaitingSnapshot.delete(id);
          worker.postMessage({ forget: id });
          await w.stop();
        }
      }
      for (const id of ids) {
        let w = watchers.get(id);
        if (!w) {
          w = new Watcher(ctx, id, path.join(root, id), onFrame);
          watchers.set(id, w);
        }
        await w.ensure();
      }
    };
    void check();
    ctx.schedule(5000, check);

    // A motion snapshot, to people who may view the camera.
    ctx.route({
      method: 'GET', path: '/cameras/:id/events/:file',
      async handler({ params, caller }) {
        const { id, file } = params as { id: string; file: string };
        if (!/^\d{8}T\d{6}Z\.jpg$/.test(file) || !(await ctx.access.mayView(caller, id, 'motion snapshot'))) return { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such snapshot' } } };
        if (!fs.existsSync(path.join(root, id, 'events', file))) return { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such snapshot' } } };
        ctx.access.recordAccess(caller, id, 'motion snapshot', { file });
        return { file: path.join(id, 'events', file), type: 'image/jpeg' };
      },
    });
    return {
      dispose: async () => {
        await Promise.all([...watchers.values()].map((w) => w.stop()));
        await worker.terminate();
      },
    };
  },
});
