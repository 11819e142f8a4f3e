// One ingest per camera in the cluster. Each camera is owned by one media node under a lease
// (CameraLeases), placed by region then load (placement.ts). A viewer on any node watches any
// camera: on its owner the view is of the local stream; elsewhere of a RemoteStream piped from
// the owner, asked for over the owner's cluster route (cluster-routes.ts). Always-on cameras
// are placed by a sweep every node runs; on-demand ones where the first viewer's node asks.
//
// When a node dies its registry record expires: pipes from it end (their viewers ask again,
// and the camera is placed anew, the dead node's lease freed), pipes to it are closed, and the
// sweep places its always-on cameras on the living. The owner announces each camera's health
// (every node shows it; only the owner records it in the 24/7 history).
import { randomUUID } from 'node:crypto';
import type { CameraRegistry, StreamKind } from '../cameras/CameraRegistry.js';
import type { CameraHealth } from '../cameras/camera-health.js';
import { AppError, ErrorCode } from '../errors.js';
import { moduleLogger } from '../logger.js';
import { coalesce } from '../util/coalesce.js';
import { wire } from '../util/wire.js';
import type { MediaService } from '../media/MediaService.js';
import { exportStream, type ExportedPipe, type PipeAddress, type PipedFastStart, type PipeEndpoint, type PipeOffer } from '../media/pipes.js';
import { RemoteStream, type PipeCall } from '../media/RemoteStream.js';
import type { StreamDirectory, ViewableStream } from '../media/View.js';
import type { CameraLeases } from './CameraLeases.js';
import type { ClusterBus, ClusterEvent } from './ClusterBus.js';
import { ingests, type NodeInfo, type NodeRegistry } from './NodeRegistry.js';
import { placeCamera, placeCameras } from './placement.js';

const log = moduleLogger('cluster');

/** Pipes one owner feeds at most (each holds a transport and a consumer). */
export const MAX_EXPORTED_PIPES = 2000;

/** The cluster route's path, below a node's address. */
export const PIPES_PATH = '/internal/cluster/pipes';

/** A claim is kept this long even while idle: the viewer whose request made it is on its way. */
const CLAIM_HOLD_MS = 10_000;

export interface PipeRequest {
  cameraId: string;
  stream: StreamKind;
  edge: PipeEndpoint;
}

export interface PipeAnswer {
  pipeId: string;
  offer: PipeOffer;
}

export interface ClusterView {
  self: string;
  nodes: Array<NodeInfo & { self: boolean }>;
  /** Cameras this node ingests. */
  owned: string[];
  pipes: {
    exported: Array<{ cameraId: string; edge: string }>;
    imported: Array<{ streamId: string; owner: string; viewers: number }>;
  };
  /** Cameras this node handed to others (drained, or its lease lost) since it started. */
  moves: number;
}

export interface CameraOwnershipDeps {
  registry: NodeRegistry;
  leases: CameraLeases;
  cameras: CameraRegistry;
  media: MediaService;
  bus: ClusterBus;
  /** A token another node accepts as this node's word. */
  nodeToken(): string;
  address: PipeAddress;
  startTimeoutMs: number;
  graceMs: number;
  /** The lease's life and the registry's beat (how long an alive owner may take to renew). */
  leaseMs: number;
  beatMs: number;
  /** The region of a camera (its province's code), for placement; undefined: anywhere. */
  regionOf(cameraId: string): Promise<string | undefined>;
}

export class CameraOwnership implements StreamDirectory {
  readonly #d: CameraOwnershipDeps;
  readonly #me: string;
  /** Streams piped from their owners, by `streamId@owner`. */
  readonly #remote = new Map<string, RemoteStream>();
  /** Pipes this node feeds to edges, by pipe id. */
  readonly #exported = new Map<string, { pipe: ExportedPipe; edge: string; cameraId: string }>();
  /** Always-on cameras seen without any lease, since when (they wait for a live owner to renew). */
  readonly #orphanSince = new Map<string, number>();
  /** When this node claimed each camera: a fresh claim is not given up before its viewer arrives. */
  readonly #claimedAt = new Map<string, number>();
  readonly #sweepTimer: NodeJS.Timeout;
  #sweeping = false;
  #sweepFailing = false;
  #moves = 0;
  #closed = false;
  readonly #unwire: () => void;
  /** A camera's lease holder, the lookups of one turn read with one MGET. */
  readonly #leaseHolder: (cameraId: string) => Promise<string | undefined>;

  constructor(d: CameraOwnershipDeps) {
    this.#d = d;
    this.#leaseHolder = coalesce((ids: string[]) => d.leases.owners(ids));
    this.#me = d.registry.self.id;
    const onLeft = (id: string) => this.#nodeLeft(id);
    const onLost = (id: string) => this.#lost(id);
    const onEvent = (e: ClusterEvent) => this.#heard(e);
    const onHealth = (id: string, kind: StreamKind, h: CameraHealth) => {
      if (d.leases.holds(id)) d.bus.publish({ kind: 'health', cameraId: id, stream: kind, health: h });
    };
    const onRemoved = (id: string) => void this.#removed(id);
    // Back on Redis (perhaps a new, empty one): this node's leases are written again at once.
    const onBack = () => void d.leases.renewNow();
    this.#unwire = wire([
      [d.registry, 'left', onLeft], [d.registry, 'reconnected', onBack], [d.leases, 'lost', onLost],
      [d.bus, 'event', onEvent], [d.bus, 'resync', onBack], [d.cameras, 'health', onHealth], [d.cameras, 'removed', onRemoved],
    ]);
    this.#sweepTimer = setInterval(() => void this.sweep(), d.registry.self.role === 'edge' ? 60_000 : 1000);
    this.#sweepTimer.unref();
  }

  /** Pipes fed to other nodes now, and streams piped in from them (ops, tests). */
  get pipes(): { exported: number; imported: number } {
    return { exported: this.#exported.size, imported: [...this.#remote.values()].filter((r) => r.pipeId).length };
  }

  async streamFor(cameraId: string, kind: StreamKind): Promise<ViewableStream> {
    const local = this.#d.cameras.stream(cameraId, kind);
    const owner = await this.#ownerFor(cameraId);
    if (owner === this.#me) return local;
    const key = `${local.id}@${owner}`;
    let remote = this.#remote.get(key);
    if (!remote) {
      remote = new RemoteStream(this.#d.media.pool, {
        id: local.id, kind: local.kind, owner, address: this.#d.address, graceMs: this.#d.graceMs,
        dial: (edge) => this.#dial(owner, { cameraId, stream: local.kind, edge }),
      });
      this.#remote.set(key, remote);
    }
    return remote;
  }

  /**
   * Whether this node ingests the camera (plugins' continuous work on it runs here): it owns it,
   * or nobody does and placement picks this node, which claims it now. False when the cluster
   * cannot be asked (the work waits rather than run twice). Plugins ask about every camera every
   * few seconds: held leases answer without Redis, cameras owned elsewhere share one MGET.
   */
  async ingestsHere(cameraId: string): Promise<boolean> {
    if (this.#closed || !ingests(this.#d.registry.self) || !this.#d.cameras.has(cameraId)) return false;
    if (this.#d.leases.holds(cameraId)) return true;
    try {
      const holder = await this.#leaseHolder(cameraId);
      if (holder && holder !== this.#me && this.#d.registry.alive(holder)) return false;
      return (await this.#ownerFor(cameraId)) === this.#me;
    } catch {
      return false;
    }
  }

  /** Who ingests the camera, placing it (and claiming it, if placed here) when nobody does. */
  async #ownerFor(cameraId: string): Promise<string> {
    const { leases, registry } = this.#d;
    const current = await this.#redis(() => leases.owner(cameraId));
    if (current === this.#me && leases.holds(cameraId)) return current;
    if (current && current !== this.#me && registry.alive(current)) return current;
    if (current && current !== this.#me) await this.#redis(() => leases.freeFromDead(cameraId, current));
    const target = placeCamera(registry.nodes, await this.#d.regionOf(cameraId));
    if (!target) throw new AppError(ErrorCode.CameraUnavailable, 'camera unavailable: no media node can take it now');
    if (target.id !== this.#me) return target.id; // it claims the camera when asked for the pipe
    if (await this.#claim(cameraId)) return this.#me;
    const owner = await this.#redis(() => leases.owner(cameraId));
    if (!owner) throw new AppError(ErrorCode.CameraUnavailable, 'camera unavailable: its owner changed; try again');
    return owner;
  }

  async #claim(cameraId: string): Promise<boolean> {
    if (!ingests(this.#d.registry.self) || this.#d.registry.draining) return false;
    const mine = await this.#redis(() => this.#d.leases.claim(cameraId));
    if (mine) {
      this.#claimedAt.set(cameraId, Date.now());
      this.#d.cameras.ownershipChanged(cameraId);
    }
    return mine;
  }

  /** Redis unreachable is the camera being unavailable for now, not an internal error. */
  async #redis<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new AppError(ErrorCode.CameraUnavailable, `camera unavailable: the cluster cannot be asked now (${(err as Error).message})`);
    }
  }

  async #dial(owner: string, request: PipeRequest): Promise<PipeCall> {
    const node = this.#d.registry.get(owner);
    if (!node) throw new AppError(ErrorCode.CameraUnavailable, 'camera unavailable: its node left; try again');
    let res: Response;
    try {
      res = await fetch(`${node.address}${PIPES_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Node ${this.#d.nodeToken()}` },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.#d.startTimeoutMs + 5000),
      });
    } catch (err) {
      throw new AppError(ErrorCode.CameraUnavailable, `camera unavailable: its node (${owner}) does not answer (${(err as Error).message})`);
    }
    const body = await res.json().catch(() => undefined) as { pipeId?: string; offer?: PipeOffer; error?: { code?: string; message?: string } } | undefined;
    if (!res.ok || !body?.pipeId || !body.offer) {
      const message = body?.error?.message ?? `status ${res.status}`;
      throw new AppError(res.status === 404 ? ErrorCode.NotFound : ErrorCode.CameraUnavailable, res.status === 404 ? 'no such camera' : `camera unavailable: ${message}`);
    }
    const pipeId = body.pipeId;
    const fastStarts = `${node.address}${PIPES_PATH}/${pipeId}/fast-starts`;
    return {
      pipeId,
      offer: body.offer,
      openFastStart: async () => {
        const answer = await fetch(fastStarts, {
          method: 'POST',
          headers: { authorization: `Node ${this.#d.nodeToken()}` },
          signal: AbortSignal.timeout(5000),
        });
        if (answer.status !== 201) return undefined;
        return await answer.json() as { fastStartId: string; producer: PipeOffer['producer'] };
      },
      fastStart: (fastStartId, action) => {
        void fetch(`${fastStarts}/${fastStartId}${action === 'start' ? '/start' : ''}`, {
          method: action === 'start' ? 'POST' : 'DELETE',
          headers: { authorization: `Node ${this.#d.nodeToken()}` },
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined); // unstarted, the owner's feed ends by itself; with the pipe, in any case
      },
      hangUp: () => {
        void fetch(`${node.address}${PIPES_PATH}/${pipeId}`, {
          method: 'DELETE',
          headers: { authorization: `Node ${this.#d.nodeToken()}` },
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined); // the owner also closes pipes to nodes that leave
      },
    };
  }

  /**
   * The owner's side of a pipe (another node's request over the cluster route): claims the
   * camera if it is free, then feeds its stream to the edge. Conflict when another node owns it.
   */
  async exportPipe(edge: string, request: PipeRequest): Promise<PipeAnswer> {
    if (this.#closed) throw new AppError(ErrorCode.Unavailable, 'node is leaving');
    const { cameras, leases, registry } = this.#d;
    if (!cameras.has(request.cameraId)) throw new AppError(ErrorCode.NotFound, 'no such camera');
    if (this.#exported.size >= MAX_EXPORTED_PIPES) throw new AppError(ErrorCode.TooManyRequests, `this node feeds ${MAX_EXPORTED_PIPES} pipes already`);
    if (!leases.holds(request.cameraId)) {
      const owner = await leases.owner(request.cameraId);
      if (owner && owner !== this.#me && registry.alive(owner)) throw new AppError(ErrorCode.Conflict, `camera is owned by ${owner}`, { owner });
      if (owner && owner !== this.#me) await leases.freeFromDead(request.cameraId, owner);
      if (!(await this.#claim(request.cameraId))) throw new AppError(ErrorCode.Conflict, 'camera is owned by another node');
    }
    const pipeId = randomUUID();
    const stream = cameras.stream(request.cameraId, request.stream);
    const pipe = await exportStream(stream, request.edge, {
      ...this.#d.address,
      startTimeoutMs: this.#d.startTimeoutMs,
      ended: (reason) => {
        this.#exported.delete(pipeId);
        this.#d.bus.publish({ kind: 'pipe-closed', to: edge, pipeId, reason });
      },
    });
    this.#exported.set(pipeId, { pipe, edge, cameraId: request.cameraId });
    log.info({ camera: request.cameraId, stream: request.stream, edge, pipe: pipeId }, 'feeding a pipe');
    return { pipeId, offer: pipe.offer };
  }

  /**
   * A fast start for a new viewer on `edge`, fed into one of its pipes (the camera ignores
   * keyframe requests and a GOP is cached); undefined where the stream gives none.
   */
  async openPipedFastStart(edge: string, pipeId: string): Promise<{ fastStartId: string; producer: PipedFastStart['producer'] } | undefined> {
    const entry = this.#exported.get(pipeId);
    if (!entry || entry.edge !== edge) throw new AppError(ErrorCode.NotFound, 'no such pipe');
    const fast = await entry.pipe.openFastStart();
    return fast && { fastStartId: fast.id, producer: fast.producer };
  }

  /** Starts (the edge's viewer resumed) or closes a piped fast start; false when there is no such one. */
  pipedFastStart(edge: string, pipeId: string, fastStartId: string, action: 'start' | 'close'): boolean {
    const entry = this.#exported.get(pipeId);
    const fast = entry && entry.edge === edge ? entry.pipe.fastStart(fastStartId) : undefined;
    if (!fast) return false;
    if (action === 'start') fast.start();
    else fast.close();
    return true;
  }

  /** The edge hung up. Only the edge the pipe feeds may close it. */
  closePipe(edge: string, pipeId: string): boolean {
    const entry = this.#exported.get(pipeId);
    if (!entry || entry.edge !== edge) return false;
    this.#exported.delete(pipeId);
    entry.pipe.close();
    return true;
  }

  #heard(e: ClusterEvent): void {
    if (e.kind === 'health') {
      if (!this.#d.leases.holds(e.cameraId)) this.#d.cameras.remoteHealth(e.cameraId, e.stream, e.health);
      return;
    }
    if (e.kind !== 'pipe-closed' || e.to !== this.#me) return;
    for (const remote of this.#remote.values()) {
      if (remote.pipeId === e.pipeId) remote.end(e.reason);
    }
  }

  #nodeLeft(id: string): void {
    log.warn({ node: id }, 'a node left the cluster');
    for (const [key, remote] of this.#remote) {
      if (remote.owner !== id) continue;
      this.#remote.delete(key);
      remote.end(`the camera's node (${id}) left`);
      remote.close();
    }
    for (const [pipeId, entry] of this.#exported) {
      if (entry.edge === id) this.closePipe(id, pipeId);
    }
    void this.sweep();
  }

  /** Another node holds the camera now, or the lease lapsed: this node stops ingesting it. */
  #lost(cameraId: string): void {
    void this.#handOver(cameraId, 'camera moved to another node');
  }

  /**
   * This node stops ingesting the camera: pipes it fed end (their edges' viewers ask again) and
   * so do its own viewers' views; the next request places the camera on another node.
   */
  async #handOver(cameraId: string, reason: string): Promise<void> {
    this.#moves++;
    this.#claimedAt.delete(cameraId);
    this.#d.cameras.ownershipChanged(cameraId);
    for (const [pipeId, entry] of this.#exported) {
      if (entry.cameraId === cameraId) {
        this.#exported.delete(pipeId);
        entry.pipe.close();
        this.#d.bus.publish({ kind: 'pipe-closed', to: entry.edge, pipeId, reason });
      }
    }
    await this.#d.cameras.relinquish(cameraId);
  }

  /**
   * The node leaves without dropping anyone: it takes no new camera (placement skips it) and
   * hands every camera it owns to other nodes; its viewers and the edges' are served from the
   * new owners after asking again (a moment's "camera stream restarted", no reload). The node
   * can then be stopped. Resolves with the cameras handed over.
   */
  async drain(): Promise<number> {
    const { leases, registry } = this.#d;
    await registry.drain();
    const held = [...leases.held];
    for (const id of held) {
      await leases.release(id);
      await this.#handOver(id, 'the camera\'s node is draining');
    }
    log.info({ cameras: held.length }, 'drained: every camera handed over');
    return held.length;
  }

  /** The view, with the node that ingests each camera (one read of every lease). */
  async describe(): Promise<ClusterView & { owners: Record<string, string> }> {
    const ids = this.#d.cameras.list().map((c) => c.id);
    const owners = await this.#d.leases.owners(ids).catch(() => [] as Array<string | undefined>);
    const byCamera: Record<string, string> = {};
    ids.forEach((id, i) => {
      const owner = owners[i];
      if (owner) byCamera[id] = owner;
    });
    return { ...this.view(), owners: byCamera };
  }

  /** The cluster as this node sees it (the ops page). */
  view(): ClusterView {
    const { registry, leases } = this.#d;
    return {
      self: registry.self.id,
      nodes: registry.nodes.map((n) => ({ ...n, self: n.id === registry.self.id })).sort((a, b) => a.id.localeCompare(b.id)),
      owned: [...leases.held].sort(),
      pipes: {
        exported: [...this.#exported.values()].map((e) => ({ cameraId: e.cameraId, edge: e.edge })),
        imported: [...this.#remote.values()].filter((r) => r.pipeId).map((r) => ({ streamId: r.id, owner: r.owner, viewers: r.viewers })),
      },
      moves: this.#moves,
    };
  }

  async #removed(cameraId: string): Promise<void> {
    for (const [key, remote] of this.#remote) {
      if (key.startsWith(`${cameraId}:`)) {
        this.#remote.delete(key);
        remote.close();
      }
    }
    await this.#d.leases.release(cameraId).catch(() => undefined);
  }

  /**
   * Places the always-on cameras nobody (alive) owns, claiming those placed here, and gives up
   * on-demand cameras nobody here watches any more (they go where their next viewer's node puts them).
   */
  async sweep(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      await this.#sweepOnce();
      if (this.#sweepFailing) log.info('placing cameras again');
      this.#sweepFailing = false;
    } catch (err) {
      if (!this.#sweepFailing) log.warn({ err: (err as Error).message }, 'cannot place the cameras now; trying every second');
      this.#sweepFailing = true;
    } finally {
      this.#sweeping = false;
    }
  }

  async #sweepOnce(): Promise<void> {
    const { cameras, leases, registry } = this.#d;
    for (const id of [...leases.held]) {
      if (!cameras.has(id)) {
        await leases.release(id);
        continue;
      }
      const summary = cameras.get(id);
      const main = cameras.stream(id, 'main');
      const sub = summary.hasSubStream ? cameras.stream(id, 'sub') : undefined;
      const fed = [...this.#exported.values()].some((e) => e.cameraId === id);
      const recent = Date.now() - (this.#claimedAt.get(id) ?? 0) < CLAIM_HOLD_MS;
      if (!summary.alwaysOn && !fed && !recent && main.status.phase === 'idle' && (!sub || sub.status.phase === 'idle') && main.status.viewers === 0) {
        this.#claimedAt.delete(id);
        await leases.release(id);
        cameras.ownershipChanged(id);
      }
    }
    if (!ingests(registry.self) || registry.draining) return;
    const alwaysOn = cameras.list().filter((c) => c.alwaysOn && !leases.holds(c.id)).map((c) => c.id);
    if (alwaysOn.length === 0) return;
    const owners = await leases.owners(alwaysOn);
    const orphans: Array<{ id: string; region: string | undefined }> = [];
    const now = Date.now();
    const seen = new Set<string>();
    for (let i = 0; i < alwaysOn.length; i++) {
      const id = alwaysOn[i]!;
      const owner = owners[i];
      // A lease naming this node but not held here is a previous run's (a quick restart): its own.
      if (owner === this.#me) {
        await this.#claim(id);
        continue;
      }
      if (owner && registry.alive(owner)) continue;
      if (owner && !(await leases.freeFromDead(id, owner))) continue;
      if (!owner) {
        // No lease at all: perhaps Redis restarted without its data, and the owner, alive, takes
        // its lease again at its next renewal. The camera is placed only once that has passed.
        seen.add(id);
        const since = this.#orphanSince.get(id) ?? now;
        this.#orphanSince.set(id, since);
        if (now - since < this.#d.leaseMs / 3 + 2 * this.#d.beatMs) continue;
      }
      orphans.push({ id, region: await this.#d.regionOf(id) });
    }
    for (const id of this.#orphanSince.keys()) if (!seen.has(id)) this.#orphanSince.delete(id);
    for (const [id, node] of placeCameras(registry.nodes, orphans)) {
      if (node === this.#me) await this.#claim(id);
    }
  }

  /** Leaves: pipes closed both ways (the leases are released by CameraLeases.close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    this.#unwire();
    for (const remote of this.#remote.values()) remote.close();
    this.#remote.clear();
    for (const [pipeId, entry] of this.#exported) {
      entry.pipe.close();
      this.#d.bus.publish({ kind: 'pipe-closed', to: entry.edge, pipeId, reason: 'the owner left' });
    }
    this.#exported.clear();
  }
}

/** A node alone: every camera is its own. */
export function soloStreams(cameras: CameraRegistry): StreamDirectory {
  return { streamFor: async (cameraId, kind) => cameras.stream(cameraId, kind) };
}
