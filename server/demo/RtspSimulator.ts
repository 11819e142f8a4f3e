// Synthetic RTSP cameras for the demo site: ffmpeg draws a test pattern with a burnt-in
// clock and encodes H.264 to RTP on a loopback UDP port; a minimal RTSP server (TCP
// interleaved transport) serves each feed at rtsp://127.0.0.1:<port>/demo/<n>. A feed with a
// sub stream is encoded a second time, smaller, by the same ffmpeg process (the picture is
// drawn once), and served at <path>/sub, as real cameras offer a main and a sub stream.
// It is a real RTSP server process-side: the camera ingest pulls it exactly as a real camera.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { moduleLogger } from '../logger.js';

const log = moduleLogger('demo:rtsp');

export interface SimulatedFeed {
  /** Path under the server, e.g. "/demo/1". */
  path: string;
  label: string;
  profile: 'baseline' | 'high';
  width: number;
  height: number;
  fps: number;
  /** Frames between IDRs. */
  gop: number;
  /** A second, smaller encoding served at `${path}/sub`. */
  sub?: { width: number; height: number };
}

/** One served stream: a feed's main encoding, or its sub stream. */
interface Feed {
  path: string;
  sdp?: string;
  socket?: dgram.Socket;
  clients: Set<net.Socket>;
}

/** One ffmpeg process and the streams it encodes (main, then sub). */
interface Encoder {
  spec: SimulatedFeed;
  streams: Feed[];
  proc?: ChildProcess;
}

const PDEATHSIG = process.platform === 'linux' && fs.existsSync('/usr/bin/setpriv');

function encoderArgs(f: SimulatedFeed, rtpPorts: number[]): string[] {
  const text = `${f.label}  %{localtime\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}`;
  const x264 = f.profile === 'high'
    ? ['-preset', 'veryfast', '-profile:v', 'high']
    : ['-preset', 'ultrafast', '-profile:v', 'baseline'];
  const encode = (kbps: number) => [
    '-c:v', 'libx264', ...x264, '-tune', 'zerolatency', '-g', String(f.gop), '-keyint_min', String(f.gop),
    '-sc_threshold', '0', '-bf', '0', '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`, '-pix_fmt', 'yuv420p',
  ];
  const drawn = `drawtext=text='${text}':fontsize=${Math.round(f.height / 14)}:fontcolor=white:box=1:boxcolor=black@0.6:x=12:y=12`;
  const rtp = (port: number) => ['-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}?pkt_size=1200`];
  const input = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${f.width}x${f.height}:rate=${f.fps}`];
  if (!f.sub) return [...input, '-vf', drawn, ...encode(900), ...rtp(rtpPorts[0]!)];
  return [
    ...input,
    '-filter_complex', `[0:v]${drawn},split=2[main][s];[s]scale=${f.sub.width}:${f.sub.height}[sub]`,
    '-map', '[main]', ...encode(900), ...rtp(rtpPorts[0]!),
    '-map', '[sub]', ...encode(250), ...rtp(rtpPorts[1]!),
  ];
}

/** The SDP ffmpeg prints for several RTP outputs, cut into one SDP per output (session part + its media). */
export function splitSdp(sdp: string): string[] {
  const lines = sdp.trim().split(/\r?\n/);
  const first = lines.findIndex((l) => l.startsWith('m='));
  const session = lines.slice(0, first);
  const out: string[] = [];
  for (let i = first; i < lines.length; i++) {
    if (lines[i]!.startsWith('m=')) out.push([...session, lines[i]!].join('\n'));
    else out[out.length - 1] += `\n${lines[i]}`;
  }
  return out.map((s) => `${s}\n`);
}

export class RtspSimulator {
  readonly #feeds = new Map<string, Feed>();
  readonly #encoders: Encoder[] = [];
  readonly #server: net.Server;
  /** Every client connection, playing or not: closing the server waits for them all. */
  readonly #sockets = new Set<net.Socket>();
  readonly #ffmpeg: string;
  #port = 0;
  #closed = false;

  private constructor(ffmpeg: string, feeds: SimulatedFeed[]) {
    this.#ffmpeg = ffmpeg;
    for (const spec of feeds) {
      const streams = [{ path: spec.path, clients: new Set<net.Socket>() }];
      if (spec.sub) streams.push({ path: `${spec.path}/sub`, clients: new Set() });
      for (const f of streams) this.#feeds.set(f.path, f);
      this.#encoders.push({ spec, streams });
    }
    this.#server = net.createServer((sock) => this.#serve(sock));
  }

  /** Starts the encoders and the RTSP server; `port` 0 picks a free one (falls back to 0 if taken). */
  static async start(ffmpeg: string, feeds: SimulatedFeed[], port = 0): Promise<RtspSimulator> {
    const sim = new RtspSimulator(ffmpeg, feeds);
    await Promise.all(sim.#encoders.map((e) => sim.#startEncoder(e)));
    sim.#port = await new Promise<number>((resolve, reject) => {
      const listen = (p: number) => {
        sim.#server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' && p !== 0 ? listen(0) : reject(err)));
        sim.#server.listen(p, '127.0.0.1', () => resolve((sim.#server.address() as net.AddressInfo).port));
      };
      listen(port);
    });
    log.info({ port: sim.#port, feeds: feeds.length }, 'demo RTSP cameras ready');
    return sim;
  }

  url(path: string): string {
    return `rtsp://127.0.0.1:${this.#port}${path}`;
  }

  async #openSocket(feed: Feed): Promise<number> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    feed.socket = socket;
    socket.on('message', (pkt) => {
      if (feed.clients.size === 0) return;
      const frame = Buffer.allocUnsafe(4 + pkt.length);
      frame[0] = 0x24; // '$'
      frame[1] = 0; // interleaved channel 0 (RTP)
      frame.writeUInt16BE(pkt.length, 2);
      pkt.copy(frame, 4);
      for (const c of feed.clients) if (c.writableLength < 2_000_000) c.write(frame);
    });
    return socket.address().port;
  }

  async #startEncoder(enc: Encoder): Promise<void> {
    const ports = await Promise.all(enc.streams.map((f) => this.#openSocket(f)));
    const args = encoderArgs(enc.spec, ports);
    const proc = PDEATHSIG
      ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'SIGKILL', '--', this.#ffmpeg, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(this.#ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    enc.proc = proc;
    const path = enc.spec.path;
    proc.stderr!.on('data', (d: Buffer) => log.warn({ feed: path, msg: String(d).trim().slice(0, 300) }, 'demo encoder'));
    proc.on('exit', (code, signal) => {
      if (!this.#closed) log.error({ feed: path, code, signal }, 'demo encoder exited');
    });
    // ffmpeg prints one SDP for all its RTP outputs: wait for every output's fmtp line.
    const sdp = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += String(d);
        if ((out.match(/a=fmtp:96[^\n]*\n/g) ?? []).length >= enc.streams.length) {
          proc.stdout!.off('data', onData);
          resolve(out.replace(/^SDP:\s*/, ''));
        }
      };
      proc.stdout!.on('data', onData);
      proc.once('exit', () => reject(new Error(`demo encoder for ${path} exited before its SDP`)));
    });
    splitSdp(sdp).forEach((part, i) => { enc.streams[i]!.sdp = part; });
  }

  #serve(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    let playing: Feed | undefined;
    let setupFeed: Feed | undefined;
    const session = Math.random().toString(16).slice(2, 10);
    sock.setNoDelay(true);
    this.#sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.#sockets.delete(sock);
      playing?.clients.delete(sock);
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length > 64 * 1024) return sock.destroy(); // no request is this large
        if (buf[0] === 0x24) { // interleaved RTCP from the client: skip it
          if (buf.length < 4) return;
          const len = buf.readUInt16BE(2);
          if (buf.length < 4 + len) return;
          buf = buf.subarray(4 + len);
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const bodyLen = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + bodyLen) return;
        buf = buf.subarray(end + 4 + bodyLen);
        const [method = '', uri = ''] = head.split('\r\n')[0]!.split(' ');
        const cseq = /\r\ncseq:\s*(\d+)/i.exec(head)?.[1] ?? '0';
        const reply = (status: string, headers: Record<string, string> = {}, body = '') => {
          const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, 'Server: giamsat-demo', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
          if (body) lines.push('Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`);
          sock.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
        };
        let feedPath = '';
        try {
          feedPath = new URL(uri).pathname.replace(/\/(trackID=\d+)?$/, '');
        } catch {
          // '*' or a malformed URI
        }
        const feed = this.#feeds.get(feedPath);
        switch (method) {
          case 'OPTIONS':
            reply('200 OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
            break;
          case 'DESCRIBE':
            if (!feed?.sdp) reply('404 Not Found');
            else reply('200 OK', { 'Content-Base': `${uri.replace(/\/$/, '')}/` }, sdpFor(feed.sdp));
            break;
          case 'SETUP': {
            const transport = /\r\ntransport:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '';
            if (!feed) reply('404 Not Found');
            else if (!/RTP\/AVP\/TCP/i.test(transport)) reply('461 Unsupported Transport');
            else {
              setupFeed = feed;
              reply('200 OK', { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', Session: `${session};timeout=60` });
            }
            break;
          }
          case 'PLAY':
            if (!setupFeed) reply('455 Method Not Valid in This State');
            else {
              playing = setupFeed;
              reply('200 OK', { Session: session, Range: 'npt=now-' });
              playing.clients.add(sock);
            }
            break;
          case 'GET_PARAMETER':
            reply('200 OK', { Session: session });
            break;
          case 'TEARDOWN':
            reply('200 OK', { Session: session });
            playing?.clients.delete(sock);
            sock.end();
            break;
          default:
            reply('501 Not Implemented');
        }
      }
    });
  }

  /** Stops the server and the encoders; resolves when the encoders have exited. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The clients' connections end first: server.close() waits for every one of them, and the
    // server's own camera streams (always-on monitoring) close after the demo site, so
    // waiting first hung the shutdown until its 10-second forced exit.
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const sock of this.#sockets) sock.destroy();
    for (const f of this.#feeds.values()) f.socket?.close();
    await closed;
    await Promise.all(this.#encoders.map(async (e) => {
      const p = e.proc;
      if (p && p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await exited;
      }
    }));
  }
}

/** The encoder's SDP with a control attribute per track, as RTSP clients expect. */
function sdpFor(encoderSdp: string): string {
  const lines = encoderSdp.trim().split(/\r?\n/).filter((l) => !l.startsWith('a=control'));
  const out: string[] = [];
  for (const line of lines) {
    out.push(line.startsWith('c=') ? 'c=IN IP4 0.0.0.0' : line);
    if (line.startsWith('m=video')) out.push('a=control:trackID=0');
  }
  return `${out.join('\r\n')}\r\n`;
}
