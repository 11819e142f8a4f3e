// The plugin host: loads the plugins a deployment enables, in dependency order, hands each a
// narrow context, and runs their hooks with a time budget. A plugin that throws or hangs is
// logged with its name and the hook's, counted, and never affects the server or the other
// plugins; one that keeps failing is disabled. State for ops: list().
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type {
  CameraHealthEvent, CameraInfo, Capability, HookName, HostObserver, ObserverEvents, PluginContext, PluginDefinition,
  PluginHooks, PluginInstance, RouteDefinition, StreamTap, ViewRequest,
} from '../../plugins/sdk/index.js';
import type { CameraRegistry, CameraSummary, StreamKind } from '../cameras/CameraRegistry.js';
import { moduleLogger } from '../logger.js';
import { StreamTap as MediaStreamTap } from '../media/StreamTap.js';
import type { StreamDirectory } from '../media/View.js';
import type { PluginEventRepository } from './plugin-event.repository.js';
import { checkConfig, loadDefinition, PluginRefused } from './plugin-loader.js';

const log = moduleLogger('plugins');

/** Time budget of one hook call; setup and dispose get longer. */
export const HOOK_BUDGET_MS = 2000;
const SETUP_BUDGET_MS = 15_000;
/** This many failures within the window disable a plugin. */
const FAILURE_LIMIT = 5;
const FAILURE_WINDOW_MS = 60_000;
const MAX_EVENT_BYTES = 16 * 1024;

export type PluginState = 'active' | 'refused' | 'failed' | 'disabled';

export interface PluginStatus {
  name: string;
  version?: string;
  description?: string;
  needs: Capability[];
  state: PluginState;
  /** Why it is not active. */
  reason?: string;
  /** Hook calls that threw or ran over budget, since start. */
  errors: number;
  lastError?: { at: string; hook: string; message: string };
}

export interface PluginHostPorts {
  cameras: CameraRegistry;
  /** Where a camera's stream is tapped from: its ingest here, or a pipe from the node that owns it. */
  streams: StreamDirectory;
  /** Whether this node ingests the camera (continuous work on it runs here); always, alone. */
  ingestsHere(cameraId: string): Promise<boolean>;
  /** Where the camera sits (for the facility id plugins see). */
  facilityOf(cameraId: string): Promise<string | undefined>;
  access: PluginContext<unknown>['access'];
  tickets: PluginContext<unknown>['tickets'];
  events: PluginEventRepository;
  /** Counts a failed hook call (metrics). */
  onHookError(plugin: string, hook: string): void;
  ffmpegPath: string;
  /** Every plugin's storage directory is a folder of this one, named after it. */
  storageRoot: string;
}

export interface PluginSetting {
  enabled: boolean;
  module?: string;
  config?: unknown;
}

/** A plugin route as the HTTP room mounts it. */
export interface MountedRoute extends RouteDefinition {
  plugin: string;
}

interface Loaded {
  status: PluginStatus;
  def?: PluginDefinition;
  instance?: PluginInstance;
  abort: AbortController;
  failures: number[];
  taps: Set<StreamTap>;
  timers: Set<NodeJS.Timeout>;
  /** The plugin's observer listeners, wrapped, to remove them when it is disabled. */
  listeners: Array<[keyof ObserverEvents, (...args: unknown[]) => void]>;
}

function withBudget<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class PluginHost {
  readonly #ports: PluginHostPorts;
  readonly #plugins = new Map<string, Loaded>();
  readonly #routes: MountedRoute[] = [];
  readonly #observer = new EventEmitter<ObserverEvents>();
  #closed = false;

  private constructor(ports: PluginHostPorts) {
    this.#ports = ports;
  }

  /** Loads and sets up every enabled plugin; a bad one is refused, the server starts anyway. */
  static async start(settings: Record<string, PluginSetting>, ports: PluginHostPorts): Promise<PluginHost> {
    const host = new PluginHost(ports);
    host.#wire();
    const pending = Object.entries(settings).filter(([, s]) => s.enabled);
    const defs = new Map<string, { def: PluginDefinition; config: unknown }>();
    for (const [name, s] of pending) {
      try {
        const def = await loadDefinition(name, s.module);
        defs.set(name, { def, config: checkConfig(def, s.config) });
      } catch (err) {
        host.#refuse(name, err instanceof PluginRefused ? err.message : `cannot load: ${(err as Error).message}`);
      }
    }
    // Dependency order: set up whatever has its dependencies active, until nothing moves.
    for (let progressed = true; progressed && defs.size;) {
      progressed = false;
      for (const [name, { def, config }] of [...defs]) {
        const deps = def.manifest.dependencies ?? [];
        const missing = deps.filter((d) => !defs.has(d) && host.#plugins.get(d)?.status.state !== 'active');
        if (missing.length) {
          defs.delete(name);
          host.#refuse(name, `it depends on ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not enabled or not running`, def);
          progressed = true;
          continue;
        }
        if (deps.some((d) => defs.has(d))) continue;
        defs.delete(name);
        await host.#setUp(name, def, config);
        progressed = true;
      }
    }
    for (const [name, { def }] of defs) host.#refuse(name, `its dependencies form a cycle (${(def.manifest.dependencies ?? []).join(', ')})`, def);
    return host;
  }

  /** Every configured plugin with its state, for ops. */
  list(): PluginStatus[] {
    return [...this.#plugins.values()].map((p) => ({ ...p.status, needs: [...p.status.needs] }));
  }

  /** Every plugin route (the HTTP room mounts them under /plugins/<name>; isActive() gates them). */
  get routes(): readonly MountedRoute[] {
    return this.#routes;
  }

  /** The host's events (what plugins observe), read-only: for other rooms and tests. */
  get observer(): HostObserver {
    const emitter = this.#observer;
    return {
      on(event, listener) {
        emitter.on(event, listener as never);
        return this;
      },
      off(event, listener) {
        emitter.off(event, listener as never);
        return this;
      },
    };
  }

  isActive(plugin: string): boolean {
    return this.#plugins.get(plugin)?.status.state === 'active';
  }

  // ---- hooks -----------------------------------------------------------------------------------

  /**
   * Any active plugin's veto denies; a veto hook that fails denies too, and so does a plugin
   * disabled while it held a veto: a broken privacy plugin never opens cameras by going away.
   * Resolves with the vetoing plugin.
   */
  async vetoView(req: ViewRequest): Promise<string | undefined> {
    const gone = [...this.#plugins.values()].find((p) => p.status.state === 'disabled' && typeof p.instance?.hooks?.authorizeView === 'function');
    if (gone) return gone.status.name;
    const answers = await Promise.all(this.#active('authorizeView').map(async (p) => {
      const r = await this.#call(p, 'authorizeView', (h) => h.authorizeView!(req));
      return !r.ok || r.value === 'deny' ? p.status.name : undefined;
    }));
    return answers.find((a) => a !== undefined);
  }

  /** First answer wins, in load order. */
  async cameraPoster(cameraId: string): Promise<string | undefined> {
    for (const p of this.#active('cameraPoster')) {
      const r = await this.#call(p, 'cameraPoster', (h) => h.cameraPoster!(cameraId));
      if (r.ok && typeof r.value === 'string') return `/plugins/${p.status.name}/${r.value.replace(/^\/+/, '')}`;
    }
    return undefined;
  }

  /** Notification hooks: parallel, not awaited by the caller's path. */
  #notify<K extends Exclude<HookName, 'authorizeView' | 'cameraPoster'>>(hook: K, ...args: Parameters<PluginHooks[K]>): void {
    this.#observer.emit(hook, ...(args as never));
    for (const p of this.#active(hook)) {
      void this.#call(p, hook, (h) => (h[hook] as (...a: unknown[]) => unknown)(...args));
    }
  }

  #active(hook: HookName): Loaded[] {
    return [...this.#plugins.values()].filter((p) => p.status.state === 'active' && typeof p.instance?.hooks?.[hook] === 'function');
  }

  async #call<T>(p: Loaded, hook: string, fn: (hooks: Partial<PluginHooks>) => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    try {
      const value = await withBudget(Promise.resolve().then(() => fn(p.instance!.hooks!)), HOOK_BUDGET_MS, `hook ${hook}`);
      return { ok: true, value };
    } catch (err) {
      this.#fault(p, hook, err);
      return { ok: false };
    }
  }

  #fault(p: Loaded, hook: string, err: unknown): void {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    const now = Date.now();
    p.status.errors++;
    p.status.lastError = { at: new Date(now).toISOString(), hook, message };
    this.#ports.onHookError(p.status.name, hook);
    log.warn({ plugin: p.status.name, hook, err: message }, 'plugin hook failed');
    p.failures = [...p.failures.filter((t) => now - t < FAILURE_WINDOW_MS), now];
    if (p.failures.length >= FAILURE_LIMIT && p.status.state === 'active') {
      void this.#disable(p, `failed ${p.failures.length} times within ${FAILURE_WINDOW_MS / 1000} s (last: ${hook}: ${message})`);
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  #refuse(name: string, reason: string, def?: PluginDefinition): void {
    log.error({ plugin: name, reason }, 'plugin refused; the server runs without it');
    this.#plugins.set(name, this.#record(name, def, 'refused', reason));
  }

  #record(name: string, def: PluginDefinition | undefined, state: PluginState, reason?: string): Loaded {
    const status: PluginStatus = { name, needs: def ? [...def.manifest.needs] : [], state, errors: 0 };
    if (def) {
      status.version = def.manifest.version;
      if (def.manifest.description) status.description = def.manifest.description;
    }
    if (reason) status.reason = reason;
    return { status, def, abort: new AbortController(), failures: [], taps: new Set(), timers: new Set(), listeners: [] };
  }

  async #setUp(name: string, def: PluginDefinition, config: unknown): Promise<void> {
    const p = this.#record(name, def, 'active');
    this.#plugins.set(name, p);
    try {
      p.instance = await withBudget(Promise.resolve().then(() => def.setup(this.#context(p, config))), SETUP_BUDGET_MS, 'setup');
      log.info({ plugin: name, version: def.manifest.version }, 'plugin active');
    } catch (err) {
      p.status.state = 'failed';
      p.status.reason = `setup failed: ${(err as Error).message}`.slice(0, 500);
      log.error({ plugin: name, err: (err as Error).message }, 'plugin setup failed; the server runs without it');
      await this.#release(p);
    }
  }

  async #disable(p: Loaded, reason: string): Promise<void> {
    p.status.state = 'disabled';
    p.status.reason = reason;
    log.error({ plugin: p.status.name, reason }, 'plugin disabled');
    await this.#release(p);
  }

  /** Stops what the plugin holds: signal, timers, listeners, taps, then its own dispose. */
  async #release(p: Loaded): Promise<void> {
    p.abort.abort();
    for (const t of p.timers) clearInterval(t);
    for (const [event, fn] of p.listeners) this.#observer.off(event, fn as never);
    await Promise.allSettled([...p.taps].map((t) => t.close()));
    if (p.instance?.dispose) {
      await withBudget(Promise.resolve().then(() => p.instance!.dispose!()), SETUP_BUDGET_MS, 'dispose')
        .catch((err: Error) => log.warn({ plugin: p.status.name, err: err.message }, 'plugin dispose failed'));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#plugins.values()].filter((p) => p.status.state === 'active').map((p) => this.#release(p)));
  }

  // ---- the context -----------------------------------------------------------------------------

  #context(p: Loaded, config: unknown): PluginContext<unknown> {
    const name = p.status.name;
    const ports = this.#ports;
    const needs = new Set(p.def!.manifest.needs);
    const need = (c: Capability) => {
      if (!needs.has(c)) throw new Error(`plugin ${name} did not declare the "${c}" capability in its manifest`);
    };
    const plog = moduleLogger(`plugin:${name}`);
    const storageDir = path.join(ports.storageRoot, name);
    const host = this;
    return {
      name,
      config,
      log: {
        debug: (o, m) => plog.debug(o as object, m),
        info: (o, m) => plog.info(o as object, m),
        warn: (o, m) => plog.warn(o as object, m),
        error: (o, m) => plog.error(o as object, m),
      },
      signal: p.abort.signal,
      observer: {
        on(event, listener) {
          const wrapped = Object.assign((...args: unknown[]) => {
            try {
              const r = (listener as (...a: unknown[]) => unknown)(...args);
              if (r instanceof Promise) r.catch((err: unknown) => host.#fault(p, `observer:${event}`, err));
            } catch (err) {
              host.#fault(p, `observer:${event}`, err);
            }
          }, { original: listener as unknown });
          p.listeners.push([event, wrapped]);
          host.#observer.on(event, wrapped as never);
          return this;
        },
        off(event, listener) {
          const i = p.listeners.findIndex(([e, fn]) => e === event && (fn as unknown as { original?: unknown }).original === listener);
          if (i >= 0) host.#observer.off(event, p.listeners.splice(i, 1)[0]![1] as never);
          return this;
        },
      },
      cameras: () => this.#cameraInfos(),
      ingestsHere: (cameraId) => ports.ingestsHere(cameraId),
      ffmpegPath: ports.ffmpegPath,
      async openStreamTap(cameraId, options) {
        need('stream-tap');
        if (p.status.state !== 'active') throw new Error('plugin is not active');
        const stream = await ports.streams.streamFor(cameraId, options.stream ?? 'main');
        const tap = await MediaStreamTap.open(stream, { rtpPort: options.rtpPort, timeoutMs: options.timeoutMs ?? 10_000 });
        const facade: StreamTap = Object.assign(tap, { cameraId, stream: options.stream ?? 'main' as StreamKind }) as unknown as StreamTap;
        p.taps.add(facade);
        tap.once('closed', () => p.taps.delete(facade));
        return facade;
      },
      route(def) {
        need('http');
        if (!/^\/[A-Za-z0-9/:._-]*$/.test(def.path)) throw new Error(`invalid route path ${def.path}`);
        host.#routes.push({ ...def, plugin: name });
      },
      get access() {
        need('http');
        return ports.access;
      },
      get tickets() {
        need('http');
        return ports.tickets;
      },
      get storageDir() {
        need('storage');
        fs.mkdirSync(storageDir, { recursive: true });
        return storageDir;
      },
      async emit(type, details, cameraId) {
        need('notify');
        if (!/^[a-z][a-z0-9._-]{0,63}$/.test(type)) throw new Error(`invalid event type ${type}`);
        if (Buffer.byteLength(JSON.stringify(details)) > MAX_EVENT_BYTES) throw new Error('event details are too large');
        const at = await ports.events.record({ plugin: name, type, cameraId: cameraId ?? null, details });
        host.#observer.emit('pluginEvent', { plugin: name, type, ...(cameraId ? { cameraId } : {}), at, details });
      },
      schedule(everyMs, job) {
        if (!(everyMs >= 100)) throw new Error('schedule: everyMs must be at least 100');
        let running = false;
        const timer = setInterval(() => {
          if (running || p.status.state !== 'active') return;
          running = true;
          void withBudget(job(), Math.max(everyMs, 30_000), 'scheduled job')
            .catch((err: unknown) => host.#fault(p, 'schedule', err))
            .finally(() => (running = false));
        }, everyMs);
        timer.unref();
        p.timers.add(timer);
      },
    };
  }

  #cameraInfos(): CameraInfo[] {
    return this.#ports.cameras.list().map((c) => this.#info(c));
  }

  #facilities = new Map<string, string | undefined>();

  #info(c: CameraSummary): CameraInfo {
    const info: CameraInfo = { id: c.id, name: c.name, hasSubStream: c.hasSubStream, alwaysOn: c.alwaysOn };
    const f = this.#facilities.get(c.id);
    if (f) info.facilityId = f;
    return info;
  }

  /** Turns the registry's and signaling's events into hook calls and observer events. */
  #wire(): void {
    const cams = this.#ports.cameras;
    const remember = (id: string) => this.#ports.facilityOf(id).then((f) => this.#facilities.set(id, f), () => undefined);
    for (const c of cams.list()) void remember(c.id);
    cams.on('added', (c) => void remember(c.id).then(() => this.#notify('cameraAdded', this.#info(c))));
    cams.on('updated', (c) => void remember(c.id));
    cams.on('removed', (id) => {
      this.#facilities.delete(id);
      this.#notify('cameraRemoved', id);
    });
    cams.on('health', (cameraId, stream, h, previous = 'idle', origin) => {
      if (previous === h.state) return; // a refresh of the figures, not a change
      if (origin === 'remote') return; // told once, by the node that ingests the camera
      const e: CameraHealthEvent = { cameraId, stream, state: h.state, previous, at: new Date(h.since) };
      if (h.reason) e.reason = h.reason;
      this.#notify('cameraHealthChanged', e);
    });
    cams.on('producer', (cameraId, stream, producerId) => this.#notify('producerCreated', { cameraId, stream, producerId }));
    cams.on('producerClosed', (cameraId, stream, producerId) => this.#notify('producerClosed', { cameraId, stream, producerId }));
  }

  /** A plugin's route threw or ran over its budget: counted like a failed hook. */
  routeFailed(plugin: string, route: string, err: unknown): void {
    const p = this.#plugins.get(plugin);
    if (p) this.#fault(p, `route ${route}`, err);
  }

  /** From signaling: a view started or ended. */
  viewEvent(type: 'start' | 'end', e: { cameraId: string; stream: StreamKind; userId: string; reason?: string }): void {
    this.#notify(type === 'start' ? 'viewStarted' : 'viewEnded', e);
  }
}
