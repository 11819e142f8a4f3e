// The relay's RTSP half: one session with a camera. DESCRIBE (following redirects on the
// camera's own host, its credentials only to its own port), SETUP over TCP (RTP interleaved on
// the connection) or UDP (a port pair of ours, fed only from the camera's media ports), PLAY,
// keep-alive, TEARDOWN. Media comes out as 'rtp' and 'rtcp' packets; RTCP goes back with
// sendRtcp. It knows nothing of what the packets carry (rtp/RtpForwarder.ts does).
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { header, RtspConnection, RtspError, splitCredentials, type RtspCredentials, type RtspResponse } from './RtspConnection.js';
import { resolveControl, sessionControl } from '../sdp.js';

export type RelayTransport = 'tcp' | 'udp';

/**
 * How SETUP asks for the media: interleaved on the connection ('tcp'), over UDP to a port pair
 * of the session's own ('udp'), or over UDP to ports someone else holds (the media worker's, on
 * the direct path): the session then only names them, and reports where the camera sends from.
 */
export type SetupTarget = RelayTransport | { udpPorts: { rtp: number; rtcp: number } };

/** Where a camera sends its UDP media from: its host and the server_port pair of its SETUP answer. */
export interface CameraMediaSource {
  host: string;
  rtp: number;
  rtcp: number;
}

export interface RtspSessionOptions {
  /** Camera RTSP URL (may contain credentials: never logged or reported). */
  url: string;
  /** Time allowed for the TCP connect and for each RTSP answer. */
  ioTimeoutMs: number;
  /** Answer a Basic challenge (the camera's `rtspBasicAuth`); otherwise only Digest. */
  allowBasic: boolean;
  /** A line for the stream's log (credentials never in it). */
  note(line: string): void;
}

export interface RtspSessionEvents {
  /** An RTP packet from the camera. Over TCP a view into the socket's buffer: use it before returning. */
  rtp: [Buffer];
  rtcp: [Buffer];
  /** The session ended on its own; the reason says why. */
  closed: [reason: string];
}

const MAX_REDIRECTS = 3;
/** Frames on interleaved channels the session did not set up, before the camera counts as broken. */
const MAX_STRAY_FRAMES = 100;

export class RtspSession extends EventEmitter<RtspSessionEvents> {
  readonly #o: RtspSessionOptions;
  readonly #conn: RtspConnection;
  /** The URL the camera answered DESCRIBE at (after redirects), without credentials. */
  readonly url: string;
  #channels = { rtp: 0, rtcp: 1 };
  #strayFrames = 0;
  #camRtp?: dgram.Socket;
  #camRtcp?: dgram.Socket;
  #camRtcpAddress?: { host: string; port: number };
  /** The camera's RTP and RTCP source ports, once its SETUP answer named them (UDP). */
  #cameraPorts?: { rtp: number; rtcp: number };
  /** UDP datagrams dropped because they did not come from the camera's media ports. */
  #foreign = 0;
  /** The session's aggregate control URL (PLAY, TEARDOWN). */
  #aggregateUrl?: string;
  #keepAlive?: NodeJS.Timeout;
  #closed = false;

  private constructor(o: RtspSessionOptions, conn: RtspConnection, url: string) {
    super();
    this.#o = o;
    this.#conn = conn;
    this.url = url;
    conn.on('close', (err) => this.#end(err?.message ?? 'camera closed the connection'));
    conn.on('interleaved', (channel, data) => {
      if (channel === this.#channels.rtp) this.emit('rtp', data);
      else if (channel === this.#channels.rtcp) this.emit('rtcp', data);
      else if (++this.#strayFrames > MAX_STRAY_FRAMES) this.#end(`camera sent data on interleaved channel ${channel}, which the session did not set up`);
    });
  }

  /**
   * Connects and asks DESCRIBE, following redirects. Each connection's session is handed to
   * `hold` as soon as it exists, so the caller can close it if it stops meanwhile; `hold`
   * answers false when the caller has stopped already (then undefined is returned).
   */
  static async describe(o: RtspSessionOptions, hold: (session: RtspSession) => boolean): Promise<{ session: RtspSession; answer: RtspResponse } | undefined> {
    const { url: bare, username, password } = splitCredentials(o.url);
    const cameraCredentials: RtspCredentials = { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), allowBasic: o.allowBasic };
    let credentials = cameraCredentials;
    let target = bare;
    for (let hop = 0; ; hop++) {
      const conn = await RtspConnection.connect(target, o.ioTimeoutMs, credentials);
      const session = new RtspSession(o, conn, target);
      if (!hold(session)) {
        session.close();
        return undefined;
      }
      let answer: RtspResponse;
      try {
        answer = await conn.request('DESCRIBE', target, { Accept: 'application/sdp' });
      } catch (err) {
        session.close();
        throw err;
      }
      if (answer.status < 300) return { session, answer };
      session.close();
      const location = header(answer, 'location');
      if (!location || hop >= MAX_REDIRECTS) throw new RtspError(`camera redirected ${location ? 'too often' : 'without a Location'} (${answer.status})`);
      const next = redirectTarget(bare, location, target);
      target = next.url;
      // The camera's credentials go to its own host and port only, never where it points us.
      credentials = next.samePort ? cameraCredentials : {};
      o.note(`redirected (${answer.status})${next.samePort ? '' : ' to another port, without the credentials'}`);
    }
  }

  /** The local address of the RTSP connection: the camera sends UDP media there. */
  get localAddress(): string | undefined {
    return this.#conn.localAddress;
  }

  /**
   * SETUP of the track at `controlUrl`; the camera's SSRC if it named one, and over UDP where
   * it sends from (`cameraMedia`; always there for `udpPorts`, or SETUP fails).
   */
  async setup(controlUrl: string, target: SetupTarget): Promise<{ cameraSsrc?: number; sessionTimeoutS: number; cameraMedia?: CameraMediaSource }> {
    const external = typeof target === 'object' ? target.udpPorts : undefined;
    const udp = target === 'udp' || external !== undefined;
    if (target === 'udp') await this.#openCameraSockets();
    const clientPorts = external ?? (udp ? { rtp: this.#camRtp!.address().port, rtcp: this.#camRtcp!.address().port } : undefined);
    const transportHeader = clientPorts
      ? `RTP/AVP;unicast;client_port=${clientPorts.rtp}-${clientPorts.rtcp}`
      : 'RTP/AVP/TCP;unicast;interleaved=0-1';
    const setup = await this.#conn.request('SETUP', controlUrl, { Transport: transportHeader });
    const session = header(setup, 'session');
    if (!session) throw new RtspError('camera answered SETUP without a session');
    this.#conn.session = session.split(';')[0]!.trim();
    const sessionTimeoutS = Number(/timeout=(\d+)/.exec(session)?.[1] ?? 60);
    const answered = header(setup, 'transport') ?? '';
    const interleaved = /interleaved=(\d+)-(\d+)/.exec(answered);
    if (interleaved) this.#channels = { rtp: Number(interleaved[1]), rtcp: Number(interleaved[2]) };
    const camSsrc = /ssrc=([0-9a-fA-F]+)/.exec(answered);
    let cameraMedia: CameraMediaSource | undefined;
    if (udp) {
      const ports = /server_port=(\d+)-(\d+)/.exec(answered);
      const source = /source=([^;]+)/.exec(answered)?.[1] ?? new URL(this.url).hostname;
      if (ports) {
        this.#camRtcpAddress = { host: source, port: Number(ports[2]) };
        this.#cameraPorts = { rtp: Number(ports[1]), rtcp: Number(ports[2]) };
        // Media is taken from the camera's own host only (as the session's sockets do), never
        // from wherever its answer's source= points.
        const host = this.#conn.remoteAddress;
        if (host) cameraMedia = { host, ...this.#cameraPorts };
      }
      if (external && !cameraMedia) throw new RtspError('camera named no server_port in its SETUP answer: the direct path cannot tell where its media comes from');
    } else if (!interleaved && !/TCP/i.test(answered)) {
      throw new RtspError('camera refused RTP over TCP');
    }
    return { ...(camSsrc ? { cameraSsrc: parseInt(camSsrc[1]!, 16) >>> 0 } : {}), sessionTimeoutS, ...(cameraMedia ? { cameraMedia } : {}) };
  }

  /** PLAY from the start of the session's aggregate control URL, then keep-alives at half the session timeout. */
  async play(sdp: string, base: string, sessionTimeoutS: number): Promise<void> {
    this.#aggregateUrl = resolveControl(base, sessionControl(sdp));
    await this.#conn.request('PLAY', this.#aggregateUrl, { Range: 'npt=0.000-' });
    const keepAliveMs = Math.max(5, Math.min(sessionTimeoutS, 120) / 2) * 1000;
    this.#keepAlive = setInterval(() => void this.#conn.request('OPTIONS', this.url).catch(() => undefined), keepAliveMs);
    this.#keepAlive.unref();
  }

  /** RTCP to the camera: over its UDP RTCP port, or interleaved on the connection. */
  sendRtcp(b: Buffer): void {
    if (this.#closed) return;
    if (this.#camRtcp && this.#camRtcpAddress) this.#camRtcp.send(b, this.#camRtcpAddress.port, this.#camRtcpAddress.host);
    else if (!this.#camRtcp) this.#conn.sendInterleaved(this.#channels.rtcp, b);
  }

  /** TEARDOWN (awaited at most `graceMs`), then close. */
  async teardown(graceMs: number): Promise<void> {
    if (!this.#closed && this.#conn.session && !this.#conn.closed) {
      await Promise.race([
        this.#conn.request('TEARDOWN', this.#aggregateUrl ?? this.url).catch(() => undefined),
        new Promise((r) => setTimeout(r, graceMs)),
      ]);
    }
    this.close();
  }

  /** RTP/RTCP sockets toward the camera (UDP mode): an even/odd port pair. */
  async #openCameraSockets(): Promise<void> {
    const cameraHost = this.#conn.remoteAddress;
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = 2 * randomInt(10000, 30000);
      const rtp = dgram.createSocket('udp4');
      const rtcp = dgram.createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => { rtp.once('error', reject); rtp.bind(port, () => resolve()); });
        await new Promise<void>((resolve, reject) => { rtcp.once('error', reject); rtcp.bind(port + 1, () => resolve()); });
      } catch {
        rtp.close();
        try { rtcp.close(); } catch { /* never bound */ }
        continue;
      }
      if (this.#closed) { rtp.close(); rtcp.close(); throw new RtspError('stopped'); }
      // Only the camera's host, and its media ports once SETUP named them, may feed the stream.
      // Anything else is dropped, not held against the camera: a stranger who could make the
      // relay give up on a camera could blind its supervisors at will.
      const fromCamera = (from: dgram.RemoteInfo, kind: 'rtp' | 'rtcp') => {
        if (from.address === cameraHost && (this.#cameraPorts === undefined || from.port === this.#cameraPorts[kind])) return true;
        if (this.#foreign++ === 0) this.#o.note(`dropped UDP data from ${from.address}:${from.port}, not the camera's media ports`);
        return false;
      };
      rtp.on('message', (msg, from) => { if (fromCamera(from, 'rtp')) this.emit('rtp', msg); });
      rtcp.on('message', (msg, from) => { if (fromCamera(from, 'rtcp')) this.emit('rtcp', msg); });
      rtp.on('error', () => undefined);
      rtcp.on('error', () => undefined);
      this.#camRtp = rtp;
      this.#camRtcp = rtcp;
      return;
    }
    throw new RtspError('no free UDP port pair for the camera');
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.close();
    this.emit('closed', reason);
  }

  /** Closes the connection and the media sockets; no 'closed' event. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    for (const s of [this.#camRtp, this.#camRtcp]) {
      try { s?.close(); } catch { /* already closed */ }
    }
    this.#conn.removeAllListeners('close');
    this.#conn.close();
  }
}

/**
 * Where a camera's redirect leads, if the relay may follow it: RTSP on the camera's own host
 * (a camera pointing elsewhere could hand its viewers, and its credentials, to anyone).
 * `samePort`: the camera's own address, where its credentials may go.
 */
export function redirectTarget(cameraUrl: string, location: string, current: string): { url: string; samePort: boolean } {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new RtspError(`camera redirected to an invalid address (${location.slice(0, 100)})`);
  }
  const camera = new URL(cameraUrl);
  if (next.protocol !== 'rtsp:') throw new RtspError(`camera redirected to a ${next.protocol.replace(':', '')} address; not followed`);
  if (next.hostname !== camera.hostname) throw new RtspError(`camera redirected to another host (${next.hostname}); not followed`);
  next.username = '';
  next.password = '';
  return { url: next.toString(), samePort: (next.port || '554') === (camera.port || '554') };
}
