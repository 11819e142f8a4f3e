// socket.io signaling: authenticates each connection, validates every request against the
// protocol's schemas, runs it on the viewer's session and acknowledges with a result or an
// error body. Unknown or malformed requests change nothing.
import type { Server as HttpServer } from 'node:http';
import { EventEmitter } from 'node:events';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import { z } from 'zod';
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import { AppError, ErrorCode, toErrorBody, type ErrorBody } from '../errors.js';
import { moduleLogger } from '../logger.js';
import type { MediaService } from '../media/MediaService.js';
import type { StreamDirectory } from '../media/View.js';
import { turnCredentials, type TurnSettings } from './ice-servers.js';
import type { ViewAccess, Viewer } from './access-port.js';
import { requestSchemas, type Ack, type ParsedRequest, type RequestName, type ResponseMap, type ServerEvents, type SessionEndReason } from './protocol.js';
import { TokenBucket } from '../util/TokenBucket.js';
import { LocalConnectionSlots, type ConnectionSlots } from '../util/connection-slots.js';
import { ViewerSession, type ViewEvent } from './ViewerSession.js';

const log = moduleLogger('signaling');

/** Largest accepted message; socket.io drops the connection of a client that sends more. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * Signaling requests one socket may make: bursts of 100 (a 16-tile wall opening, switching
 * streams and reading stats needs well under that), then 30 per second.
 */
export const SOCKET_REQUEST_RATE = { burst: 100, perSecond: 30 } as const;
/**
 * Signaling connections one account may hold at once (over the whole cluster: the count is on
 * Redis there): a supervisor's wall on two or three screens, a phone and the pages they open
 * leave room under it; a script that opens sockets in a loop does not get far.
 */
export const MAX_SOCKETS_PER_ACCOUNT = 10;
/** How often every connection's sign-in is checked in the database (ended on another node, or revoked there). */
export const SESSION_CHECK_MS = 5000;
/** A connection outlives its token by the clock tolerance tokens are verified with, no more. */
const EXPIRY_GRACE_MS = 5000;

type ViewerSocket = Socket<Record<string, never>, ServerEvents, Record<string, never>, SocketData>;

/** What a request handler works on: the viewer's session and its socket. */
interface RequestContext {
  session: ViewerSession;
  socket: ViewerSocket;
}

type Handlers = { [K in RequestName]: (ctx: RequestContext, data: ParsedRequest<K>) => Promise<ResponseMap[K]> };

export interface SignalingDeps {
  media: MediaService;
  cameras: CameraRegistry;
  /** Where each camera's stream is viewed from (this node, or its owner in a cluster). */
  streams: StreamDirectory;
  access: ViewAccess;
  /** How often every open view is re-authorized (time-limited grants end without an event). */
  recheckMs?: number;
  /** How pushes reach the viewers of other nodes (socket.io's Redis streams adapter in a cluster). */
  adapter?: ServerOptions['adapter'];
  /** The cluster's nodes pages may reconnect through (public origins); absent alone. */
  peers?(): string[];
  /** An image to show while a camera connects (the snapshots plugin's), if any. */
  posterFor?(cameraId: string): Promise<string | undefined>;
  /** A TURN server, if any: each transport carries credentials of its viewer's own. */
  turn?: TurnSettings;
  /** Where connections per account are counted (the cluster's Redis); absent: in this node, capped at MAX_SOCKETS_PER_ACCOUNT. */
  connectionSlots?: ConnectionSlots;
}

export interface SignalingEvents {
  view: [ViewEvent];
}

interface SocketData {
  viewer: Viewer;
  /** The connection ends after this (ms since the epoch) unless the page renews its sign-in. */
  validUntil?: number;
}

export class SignalingServer extends EventEmitter<SignalingEvents> {
  readonly io: Server<Record<string, never>, ServerEvents, Record<string, never>, SocketData>;
  readonly #deps: SignalingDeps;
  readonly #sessions = new Map<string, ViewerSession>();
  /** Connections per account, counted from the handshake (before the session exists). */
  readonly #slots: ConnectionSlots;
  readonly #handlers: Handlers;
  readonly #sweepTimer: NodeJS.Timeout;
  #lastSessionCheck = Date.now();

  constructor(http: HttpServer, deps: SignalingDeps) {
    super();
    this.#deps = deps;
    this.#slots = deps.connectionSlots ?? new LocalConnectionSlots(MAX_SOCKETS_PER_ACCOUNT);
    this.io = new Server(http, {
      maxHttpBufferSize: MAX_MESSAGE_BYTES, serveClient: false, pingInterval: 10_000, pingTimeout: 8_000,
      ...(deps.adapter ? { adapter: deps.adapter } : {}),
    });
    this.#handlers = {
      getRouterRtpCapabilities: async () => deps.media.rtpCapabilities,
      listCameras: (ctx) => this.#listCameras(ctx),
      createTransport: ({ session }, d) => session.createTransport(d),
      connectTransport: ({ session }, d) => session.connectTransport(d),
      consume: ({ session }, d) => session.consume(d),
      resumeConsumer: ({ session }, d) => session.resumeConsumer(d),
      closeConsumer: ({ session }, d) => session.closeConsumer(d),
      closeTransport: ({ session }, d) => session.closeTransport(d),
      restartIce: ({ session }, d) => session.restartIce(d),
      renewSession: async ({ session, socket }, d) => {
        const validUntil = await deps.access.renew(session.viewer, d.token);
        socket.data.validUntil = validUntil;
        return { validUntil };
      },
    };
    this.io.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown } | undefined;
      deps.access
        .authenticate({
          token: typeof auth?.token === 'string' ? auth.token : undefined,
          address: socket.handshake.address,
          userAgent: String(socket.handshake.headers['user-agent'] ?? '').slice(0, 300),
        })
        .then(async (viewer) => {
          if (!(await this.#holdSocketSlot(socket, viewer.id))) {
            log.warn({ viewer: viewer.id, max: MAX_SOCKETS_PER_ACCOUNT }, 'signaling connection refused: too many for the account');
            throw new AppError(ErrorCode.TooManyRequests, `at most ${MAX_SOCKETS_PER_ACCOUNT} connections per account at once; close another window or tab`);
          }
          socket.data.viewer = viewer;
          if (viewer.validUntil !== undefined) socket.data.validUntil = viewer.validUntil;
          next();
        })
        .catch((err: unknown) => {
          const body = toErrorBody(err);
          const e = new Error(body.message) as Error & { data?: ErrorBody };
          e.data = body;
          next(e);
        });
    });
    this.io.on('connection', (socket) => this.#onConnection(socket));
    let sweeping = false;
    this.#sweepTimer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      void this.#sweep().catch((err: Error) => log.error({ err: err.message }, 'sweep failed')).finally(() => (sweeping = false));
    }, deps.recheckMs ?? 1000);
    // What the node that ingests a camera knows goes to the camera's room on every node (in a
    // cluster, through the adapter): its health and its clock. Health another node announced is
    // pushed by that node, not again here.
    deps.cameras.on('health', (cameraId, stream, health, _previous, origin) => {
      if (origin === 'local') this.io.to(room(cameraId)).emit('cameraHealth', { cameraId, stream, health });
    });
    deps.cameras.on('clock', (cameraId, stream, clock) => {
      this.io.to(room(cameraId)).emit('cameraClock', { cameraId, stream, clock });
    });
    // Every node follows a camera change itself, then tells its own viewers (after following, so
    // that their next list has it).
    const changed = () => this.io.local.emit('camerasChanged');
    deps.cameras.on('added', changed);
    deps.cameras.on('removed', changed);
    deps.cameras.on('updated', changed);
  }

  /**
   * Counts the socket against its account's cap; false when the account is at the cap. The
   * slot is given back when the socket disconnects or, if it never gets that far, when its
   * connection closes.
   */
  async #holdSocketSlot(socket: ViewerSocket, accountId: string): Promise<boolean> {
    if (!(await this.#slots.hold(accountId, socket.id))) return false;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.#slots.release(accountId, socket.id);
    };
    socket.once('disconnect', release);
    socket.conn.once('close', release);
    // Gone while the slot was being taken: no later event would give it back.
    if (socket.conn.readyState === 'closed') release();
    return true;
  }

  /** Tells this node's pages the cluster's current nodes (one came or went). */
  announcePeers(): void {
    if (this.#deps.peers) this.io.local.emit('nodes', { urls: this.#deps.peers() });
  }

  /**
   * Re-checks the open views of one person now (their access changed; '*': everyone's, after
   * places moved), stops their health pushes for cameras they may no longer see and refreshes
   * their camera list; ends their connections when the account or the sign-in has ended.
   */
  async recheckViewer(userId: string): Promise<void> {
    for (const [socketId, session] of [...this.#sessions]) {
      if (userId !== '*' && session.viewer.id !== userId) continue;
      await session.recheck();
      // A failed check (database unreachable) keeps the session: its views were re-checked just
      // above and fail closed on their own; signing a supervisor out for a blip would not.
      const active = await this.#deps.access.isActive(session.viewer).catch((err: Error) => {
        log.warn({ viewer: userId, err: err.message }, 'cannot check whether the account is active');
        return true;
      });
      if (!active) {
        this.#end(socketId, 'account-inactive');
        continue;
      }
      const socket = this.io.sockets.sockets.get(socketId);
      if (socket) await this.#pruneRooms(socket, session);
      this.io.to(socketId).emit('camerasChanged');
    }
    // After the account check, so a suspension is told as such (it also ends every sign-in).
    await this.#checkSessions(userId);
  }

  /** Ends one connection, saying why first. */
  #end(socketId: string, reason: SessionEndReason): void {
    const socket = this.io.sockets.sockets.get(socketId);
    if (!socket?.connected) return;
    log.info({ viewer: this.#sessions.get(socketId)?.viewer.id, socket: socketId, reason }, 'session ended');
    socket.emit('sessionEnded', { reason });
    socket.disconnect(true);
  }

  /** Ends the connections (of one person, or '*': all) whose sign-in is no longer live. */
  async #checkSessions(userId: string): Promise<void> {
    const named = [...this.#sessions].filter(([id, s]) => (userId === '*' || s.viewer.id === userId) && s.viewer.sessionId !== undefined && this.io.sockets.sockets.get(id)?.connected);
    if (!named.length) return;
    const live = await this.#deps.access.liveSessions(named.map(([, s]) => s.viewer.sessionId!)).catch((err: Error) => {
      // Unknown is not ended: the database blipped, the next check decides.
      log.warn({ err: err.message }, 'cannot check sign-ins');
      return undefined;
    });
    if (!live) return;
    for (const [socketId, s] of named) if (!live.has(s.viewer.sessionId!)) this.#end(socketId, 'signed-out');
  }

  /**
   * Leaves the health rooms of cameras the person may no longer see (a grant revoked or run
   * out): pushes stop at once, whether or not the page asks for its list again.
   */
  async #pruneRooms(socket: ViewerSocket, session: ViewerSession): Promise<number> {
    const rooms = [...socket.rooms].filter((r) => r.startsWith('camera:')).map((r) => r.slice('camera:'.length));
    const watched = session.views().map((v) => v.cameraId);
    if (!rooms.length && !watched.length) return 0;
    // One set decision per socket, not one per room: a national monitor's page is in thousands.
    // Its open views are judged in the same decision (see ViewerSession#withdraw).
    const asked = [...new Set([...rooms, ...watched])].map((id) => ({ id }));
    const still = await this.#deps.access.visibleCameras(session.viewer, asked).then((v) => new Set(v.map((c) => c.id)), () => undefined);
    const gone = rooms.filter((id) => !still?.has(id));
    for (const id of gone) void socket.leave(room(id));
    // Unknown is not withdrawn: the views' own re-check fails closed on a database blip.
    const withdrawn = still ? session.withdraw(new Set(watched.filter((id) => !still.has(id)))) : 0;
    return gone.length + withdrawn;
  }

  /**
   * Every tick: connections past their token's expiry end; open views are re-checked (time
   * limits pass without an event). Every SESSION_CHECK_MS: sign-ins are checked and rooms pruned.
   */
  async #sweep(): Promise<void> {
    const now = Date.now();
    for (const [socketId, session] of [...this.#sessions]) {
      const socket = this.io.sockets.sockets.get(socketId);
      if (socket?.data.validUntil !== undefined && now > socket.data.validUntil + EXPIRY_GRACE_MS) {
        this.#end(socketId, 'expired');
        continue;
      }
      const ended = await session.recheck();
      if (ended > 0) {
        log.info({ viewer: session.viewer.id, ended }, 'views ended: access no longer allowed');
        this.io.to(socketId).emit('camerasChanged');
      }
    }
    if (now - this.#lastSessionCheck < SESSION_CHECK_MS) return;
    this.#lastSessionCheck = now;
    await this.#checkSessions('*');
    for (const [socketId, session] of [...this.#sessions]) {
      const socket = this.io.sockets.sockets.get(socketId);
      if (socket && (await this.#pruneRooms(socket, session)) > 0) socket.emit('camerasChanged');
    }
  }

  /** Every open view on this node: who watches which camera stream. */
  activeViews(): Array<{ cameraId: string; stream: 'main' | 'sub'; viewer: Viewer }> {
    return [...this.#sessions.values()].flatMap((s) => s.views().map((v) => ({ cameraId: v.cameraId, stream: v.stream, viewer: s.viewer })));
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  async #listCameras({ session, socket }: RequestContext) {
    const visible = await this.#deps.access.visibleCameras(session.viewer, this.#deps.cameras.list());
    // A view of a camera this list leaves out ends now, told before the list arrives.
    const listed = new Set(visible.map((c) => c.id));
    session.withdraw(new Set(session.views().map((v) => v.cameraId).filter((id) => !listed.has(id) && this.#deps.cameras.has(id))));
    const posterFor = this.#deps.posterFor;
    if (posterFor) {
      await Promise.all(visible.map(async (c) => {
        const poster = await posterFor(c.id);
        if (poster) c.poster = poster;
      }));
    }
    // Health updates go to the rooms of the cameras this viewer may see.
    for (const r of socket.rooms) if (r.startsWith('camera:')) void socket.leave(r);
    void socket.join(visible.map((c) => room(c.id)));
    // Read again now that the socket hears every later change: one made while access was being
    // checked would otherwise be neither in the answer nor heard.
    for (const c of visible) {
      if (!this.#deps.cameras.has(c.id)) continue;
      const now = this.#deps.cameras.get(c.id);
      c.health = now.health;
      if (now.subHealth) c.subHealth = now.subHealth;
    }
    return visible;
  }

  #onConnection(socket: ViewerSocket): void {
    const viewer = socket.data.viewer;
    const slog = log.child({ socket: socket.id, viewer: viewer.id });
    const session = new ViewerSession(viewer, {
      media: this.#deps.media,
      streams: this.#deps.streams,
      access: this.#deps.access,
      log: slog,
      notify: {
        consumerClosed: (consumerId, cameraId, reason) => socket.emit('consumerClosed', { consumerId, cameraId, reason }),
        transportClosed: (transportId, reason) => socket.emit('transportClosed', { transportId, reason }),
      },
      onView: (e) => this.emit('view', e),
      ...(this.#deps.turn ? { iceServers: ((turn) => () => turnCredentials(turn, viewer.id))(this.#deps.turn) } : {}),
    });
    this.#sessions.set(socket.id, session);
    slog.debug('connected');
    if (this.#deps.peers) socket.emit('nodes', { urls: this.#deps.peers() });

    // The receive transport asked for with the sign-in: made now, through the same door (and
    // limits) as a createTransport request, so ICE and DTLS start a round trip sooner.
    const offered = (socket.handshake.auth as { transport?: unknown } | undefined)?.transport;
    if (offered !== undefined) {
      void this.#dispatch({ session, socket }, 'createTransport', [offered], slog).then((res) => {
        if (socket.connected) socket.emit('transport', res as Ack<ResponseMap['createTransport']>);
      });
    }

    const bucket = new TokenBucket(SOCKET_REQUEST_RATE.burst, SOCKET_REQUEST_RATE.perSecond);
    let refusedSince = 0;
    socket.onAny((event: unknown, ...args: unknown[]) => {
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as (res: Ack<unknown>) => void) : undefined;
      if (!bucket.take()) {
        // Refused before any work (parsing included); logged once per burst of refusals.
        if (refusedSince++ === 0) slog.warn('too many signaling requests; refusing until the rate falls');
        ack?.({ ok: false, error: { code: ErrorCode.TooManyRequests, message: `at most ${SOCKET_REQUEST_RATE.perSecond} requests per second (bursts of ${SOCKET_REQUEST_RATE.burst})` } });
        return;
      }
      refusedSince = 0;
      void this.#dispatch({ session, socket }, event, args, slog).then((res) => {
        if (ack) ack(res);
        else if (!res.ok) slog.debug({ event: String(event).slice(0, 64), error: res.error.code }, 'request without acknowledgement refused');
      });
    });
    socket.on('disconnect', (reason) => {
      slog.debug({ reason }, 'disconnected');
      session.close();
      this.#sessions.delete(socket.id);
    });
  }

  async #dispatch(ctx: RequestContext, event: unknown, args: unknown[], slog: typeof log): Promise<Ack<unknown>> {
    if (typeof event !== 'string' || !Object.hasOwn(requestSchemas, event)) {
      return { ok: false, error: { code: ErrorCode.UnknownEvent, message: `unknown request "${String(event).slice(0, 64)}"` } };
    }
    const name = event as RequestName;
    if (args.length > 1) {
      return { ok: false, error: { code: ErrorCode.BadRequest, message: `${name} takes one payload object` } };
    }
    const parsed = requestSchemas[name].safeParse(args[0] ?? {});
    if (!parsed.success) {
      return { ok: false, error: { code: ErrorCode.BadRequest, message: `invalid ${name} payload: ${z.prettifyError(parsed.error).slice(0, 500)}` } };
    }
    try {
      const handler = this.#handlers[name] as (c: RequestContext, d: unknown) => Promise<unknown>;
      return { ok: true, data: await handler(ctx, parsed.data) };
    } catch (err) {
      if (!(err instanceof AppError)) slog.error({ err, request: name }, 'request failed');
      return { ok: false, error: toErrorBody(err) };
    }
  }

  /** Closes every session and the socket.io server. */
  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    for (const s of this.#sessions.values()) s.close();
    this.#sessions.clear();
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }
}

function room(cameraId: string): string {
  return `camera:${cameraId}`;
}
