// Synthetic RTSP cameras for the demo site: ffmpeg draws a test pattern with a burnt-in
// clock and encodes H.264 to RTP on a loopback UDP port; a minimal RTSP server (TCP
// interleaved transport) serves each feed at rtsp://127.0.0.1:<port>/demo/<n>.
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
}

interface Feed extends SimulatedFeed {
  sdp?: string;
  proc?: ChildProcess;
  socket?: dgram.Socket;
  clients: Set<net.Socket>;
}

const PDEATHSIG = process.platform === 'linux' && fs.existsSync('/usr/bin/setpriv');

function encoderArgs(f: SimulatedFeed, rtpPort: number): string[] {
  const text = `${f.label}  %{localtime\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}`;
  const x264 = f.profile === 'high'
    ? ['-preset', 'veryfast', '-profile:v', 'high']
    : ['-preset', 'ultrafast', '-profile:v', 'baseline'];
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${f.width}x${f.height}:rate=${f.fps}`,
    '-vf', `drawtext=text='${text}':fontsize=${Math.round(f.height / 14)}:fontcolor=white:box=1:boxcolor=black@0.6:x=12:y=12`,
    '-c:v', 'libx264', ...x264, '-tune', 'zerolatency', '-g', String(f.gop), '-keyint_min', String(f.gop),
    '-sc_threshold', '0', '-bf', '0', '-b:v', '900k', '-maxrate', '900k', '-bufsize', '900k', '-pix_fmt', 'yuv420p',
    '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${rtpPort}?pkt_size=1200`,
  ];
}

export class RtspSimulator {
  readonly #feeds = new Map<string, Feed>();
  readonly #server: net.Server;
  readonly #ffmpeg: string;
  #port = 0;
  #closed = false;

  private constructor(ffmpeg: string, feeds: SimulatedFeed[]) {
    this.#ffmpeg = ffmpeg;
    for (const f of feeds) this.#feeds.set(f.path, { ...f, clients: new Set() });
    this.#server = net.createServer((sock) => this.#serve(sock));
  }

  /** Starts the encoders and the RTSP server; `port` 0 picks a free one (falls back to 0 if taken). */
  static async start(ffmpeg: string, feeds: SimulatedFeed[], port = 0): Promise<RtspSimulator> {
    const sim = new RtspSimulator(ffmpeg, feeds);
    await Promise.all([...sim.#feeds.values()].map((f) => sim.#startFeed(f)));
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

  async #startFeed(feed: Feed): Promise<void> {
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
    const args = encoderArgs(feed, socket.address().port);
    const proc = PDEATHSIG
      ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'SIGKILL', '--', this.#ffmpeg, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(this.#ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    feed.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => log.warn({ feed: feed.path, msg: String(d).trim().slice(0, 300) }, 'demo encoder'));
    proc.on('exit', (code, signal) => {
      if (!this.#closed) log.error({ feed: feed.path, code, signal }, 'demo encoder exited');
    });
    feed.sdp = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += String(d);
        if (/a=rtpmap:96[^\n]*\n[\s\S]*a=fmtp:96[^\n]*\n/.test(out)) {
          proc.stdout!.off('data', onData);
          resolve(out.replace(/^SDP:\s*/, ''));
        }
      };
      proc.stdout!.on('data', onData);
      proc.once('exit', () => reject(new Error(`demo encoder for ${feed.path} exited before its SDP`)));
    });
  }

  #serve(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    let playing: Feed | undefined;
    let setupFeed: Feed | undefined;
    const session = Math.random().toString(16).slice(2, 10);
    sock.setNoDelay(true);
    sock.on('error', () => undefined);
    sock.on('close', () => playing?.clients.delete(sock));
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
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const f of this.#feeds.values()) for (const c of f.clients) c.destroy();
    await Promise.all([...this.#feeds.values()].map(async (f) => {
      f.socket?.close();
      const p = f.proc;
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
