// The cameras the system knows, each with its media streams (main, optional sub) and the
// public health derived from them. Health changes are recorded for uptime reports and
// published to whoever listens (signaling, metrics, plugins).
import type { ChangeOrigin } from '../util/change-origin.js';
import { EventEmitter } from 'node:events';
import { AppError, ErrorCode } from '../errors.js';
import { moduleLogger } from '../logger.js';
import type { CameraStream, IngestStatus } from '../media/CameraStream.js';
import type { CameraClock } from '../media/Ingest.js';
import type { MediaService } from '../media/MediaService.js';
import type { CameraRecord, CameraRepository } from './camera.repository.js';
import type { CameraInput } from './camera.schema.js';
import { toHealth, type CameraHealth, type HealthState } from './camera-health.js';

const log = moduleLogger('cameras');

export type StreamKind = 'main' | 'sub';

/** What a client may know about a camera (no URLs: they carry credentials). */
export interface CameraSummary {
  id: string;
  name: string;
  location: string | null;
  hasSubStream: boolean;
  alwaysOn: boolean;
  health: CameraHealth;
  subHealth?: CameraHealth;
  /** Path of an image to show while connecting (set by signaling from plugins), if any. */
  poster?: string;
}

export interface CameraRegistryEvents {
  /**
   * A stream's health changed state, or its figures were refreshed (at most every 2 s);
   * `previous` is the state published before this one (absent for the first); `origin`
   * 'remote' when another node ingests the stream and announced it.
   */
  health: [cameraId: string, stream: StreamKind, health: CameraHealth, previous: HealthState | undefined, origin: ChangeOrigin];
  /** `origin`: through this node, or another node's change this one took over ('remote'). */
  added: [CameraSummary, origin: ChangeOrigin];
  removed: [cameraId: string, origin: ChangeOrigin];
  updated: [CameraSummary, origin: ChangeOrigin];
  /** A stream's producer appeared (its ingest started or restarted) or closed. */
  producer: [cameraId: string, stream: StreamKind, producerId: string];
  producerClosed: [cameraId: string, stream: StreamKind, producerId: string];
  /** A stream's camera clock mapping changed (for camera-to-screen latency in clients). */
  clock: [cameraId: string, stream: StreamKind, clock: CameraClock];
}

interface Entry {
  record: CameraRecord;
  /** Replaced by fresh idle streams when this node gives the camera up (relinquish). */
  main: CameraStream;
  sub?: CameraStream;
}

const FIGURES_EVERY_MS = 2000;

export class CameraRegistry extends EventEmitter<CameraRegistryEvents> {
  readonly #repo: CameraRepository;
  readonly #media: MediaService;
  readonly #entries = new Map<string, Entry>();
  /** Reloads announced by other nodes, chained per camera. */
  readonly #reloads = new Map<string, Promise<void>>();
  readonly #lastPublished = new Map<string, { state: HealthState; reason?: string; at: number }>();
  /** Health of streams ingested by another node, as its owner announced it (`id:kind`). */
  readonly #remoteHealth = new Map<string, CameraHealth>();
  readonly #owns: (cameraId: string) => boolean;
  #closed = false;

  private constructor(repo: CameraRepository, media: MediaService, owns: (cameraId: string) => boolean) {
    super();
    this.#repo = repo;
    this.#media = media;
    this.#owns = owns;
  }

  /**
   * Loads every stored camera and opens its streams (always-on ones start at once, on the node
   * that owns them: `owns`, every camera when alone).
   */
  static async create(repo: CameraRepository, media: MediaService, o: { owns?: (cameraId: string) => boolean } = {}): Promise<CameraRegistry> {
    const registry = new CameraRegistry(repo, media, o.owns ?? (() => true));
    for (const record of await repo.list()) registry.#attach(record);
    log.info({ cameras: registry.#entries.size }, 'cameras loaded');
    return registry;
  }

  /** What a camera record asks of one of its streams (kept running only on the camera's owner). */
  #streamOptions(record: CameraRecord, kind: StreamKind) {
    return {
      id: `${record.id}:${kind}`,
      kind,
      url: kind === 'main' ? record.mainUrl : record.subUrl!,
      transcode: record.transcode,
      ingestPath: record.ingest,
      rtspTransport: record.rtspTransport,
      rtspBasicAuth: record.rtspBasicAuth,
      onvifUrl: record.onvifUrl,
      alwaysOn: record.alwaysOn && kind === 'main' && this.#owns(record.id),
    };
  }

  #open(record: CameraRecord, kind: StreamKind): CameraStream {
    const stream = this.#media.openStream(this.#streamOptions(record, kind));
    stream.on('status', (s) => this.#onStatus(record.id, kind, s));
    stream.on('clock', (c) => this.emit('clock', record.id, kind, c));
    stream.on('producer', (p) => {
      this.emit('producer', record.id, kind, p.id);
      p.observer.once('close', () => this.emit('producerClosed', record.id, kind, p.id));
    });
    return stream;
  }

  #attach(record: CameraRecord): Entry {
    const entry: Entry = { record, main: this.#open(record, 'main') };
    if (record.subUrl) entry.sub = this.#open(record, 'sub');
    this.#entries.set(record.id, entry);
    return entry;
  }

  #onStatus(cameraId: string, kind: StreamKind, status: IngestStatus): void {
    const health = toHealth(status);
    const key = `${cameraId}:${kind}`;
    const last = this.#lastPublished.get(key);
    const now = Date.now();
    const changed = !last || last.state !== health.state || last.reason !== health.reason;
    if (!changed && now - last.at < FIGURES_EVERY_MS) return;
    this.#lastPublished.set(key, { state: health.state, reason: health.reason, at: now });
    if (changed && this.#entries.has(cameraId) && !this.#closed) {
      this.#repo.recordHealth(cameraId, kind, health.state, health.reason).catch((err: Error) => {
        log.warn({ cameraId, err: err.message }, 'cannot record health change');
      });
    }
    this.emit('health', cameraId, kind, health, last?.state, 'local');
  }

  /** A stream this node does not ingest shows what its owner announced. */
  #health(cameraId: string, stream: CameraStream): CameraHealth {
    const remote = stream.status.phase === 'idle' ? this.#remoteHealth.get(`${cameraId}:${stream.kind}`) : undefined;
    return remote ?? toHealth(stream.status);
  }

  #summary(entry: Entry): CameraSummary {
    const { record } = entry;
    const out: CameraSummary = {
      id: record.id,
      name: record.name,
      location: record.location,
      hasSubStream: entry.sub !== undefined,
      alwaysOn: record.alwaysOn,
      health: this.#health(record.id, entry.main),
    };
    if (entry.sub) out.subHealth = this.#health(record.id, entry.sub);
    return out;
  }

  /**
   * The camera's owner changed to or from this node: an always-on camera runs here only while
   * this node owns it.
   */
  ownershipChanged(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.main.reconfigure({ alwaysOn: entry.record.alwaysOn && this.#owns(id) });
  }

  /**
   * This node no longer ingests the camera (another node owns it now, or this one drains): its
   * streams end, so their viewers are told "camera stream restarted" and ask again (to be served
   * from the new owner), and fresh idle ones take their place. Nothing is recorded in the
   * history: the new owner records the camera's states.
   */
  async relinquish(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry || this.#closed) return;
    const old = entry.sub ? [entry.main, entry.sub] : [entry.main];
    if (old.every((s) => s.status.phase === 'idle')) return;
    for (const stream of old) stream.removeAllListeners('status');
    await Promise.all(old.map((s) => this.#media.closeStream(s.id)));
    if (this.#entries.get(id) !== entry) return; // removed or replaced meanwhile
    entry.main = this.#open(entry.record, 'main');
    if (entry.sub) entry.sub = this.#open(entry.record, 'sub');
  }

  /** The health of a stream another node ingests, as that node announced it; published here, not recorded. */
  remoteHealth(id: string, kind: StreamKind, health: CameraHealth): void {
    const entry = this.#entries.get(id);
    const stream = kind === 'sub' ? entry?.sub : entry?.main;
    if (!stream || this.#closed) return;
    const key = `${id}:${kind}`;
    const previous = this.#remoteHealth.get(key);
    this.#remoteHealth.set(key, health);
    if (stream.status.phase === 'idle') this.emit('health', id, kind, health, previous?.state, 'remote');
  }

  list(): CameraSummary[] {
    return [...this.#entries.values()].map((e) => this.#summary(e)).sort((a, b) => a.name.localeCompare(b.name));
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The camera's summary; NotFound for unknown ids. */
  get(id: string): CameraSummary {
    return this.#summary(this.#entry(id));
  }

  /** Full record including URLs: for administration code paths only, never for clients. */
  record(id: string): CameraRecord {
    return this.#entry(id).record;
  }

  #entry(id: string): Entry {
    const entry = this.#entries.get(id);
    if (!entry) throw new AppError(ErrorCode.NotFound, 'no such camera');
    return entry;
  }

  /** The requested stream; a camera without a sub stream serves its main stream instead. */
  stream(id: string, kind: StreamKind): CameraStream {
    const entry = this.#entry(id);
    return kind === 'sub' && entry.sub ? entry.sub : entry.main;
  }

  async add(input: CameraInput): Promise<CameraSummary> {
    const record = await this.#repo.create(input).catch(writeError);
    const summary = this.#summary(this.#attach(record));
    this.emit('added', summary, 'local');
    return summary;
  }

  /**
   * Another node added, changed or removed this camera: this node's copy follows the stored
   * row (started, reconfigured or stopped like a change made here, but not announced again).
   */
  reload(id: string): Promise<void> {
    // One at a time per camera, in the order heard: a quick add-then-remove ends removed.
    const next = (this.#reloads.get(id) ?? Promise.resolve()).then(() => this.#reload(id));
    const tracked = next.catch(() => undefined).finally(() => {
      if (this.#reloads.get(id) === tracked) this.#reloads.delete(id);
    });
    this.#reloads.set(id, tracked);
    return next;
  }

  /**
   * After this node may have missed announcements (it lost the cluster for a while): every
   * camera follows its stored row, in one read; unchanged ones are left alone.
   */
  async reloadAll(): Promise<void> {
    if (this.#closed) return;
    const stored = await this.#repo.list();
    const ids = new Set(stored.map((r) => r.id));
    await Promise.all([
      ...stored.map((r) => this.#follow(r.id, r)),
      ...[...this.#entries.keys()].filter((id) => !ids.has(id)).map((id) => this.#follow(id, undefined)),
    ]);
  }

  async #reload(id: string): Promise<void> {
    if (this.#closed) return;
    await this.#follow(id, await this.#repo.get(id));
  }

  /** This node's copy of camera `id` becomes `record` (undefined: the camera is gone). */
  async #follow(id: string, record: CameraRecord | undefined): Promise<void> {
    if (this.#closed) return;
    if (record) {
      const current = this.#entries.get(id);
      if (current && JSON.stringify(current.record) === JSON.stringify(record)) return;
      await this.#replace(record, 'remote');
      return;
    }
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#forgetRemote(id);
    await Promise.all([this.#media.closeStream(entry.main.id), entry.sub ? this.#media.closeStream(entry.sub.id) : undefined]);
    this.emit('removed', id, 'remote');
  }

  /** Creates or updates by name (config file, demo site). */
  async ensure(input: CameraInput): Promise<CameraSummary> {
    const record = await this.#repo.upsertByName(input);
    return this.#replace(record);
  }

  async update(id: string, patch: Partial<CameraInput>): Promise<CameraSummary> {
    this.#entry(id);
    const record = await this.#repo.update(id, patch).catch(writeError);
    if (!record) throw new AppError(ErrorCode.NotFound, 'no such camera');
    return this.#replace(record);
  }

  /**
   * A person's restart of the camera's streams: a running one gets a new run at once (not an
   * outage in the report), one waiting after a failure tries again now, an idle one stays idle.
   */
  restart(id: string): CameraSummary {
    const entry = this.#entry(id);
    entry.main.restart();
    entry.sub?.restart();
    return this.#summary(entry);
  }

  async #replace(record: CameraRecord, origin: ChangeOrigin = 'local'): Promise<CameraSummary> {
    const old = this.#entries.get(record.id);
    if (!old) {
      const summary = this.#summary(this.#attach(record));
      this.emit('added', summary, origin);
      return summary;
    }
    const sameSub = (old.record.subUrl ?? null) === (record.subUrl ?? null);
    const { id: _main, ...mainOptions } = this.#streamOptions(record, 'main');
    old.main.reconfigure(mainOptions);
    if (old.sub && sameSub) {
      const { id: _sub, ...subOptions } = this.#streamOptions(record, 'sub');
      old.sub.reconfigure(subOptions);
    }
    old.record = record;
    if (!sameSub) {
      if (old.sub) await this.#media.closeStream(old.sub.id);
      delete old.sub;
      if (record.subUrl) old.sub = this.#open(record, 'sub');
    }
    const summary = this.#summary(old);
    this.emit('updated', summary, origin);
    return summary;
  }

  #forgetRemote(id: string): void {
    this.#remoteHealth.delete(`${id}:main`);
    this.#remoteHealth.delete(`${id}:sub`);
  }

  async remove(id: string): Promise<void> {
    const entry = this.#entry(id);
    // The stored row goes first: if that fails, the camera stays fully in service.
    await this.#repo.remove(id);
    this.#entries.delete(id);
    this.#forgetRemote(id);
    await Promise.all([this.#media.closeStream(entry.main.id), entry.sub ? this.#media.closeStream(entry.sub.id) : undefined]);
    this.emit('removed', id, 'local');
  }

  /**
   * Stops publishing and records every stream as 'unknown' from now: the uptime report must
   * not count the time the server is stopped as the camera's last state.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.removeAllListeners();
    // Only the cameras this node ingests: in a cluster, the others go on being watched elsewhere.
    const writes = [...this.#entries].filter(([id]) => this.#owns(id)).flatMap(([id, e]) => (e.sub ? ['main', 'sub'] as const : ['main'] as const)
      .map((kind) => this.#repo.recordHealth(id, kind, 'unknown', 'server stopped')));
    for (const r of await Promise.allSettled(writes)) {
      if (r.status === 'rejected') log.warn({ err: (r.reason as Error).message }, 'cannot record shutdown in health history');
    }
  }
}

/** Database refusals a caller can act on, as clear errors. */
function writeError(err: { code?: string }): never {
  if (err.code === 'P2002') throw new AppError(ErrorCode.Conflict, 'a camera with this name exists');
  if (err.code === 'P2003') throw new AppError(ErrorCode.BadRequest, 'no such facility');
  throw err;
}
