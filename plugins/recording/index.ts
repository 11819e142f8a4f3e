// Recording: selected cameras, continuously or in scheduled windows, to fragmented-MP4
// segments without re-encoding (a stream tap into `ffmpeg -c copy` in a child process);
// retention by age and by disk budget; an API to list a camera's segments for a time range
// and to play one, authorized and audited like live view.
import fs from 'node:fs';
import path from 'node:path';
import { definePlugin, z, type Caller, type PluginContext } from '../sdk/index.js';
import { TappedFfmpeg } from '../sdk/tapped-ffmpeg.js';
import { isSegmentName, newestSegment, retentionPass, segmentsBetween, startOf, type Segment } from './segments.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const windowSchema = z.object({
  /** Days of the week, 0 = Sunday; default every day. */
  days: z.array(z.number().int().min(0).max(6)).optional(),
  from: hhmm,
  to: hhmm,
}).strict();

const configSchema = z.object({
  cameras: z.array(z.object({
    /** The camera's id, or its name (as in the config file's camera list). */
    id: z.string().uuid().optional(),
    name: z.string().min(1).optional(),
    stream: z.enum(['main', 'sub']).default('main'),
    /** Windows (server local time) to record in; absent = continuously. */
    schedule: z.array(windowSchema).min(1).optional(),
  }).strict().refine((c) => (c.id ? 1 : 0) + (c.name ? 1 : 0) === 1, 'give a camera\'s id or its name')).default([]),
  /** Length of one segment (cut at the next keyframe after it). */
  segmentSeconds: z.number().int().min(2).max(3600).default(60),
  retentionDays: z.number().min(0.001).max(3650).default(30),
  /** Disk budget for all recordings; the oldest segments go first. */
  maxDiskMB: z.number().min(0.1).max(10_000_000).default(10_240),
  /** How often retention runs. */
  retentionCheckSeconds: z.number().int().min(1).max(3600).default(60),
  /** How long a playback link stays valid. */
  ticketSeconds: z.number().int().min(10).max(3600).default(300),
}).strict();

type Config = z.infer<typeof configSchema>;
type CameraSetting = Config['cameras'][number];

/** Is `now` inside one of the windows (server local time; a window may cross midnight)? */
export function inSchedule(windows: CameraSetting['schedule'], now: Date): boolean {
  if (!windows) return true;
  const minutes = now.getHours() * 60 + now.getMinutes();
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return windows.some((w) => {
    const from = toMin(w.from);
    const to = toMin(w.to);
    const crosses = to <= from;
    const day = crosses && minutes < to ? (now.getDay() + 6) % 7 : now.getDay();
    if (w.days && !w.days.includes(day)) return false;
    return crosses ? minutes >= from || minutes < to : minutes >= from && minutes < to;
  });
}

/** One camera's recorder: a tap read by an ffmpeg segmenter while it should record. */
class Recorder {
  readonly #ctx: PluginContext<Config>;
  readonly #setting: CameraSetting;
  readonly #root: string;
  readonly #process: TappedFfmpeg;

  constructor(ctx: PluginContext<Config>, setting: CameraSetting, root: string) {
    this.#ctx = ctx;
    this.#setting = setting;
    this.#root = root;
    let startedAt = 0;
    this.#process = new TappedFfmpeg(ctx, {
      what: 'recording',
      // SIGINT: ffmpeg finishes the segment it is writing.
      stopSignal: 'SIGINT',
      run: () => {
        const dir = path.join(root, this.cameraId);
        fs.mkdirSync(dir, { recursive: true });
        startedAt = Date.now();
        return {
          cameraId: this.cameraId, stream: setting.stream, sdpFile: path.join(root, 'work', `${this.cameraId}.sdp`),
          output: [
            '-map', '0:v', '-c', 'copy',
            '-f', 'segment', '-segment_time', String(ctx.config.segmentSeconds), '-segment_format', 'mp4',
            '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof',
            '-reset_timestamps', '1', '-strftime', '1', path.join(dir, '%Y%m%dT%H%M%SZ.mp4'),
          ],
          // strftime names the files in ffmpeg's time zone: UTC, as the names say.
          env: { TZ: 'UTC' },
        };
      },
      // The recording has begun once this run's first segment has data.
      begun: () => segmentsBetween(root, this.cameraId, new Date(startedAt - 1000), new Date(8.64e15)).some((s) => s.bytes > 0),
    });
  }

  /** The camera's id (a camera named in the config is looked up; '' until it exists). */
  get cameraId(): string {
    return this.#setting.id ?? this.#ctx.cameras().find((c) => c.name === this.#setting.name)?.id ?? '';
  }

  /** Is ffmpeg writing this camera's newest segment now? */
  get recording(): boolean {
    return this.#process.running && this.cameraId !== '';
  }

  /** Starts or stops to match the schedule; called every few seconds. */
  async tick(now: Date): Promise<void> {
    // In a cluster a camera is recorded once, by the node that ingests it.
    const want = inSchedule(this.#setting.schedule, now) && this.cameraId !== '' && await this.#ctx.ingestsHere(this.cameraId);
    if (want) await this.#process.ensure();
    else if (this.#process.running) await this.#process.stop();
  }

  stop(): Promise<void> {
    return this.#process.stop();
  }
}

export default definePlugin<Config>({
  manifest: {
    name: 'recording',
    version: '1.0.0',
    hostApi: '^1.0.0',
    needs: ['stream-tap', 'http', 'storage'],
    configSchema,
    description: 'Continuous or scheduled recording to fragmented-MP4 segments without re-encoding; retention by age and disk budget.',
  },
  setup(ctx) {
    const root = ctx.storageDir;
    const recorders = ctx.config.cameras.map((c) => new Recorder(ctx, c, root));
    const check = async () => {
      const now = new Date();
      await Promise.all(recorders.map((r) => r.tick(now)));
    };
    const retention = () => {
      // The segments being written are found once per pass, not once per segment. Every
      // recorded camera's newest is kept, also where another node of a cluster writes it (the
      // storage is shared); alone, a camera outside its schedule keeps its last segment a while.
      const removed = retentionPass(root, recorders.map((r) => r.cameraId).filter((id) => id !== ''), new Date(),
        ctx.config.retentionDays * 86_400_000, ctx.config.maxDiskMB * 1024 * 1024);
      if (removed.length) ctx.log.info({ removed: removed.length }, 'retention removed old segments');
    };
    void check();
    ctx.schedule(5000, check);
    ctx.schedule(ctx.config.retentionCheckSeconds * 1000, async () => retention());

    const notFound = { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such camera' } } };
    const bad = (message: string) => ({ status: 400, json: { error: { code: 'BAD_REQUEST', message } } });
    const segmentUrl = (caller: Caller, s: Segment) => {
      const ticket = ctx.tickets.issue({ sub: caller.userId, name: caller.fullName, cam: s.cameraId, seg: s.name }, ctx.config.ticketSeconds);
      return `/plugins/recording/play/${s.cameraId}/${s.name}?ticket=${encodeURIComponent(ticket)}`;
    };

    // The cameras this deployment records that the caller may watch, each with its newest
    // segment's start: the recordings page opens on one of them, and says which they are.
    ctx.route({
      method: 'GET', path: '/cameras',
      async handler({ caller }) {
        const ids = await ctx.access.visible(caller, [...new Set(recorders.map((r) => r.cameraId).filter((id) => id !== ''))]);
        const names = new Map(ctx.cameras().map((c) => [c.id, c.name]));
        const list = ids.map((id) => ({
          id, name: names.get(id) ?? id,
          newest: segmentsBetween(root, id, new Date(0), new Date(8.64e15)).at(-1)?.start.toISOString() ?? null,
        }));
        return { json: list };
      },
    });
    // The segments of a camera overlapping [from, to), each with a short-lived playback URL.
    ctx.route({
      method: 'GET', path: '/cameras/:id/segments',
      async handler({ params, query, caller }) {
        const from = new Date(query.from ?? Date.now() - 3_600_000);
        const to = new Date(query.to ?? Date.now());
        if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) return bad('give "from" and "to" as ISO times, "to" after "from"');
        if (!(await ctx.access.mayView(caller, params.id!, 'recording'))) return notFound;
        // One listing for the segments, one for the segment being written (not one per segment).
        const writing = recorders.some((r) => r.recording && r.cameraId === params.id) ? newestSegment(root, params.id!) : undefined;
        const list = segmentsBetween(root, params.id!, from, to).map((s) => ({
          name: s.name, start: s.start.toISOString(), end: s.end.toISOString(), bytes: s.bytes,
          complete: s.name !== writing, url: segmentUrl(caller, s),
        }));
        return { json: list };
      },
    });
    // One segment, by the ticket the list gave: re-authorized and audited on every request.
    ctx.route({
      method: 'GET', path: '/play/:id/:name', auth: 'ticket',
      async handler({ params, caller, ticket }) {
        const { id, name } = params as { id: string; name: string };
        if (ticket?.cam !== id || ticket.seg !== name || !isSegmentName(name)) return { status: 403, json: { error: { code: 'FORBIDDEN', message: 'the ticket is for another segment' } } };
        if (!(await ctx.access.mayView(caller, id, 'recording'))) return notFound;
        let written: Date;
        try {
          written = fs.statSync(path.join(root, id, name)).mtime;
        } catch {
          return { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such segment (removed by retention?)' } } };
        }
        // The stretch of time the segment holds, so a leak investigation finds whoever played
        // back a given moment, whenever they did (the file's last write is its end).
        ctx.access.recordAccess(caller, id, 'recording', { segment: name, recordedFrom: startOf(name)!.toISOString(), recordedTo: written.toISOString() });
        return { file: path.join(id, name), type: 'video/mp4', headers: { 'cache-control': 'private, no-store' } };
      },
    });
    return {
      dispose: async () => {
        await Promise.all(recorders.map((r) => r.stop()));
      },
    };
  },
});
