// One RTSP control connection (RFC 2326) over TCP: requests matched to responses by CSeq,
// Basic and Digest authentication, and the interleaved binary frames ($, channel, length)
// that carry RTP/RTCP when the session runs over TCP. It parses strictly and bounds every
// size, because a camera is untrusted input: anything malformed ends the connection with an
// RtspError that says what was wrong, never an exception in the server.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { authorizationFor, parseChallenges, type Challenge } from './rtsp-auth.js';

export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_BODY_BYTES = 64 * 1024;
const USER_AGENT = 'giamsat-relay/1';

export class RtspError extends Error {
  /** `realm`: what a 401's challenge named (the camera's own label, for the technician). */
  constructor(message: string, readonly status?: number, readonly realm?: string) {
    super(message);
    this.name = 'RtspError';
  }
}

/**
 * The camera offers only Basic authentication over plain RTSP and the camera's settings do not
 * allow it: the password would travel readable, so it is not sent.
 */
export class BasicAuthRefused extends RtspError {
  constructor(realm?: string) {
    super('camera offers only Basic authentication, which would send the password readable over plain RTSP; not answered (allow Basic in the camera\'s settings only on a trusted network)', 401, realm);
    this.name = 'BasicAuthRefused';
  }
}

/** Who the connection authenticates as; Basic is answered only when `allowBasic` says so. */
export interface RtspCredentials {
  username?: string;
  password?: string;
  allowBasic?: boolean;
}

export interface RtspResponse {
  status: number;
  reason: string;
  /** Header names in lower case; repeated headers keep every value. */
  headers: Map<string, string[]>;
  body: Buffer;
}

export function header(res: RtspResponse, name: string): string | undefined {
  return res.headers.get(name.toLowerCase())?.[0];
}

export interface RtspConnectionEvents {
  /** An interleaved frame. `data` is a view into the socket's buffer: use it before returning. */
  interleaved: [channel: number, data: Buffer];
  /** The connection ended; `error` says why unless close() asked for it. */
  close: [error: RtspError | undefined];
}

interface Pending {
  resolve: (r: RtspResponse) => void;
  reject: (e: RtspError) => void;
  timer: NodeJS.Timeout;
}

/** Credentials and the address without them (the request URI never carries credentials). */
export function splitCredentials(url: string): { url: string; username?: string; password?: string } {
  const u = new URL(url);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  return { url: u.toString(), ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/**
 * For an ingest that answers challenges itself (ffmpeg answers Basic without asking): throws
 * BasicAuthRefused when the rtsp:// camera at `url` offers only Basic. Any other outcome is
 * left to the ingest, which reports its own failures.
 */
export async function refuseBasicOnly(url: string, timeoutMs: number): Promise<void> {
  const { url: bare, username, password } = splitCredentials(url);
  if (username === undefined || !bare.startsWith('rtsp:')) return;
  let conn: RtspConnection | undefined;
  try {
    conn = await RtspConnection.connect(bare, timeoutMs, { username, ...(password !== undefined ? { password } : {}) });
    await conn.request('DESCRIBE', bare, { Accept: 'application/sdp' });
  } catch (err) {
    if (err instanceof BasicAuthRefused) throw err;
  } finally {
    conn?.close();
  }
}

/** Maps a socket error to a reason a person can act on. */
export function socketErrorReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused by the camera host';
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_NONAME': return 'camera host name does not resolve';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'camera host is unreachable';
    case 'ETIMEDOUT': return 'camera did not answer in time';
    case 'ECONNRESET': case 'EPIPE': return 'camera closed the connection';
    default: return `camera connection failed: ${err.code ?? err.message}`;
  }
}

export class RtspConnection extends EventEmitter<RtspConnectionEvents> {
  readonly #socket: net.Socket;
  readonly #timeoutMs: number;
  #buf: Buffer = Buffer.alloc(0);
  #cseq = 0;
  readonly #pending = new Map<number, Pending>();
  #closed = false;
  #username?: string;
  #password?: string;
  readonly #allowBasic: boolean;
  #challenge?: Challenge;
  #nonceCount = 0;
  /** Session header value once SETUP answered (sent with every later request). */
  session?: string;

  private constructor(socket: net.Socket, timeoutMs: number, credentials: RtspCredentials) {
    super();
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    this.#username = credentials.username;
    this.#password = credentials.password;
    this.#allowBasic = credentials.allowBasic === true;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(new RtspError(socketErrorReason(err))));
    socket.on('close', () => this.#fail(new RtspError('camera closed the connection')));
  }

  /** Opens the TCP connection to the URL's host (default port 554). */
  static connect(url: string, timeoutMs: number, credentials: RtspCredentials): Promise<RtspConnection> {
    const u = new URL(url);
    if (u.protocol !== 'rtsp:') return Promise.reject(new RtspError(`the relay speaks rtsp:// only, not ${u.protocol}`));
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 554 });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RtspError('camera did not answer in time'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RtspConnection(socket, timeoutMs, credentials));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new RtspError(socketErrorReason(err)));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The camera's address as connected (UDP media is accepted from it only). */
  /** The local address the connection runs from: where the camera sends UDP media it is asked to. */
  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /**
   * Sends a request and resolves with its response. A 401 is answered once with the
   * credentials (Digest preferred; Basic only where allowed, else BasicAuthRefused); any other
   * non-2xx rejects with the status.
   */
  async request(method: string, uri: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    let res = await this.#send(method, uri, headers);
    // Answer a challenge once per request: the first one, or a fresh nonce after the old
    // one went stale mid-session.
    if (res.status === 401 && this.#username !== undefined) {
      const challenges = parseChallenges(res.headers.get('www-authenticate') ?? []);
      const digest = challenges.find((c) => c.scheme === 'digest');
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (!digest && basic && !this.#allowBasic) throw new BasicAuthRefused(basic.params.realm);
      const next = digest ?? basic;
      if (next) {
        this.#challenge = next;
        this.#nonceCount = 0;
        res = await this.#send(method, uri, headers);
      }
    }
    if (res.status === 401) {
      const realm = parseChallenges(res.headers.get('www-authenticate') ?? []).find((c) => c.params.realm)?.params.realm;
      throw new RtspError(this.#username === undefined ? 'camera asks for credentials (401 Unauthorized)' : 'camera refused the credentials (401 Unauthorized)', 401, realm);
    }
    if (res.status === 404) throw new RtspError('camera has no stream at that path (404 Not Found)', 404);
    if (res.status >= 300 && res.status < 400) return res; // the caller follows redirects
    if (res.status < 200 || res.status >= 300) throw new RtspError(`camera answered ${res.status} ${res.reason}`.trim(), res.status);
    return res;
  }

  #send(method: string, uri: string, extra: Record<string, string>): Promise<RtspResponse> {
    if (this.#closed) return Promise.reject(new RtspError('connection closed'));
    const cseq = ++this.#cseq;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${cseq}`, `User-Agent: ${USER_AGENT}`];
    if (this.session) lines.push(`Session: ${this.session}`);
    if (this.#challenge && this.#username !== undefined) {
      lines.push(`Authorization: ${authorizationFor(this.#challenge, method, uri, this.#username, this.#password ?? '', ++this.#nonceCount)}`);
    }
    for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
    this.#socket.write(lines.join('\r\n') + '\r\n\r\n');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(cseq);
        reject(new RtspError(`camera did not answer ${method} in time`));
      }, this.#timeoutMs);
      this.#pending.set(cseq, { resolve, reject, timer });
    });
  }

  /** Sends an interleaved frame (RTCP to the camera over the RTSP connection). */
  sendInterleaved(channel: number, data: Buffer): void {
    if (this.#closed || data.length > 0xffff) return;
    const head = Buffer.from([0x24, channel, data.length >> 8, data.length & 0xff]);
    this.#socket.cork();
    this.#socket.write(head);
    this.#socket.write(data);
    this.#socket.uncork();
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    let off = 0;
    const buf = this.#buf;
    while (off < buf.length && !this.#closed) {
      if (buf[off] === 0x24) {
        if (buf.length - off < 4) break;
        const len = buf.readUInt16BE(off + 2);
        if (buf.length - off < 4 + len) break;
        this.emit('interleaved', buf[off + 1]!, buf.subarray(off + 4, off + 4 + len));
        off += 4 + len;
        continue;
      }
      const end = buf.indexOf('\r\n\r\n', off, 'latin1');
      if (end < 0) {
        if (buf.length - off > MAX_HEADER_BYTES) return this.#fail(new RtspError('camera sent an oversized or malformed RTSP header'));
        break;
      }
      if (end - off > MAX_HEADER_BYTES) return this.#fail(new RtspError('camera sent an oversized RTSP header'));
      const parsed = parseHead(buf.toString('latin1', off, end));
      if (!parsed) return this.#fail(new RtspError('camera sent data that is not a valid RTSP/RTP stream'));
      const length = Number(parsed.headers.get('content-length')?.[0] ?? 0);
      if (!Number.isInteger(length) || length < 0 || length > MAX_BODY_BYTES) return this.#fail(new RtspError('camera sent an invalid or oversized RTSP body length'));
      if (buf.length < end + 4 + length) break;
      const body = Buffer.from(buf.subarray(end + 4, end + 4 + length));
      off = end + 4 + length;
      if (parsed.kind === 'request') continue; // a server request (e.g. ANNOUNCE): not needed
      const cseq = Number(parsed.headers.get('cseq')?.[0]);
      const pending = this.#pending.get(cseq);
      if (!pending) continue;
      this.#pending.delete(cseq);
      clearTimeout(pending.timer);
      pending.resolve({ status: parsed.status, reason: parsed.reason, headers: parsed.headers, body });
    }
    this.#buf = off >= buf.length ? Buffer.alloc(0) : buf.subarray(off);
  }

  #fail(error: RtspError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(error ?? new RtspError('connection closed'));
    }
    this.#pending.clear();
    this.#socket.destroy();
    this.emit('close', error);
  }

  /** Closes the connection (no error is reported). */
  close(): void {
    this.#fail(undefined);
  }
}

type Head =
  | { kind: 'response'; status: number; reason: string; headers: Map<string, string[]> }
  | { kind: 'request'; status: 0; reason: ''; headers: Map<string, string[]> };

/** Parses a status or request line plus headers; undefined when it is not RTSP. */
export function parseHead(text: string): Head | undefined {
  const lines = text.split('\r\n');
  const first = lines[0] ?? '';
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const status = /^RTSP\/1\.[01] (\d{3})(?: (.*))?$/.exec(first);
  if (status) return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', headers };
  if (/^[A-Z_]+ \S+ RTSP\/1\.[01]$/.test(first)) return { kind: 'request', status: 0, reason: '', headers };
  return undefined;
}
