// The plugin API: everything a plugin (ours or a third party's) builds against. A plugin is a
// module whose default export is `definePlugin({ manifest, setup })`. The host checks the
// manifest at boot, validates the plugin's configuration with its schema, and hands `setup` a
// narrow context; the instance it returns holds the hooks. Versioned by HOST_API_VERSION
// (semver): a plugin states the range it supports in `manifest.hostApi`.
// Documentation: docs/plugins.md.
import { z } from 'zod';

export { z };

/** The version of this API. Minor: additions; major: breaking changes. */
export const HOST_API_VERSION = '1.4.0'; // 1.1: access.visible(); 1.2: the 'restarting' health state; 1.3: RouteInputError; 1.4: ingestsHere()

/** What a plugin may ask the host for; context members of a capability not declared throw. */
export type Capability = 'stream-tap' | 'http' | 'storage' | 'notify';

export interface PluginManifest<Config = unknown> {
  /** Lowercase letters, digits and dashes; also the URL segment under /plugins/ and the storage folder. */
  name: string;
  /** The plugin's own version (semver). */
  version: string;
  /** The host API versions it supports, a semver range, e.g. "^1.0.0". */
  hostApi: string;
  /** Capabilities it needs. */
  needs: Capability[];
  /** Plugins that must be loaded (and set up) before this one. */
  dependencies?: string[];
  /** Validates (and fills defaults of) the deployment's configuration for the plugin. */
  configSchema: z.ZodType<Config>;
  /** One line on what it does, shown to ops. */
  description?: string;
}

// ---- events the host publishes ------------------------------------------------------------

/** 'restarting': a new run after a settings change, a restart or a switch to transcoding (not a camera fault). */
export type HealthState = 'idle' | 'connecting' | 'restarting' | 'live' | 'stalled' | 'offline';
export type StreamKind = 'main' | 'sub';

export interface CameraInfo {
  id: string;
  name: string;
  hasSubStream: boolean;
  alwaysOn: boolean;
  /** The facility it belongs to, if placed. */
  facilityId?: string;
}

export interface CameraHealthEvent {
  cameraId: string;
  stream: StreamKind;
  state: HealthState;
  /** The state before this one. */
  previous: HealthState;
  /** Why the stream is not live (no credentials in it). */
  reason?: string;
  at: Date;
}

export interface ProducerEvent {
  cameraId: string;
  stream: StreamKind;
  producerId: string;
}

export interface ViewEvent {
  cameraId: string;
  stream: StreamKind;
  userId: string;
  /** Why the view ended (on `viewEnded`). */
  reason?: string;
}

export interface ViewRequest {
  cameraId: string;
  stream: StreamKind;
  userId: string;
  /** The client's address. */
  address: string;
}

/** A plugin's own event (motion, camera alert…), recorded and published by the host. */
export interface PluginEvent {
  plugin: string;
  type: string;
  cameraId?: string;
  at: Date;
  details: Record<string, unknown>;
}

export interface ObserverEvents {
  cameraAdded: [CameraInfo];
  cameraRemoved: [cameraId: string];
  cameraHealthChanged: [CameraHealthEvent];
  producerCreated: [ProducerEvent];
  producerClosed: [ProducerEvent];
  viewStarted: [ViewEvent];
  viewEnded: [ViewEvent];
  pluginEvent: [PluginEvent];
}

/** Listening to the host's events; a listener that throws is counted as the plugin's failure. */
export interface HostObserver {
  on<K extends keyof ObserverEvents>(event: K, listener: (...args: ObserverEvents[K]) => void | Promise<void>): HostObserver;
  off<K extends keyof ObserverEvents>(event: K, listener: (...args: ObserverEvents[K]) => void | Promise<void>): HostObserver;
}

/**
 * Hooks a plugin instance may implement, each with its run semantics:
 * - notifications (camera…, producer…, view…): run in parallel across plugins; the host does
 *   not wait for them beyond their time budget;
 * - `authorizeView`: run in parallel; any 'deny' denies (after the access policy allowed); a
 *   hook that throws or runs over its budget counts as a deny (it was installed to restrict);
 * - `cameraPoster`: first answer wins, in plugin load order.
 */
export interface PluginHooks {
  cameraAdded(camera: CameraInfo): void | Promise<void>;
  cameraRemoved(cameraId: string): void | Promise<void>;
  cameraHealthChanged(e: CameraHealthEvent): void | Promise<void>;
  producerCreated(e: ProducerEvent): void | Promise<void>;
  producerClosed(e: ProducerEvent): void | Promise<void>;
  viewStarted(e: ViewEvent): void | Promise<void>;
  viewEnded(e: ViewEvent): void | Promise<void>;
  authorizeView(req: ViewRequest): 'deny' | undefined | Promise<'deny' | undefined>;
  /** A URL path (under /plugins/<name>/) of an image to show while the camera connects. */
  cameraPoster(cameraId: string): string | undefined | Promise<string | undefined>;
}

export type HookName = keyof PluginHooks;

export interface PluginInstance {
  hooks?: Partial<PluginHooks>;
  /** Called once at shutdown or when the host disables the plugin. */
  dispose?(): void | Promise<void>;
}

// ---- the context ----------------------------------------------------------------------------

export interface PluginLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/**
 * A second consumer of a camera's stream, delivered as RTP to a local UDP port of the
 * plugin (e.g. ffmpeg reading `sdp`). It never touches viewers' consumers and keeps the
 * camera's ingest running while open. When the camera's ingest restarts, the tap follows
 * the new producer and emits 'restarted' (an RTP reader should start over).
 */
export interface StreamTap {
  readonly cameraId: string;
  readonly stream: StreamKind;
  /** An SDP describing the RTP as sent to the port (write it to a file for ffmpeg). */
  readonly sdp: string;
  /** Asks the camera for a keyframe now (rate-limited by the ingest). */
  requestKeyFrame(): Promise<void>;
  on(event: 'restarted' | 'closed', listener: () => void): this;
  off(event: 'restarted' | 'closed', listener: () => void): this;
  close(): Promise<void>;
}

export interface TapOptions {
  stream?: StreamKind;
  /** The local UDP port to send RTP to (RTCP goes to port + 1). */
  rtpPort: number;
  /** How long to wait for a camera that is not running yet. Default 10 s. */
  timeoutMs?: number;
}

/** The person behind a plugin route request (routes are signed-in only). */
export interface Caller {
  userId: string;
  fullName: string;
  address: string;
}

export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** The signed-in person; for `auth: 'ticket'` routes, the person the ticket was issued to. */
  caller: Caller;
  /** The verified claims of the `ticket` query parameter (`auth: 'ticket'` routes only). */
  ticket?: Record<string, string>;
  /** Parsed JSON body (POST), at most 32 KiB. */
  body: unknown;
}

export type RouteResponse =
  | { status?: number; json: unknown }
  | { status?: number; type: string; body: Buffer | string; headers?: Record<string, string> }
  /** A file from the plugin's storage, streamed with range support (video segments). */
  | { file: string; type: string; headers?: Record<string, string> };

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'DELETE';
  /**
   * user (default): a bearer access token, like the rest of the API. ticket: a `ticket`
   * query parameter issued by `tickets.issue({ sub: userId, name, ... })`, for URLs a browser
   * loads by itself (<video src>); the host verifies it before the handler runs.
   */
  auth?: 'user' | 'ticket';
  /** Express-style path under /plugins/<name>, e.g. "/cameras/:id/latest.jpg". */
  path: string;
  handler(req: RouteRequest): Promise<RouteResponse>;
}

/** Access questions routes must ask before serving camera material. */
export interface AccessFacade {
  /**
   * May the caller see this camera now? A refusal is recorded in the audit log like a
   * refused live view. `purpose` names what was asked for (e.g. "snapshot", "recording").
   */
  mayView(caller: Caller, cameraId: string, purpose: string): Promise<boolean>;
  /**
   * The subset of `cameraIds` the caller may see now, for listings: nothing is recorded
   * (asking to see one is what mayView is for).
   */
  visible(caller: Caller, cameraIds: string[]): Promise<string[]>;
  /** Records that the caller was served camera material (audited like a live view). */
  recordAccess(caller: Caller, cameraId: string, purpose: string, details?: Record<string, string | number>): void;
}

/** A short-lived signed ticket, for URLs a browser loads without headers (<video src>). */
export interface TicketFacade {
  issue(claims: Record<string, string>, ttlSeconds: number): string;
  /** The claims, or undefined when forged or expired. */
  verify(ticket: string): Record<string, string> | undefined;
}

export interface PluginContext<Config> {
  readonly name: string;
  readonly config: Config;
  readonly log: PluginLogger;
  /** Aborted at shutdown or when the host disables the plugin: stop timers, kill children. */
  readonly signal: AbortSignal;
  /** The host's events, read-only (the same moments as the hooks). */
  readonly observer: HostObserver;
  /** The cameras known now. */
  cameras(): CameraInfo[];
  /**
   * Whether this node ingests the camera. Continuous work on a camera (recording, analysis,
   * periodic snapshots) runs once in a cluster, on the node that ingests it: ask at each pass,
   * since cameras move when nodes come, leave or drain. Alone, always true. In a cluster a
   * camera nobody ingests yet is claimed by the node placement picks (region, then load), so
   * exactly one node answers true. Taps work on any node (piped from the owner); this is about
   * not doing the same work twice. False when the cluster cannot be asked (Redis away).
   */
  ingestsHere(cameraId: string): Promise<boolean>;
  /** The ffmpeg binary the host uses. */
  readonly ffmpegPath: string;
  /** stream-tap */
  openStreamTap(cameraId: string, options: TapOptions): Promise<StreamTap>;
  /** http: mounts a route under /plugins/<name>; callers are signed in (401 otherwise). */
  route(def: RouteDefinition): void;
  /** http */
  readonly access: AccessFacade;
  /** http */
  readonly tickets: TicketFacade;
  /** storage: the plugin's own directory (created). */
  readonly storageDir: string;
  /** notify: records an event (kept by the host, published to observers and other plugins). */
  emit(type: string, details: Record<string, unknown>, cameraId?: string): Promise<void>;
  /** Runs `job` every `everyMs` (never overlapping itself); ends with the signal. */
  schedule(everyMs: number, job: () => Promise<void>): void;
}

export interface PluginDefinition<Config = unknown> {
  manifest: PluginManifest<Config>;
  setup(ctx: PluginContext<Config>): PluginInstance | Promise<PluginInstance>;
}

/**
 * Thrown by a route handler when the caller's input is wrong (a bad parameter, an unknown
 * id): the host answers it with its status and does not count it as a fault of the plugin.
 * A `ZodError` from parsing the request counts the same (as 400).
 */
export class RouteInputError extends Error {
  readonly status: 400 | 403 | 404 | 409 | 422;
  readonly code: string;

  constructor(status: 400 | 403 | 404 | 409 | 422, message: string, code = status === 404 ? 'NOT_FOUND' : status === 403 ? 'FORBIDDEN' : status === 409 ? 'CONFLICT' : 'BAD_REQUEST') {
    super(message);
    this.name = 'RouteInputError';
    this.status = status;
    this.code = code;
  }
}

/** Types the definition (identity at run time). */
export function definePlugin<Config>(def: PluginDefinition<Config>): PluginDefinition<Config> {
  return def;
}
