// Starts a real RTSP camera (GStreamer's gst-rtsp-server, tests/support/rtsp-camera.py) and
// returns its URL. The process prints READY once it accepts clients: no sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rtsp-camera.py');

export interface CameraOptions {
  codec?: 'h264' | 'h265' | 'mjpeg';
  profile?: 'baseline' | 'main' | 'high';
  width?: number;
  height?: number;
  fps?: number;
  gop?: number;
  kbps?: number;
  path?: string;
  port?: number;
  /** The address to listen on (default 127.0.0.1), e.g. a bridge's for nodes in network namespaces. */
  address?: string;
  /** A videotestsrc pattern, or 'timecode': the capture wall-clock burnt in as blocks (bench/). */
  pattern?: string;
  /** SPS/PPS in-band too (default: only in the SDP, like many cameras). */
  inband?: boolean;
  /** H.265: VPS/SPS/PPS only in the SDP (default: in-band too, as the transcoding tests were written against). */
  sdpOnlyParameterSets?: boolean;
  /** Never honour keyframe requests (IDRs only every `gop` frames), like many cheap cameras. */
  ignoreKeyframeRequests?: boolean;
  /**
   * Over RTSP/TCP, wait for a slow client instead of dropping what its socket cannot take yet
   * (gst-rtsp-server drops beyond 100 queued messages by default, as a camera with a small
   * buffer does). With it, any packet a node reports lost is the node's own doing.
   */
  holdBacklog?: boolean;
  /** RTSP session timeout in seconds (a client that sends nothing is dropped after it). */
  sessionTimeout?: number;
  /** Require credentials (user/password below; defaults viewer / s3cret). */
  auth?: 'basic' | 'digest';
  /** Also serve a minimal ONVIF device (Device + Media services) for this stream. */
  onvif?: boolean;
  onvifPort?: number;
  /** The ONVIF device's clock is this many seconds off (its digest check follows it). */
  onvifClockOffset?: number;
  user?: string;
  password?: string;
}

export interface TestCamera {
  readonly url: string;
  /** The ONVIF device service URL (with `onvif: true`). */
  readonly onvifUrl: string | undefined;
  /** SetSynchronizationPoint calls the ONVIF device served, by profile token. */
  readonly syncPoints: readonly string[];
  readonly port: number;
  readonly proc: ChildProcess;
  /** Kills the camera process (SIGKILL by default) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the camera again on the same port and path. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The camera drops every RTSP session at once (its process keeps running). */
  dropClients(): void;
  /** Open RTSP connections right now, as the camera reports them. */
  readonly clients: number;
  /** Resolves once the camera reports `n` open RTSP connections. */
  waitForClients(n: number, timeoutMs?: number): Promise<void>;
  /** The most RTSP sessions it has had open at once. */
  readonly mostClients: number;
}

function launch(opts: CameraOptions, onClients: (n: number) => void, onSync: (token: string) => void): Promise<{ proc: ChildProcess; url: string; onvifUrl?: string }> {
  const args = [SCRIPT];
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined || v === false) continue;
    args.push(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (v !== true) args.push(String(v));
  }
  const proc = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  let onvifUrl: string | undefined;
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error(`camera did not start: ${stderr}`)), 15_000);
    rl.on('line', (line) => {
      const c = /^CLIENTS (\d+)/.exec(line);
      if (c) onClients(Number(c[1]));
      const sync = /^SYNC (\S+)/.exec(line);
      if (sync) onSync(sync[1]!);
      onvifUrl = /^ONVIF (\S+)/.exec(line)?.[1] ?? onvifUrl;
      const m = /^READY (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, ...(onvifUrl ? { onvifUrl } : {}) });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`camera exited (${code}) before READY: ${stderr}`));
    });
  });
}

const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

export async function startCamera(opts: CameraOptions = {}): Promise<TestCamera> {
  const clients = new EventEmitter();
  let open = 0;
  let most = 0;
  const onClients = (n: number) => { open = n; most = Math.max(most, n); clients.emit('change', n); };
  const syncPoints: string[] = [];
  const onSync = (token: string) => syncPoints.push(token);
  let current = await launch(opts, onClients, onSync);
  const port = Number(new URL(current.url).port);
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const p = current.proc;
    if (exited(p)) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await done;
  };
  return {
    get url() { return current.url; },
    get onvifUrl() { return current.onvifUrl; },
    syncPoints,
    port,
    get proc() { return current.proc; },
    kill,
    async restart() {
      await kill();
      onClients(0);
      // The port can linger for a moment after a kill; retry binding briefly.
      for (let i = 0; ; i++) {
        try {
          current = await launch({ ...opts, port, ...(current.onvifUrl ? { onvifPort: Number(new URL(current.onvifUrl).port) } : {}) }, onClients, onSync);
          return;
        } catch (err) {
          if (i >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    stop: () => kill('SIGTERM'),
    dropClients() { current.proc.kill('SIGUSR1'); },
    get clients() { return open; },
    get mostClients() { return most; },
    waitForClients(n: number, timeoutMs = 10_000) {
      if (open === n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { clients.off('change', on); reject(new Error(`camera has ${open} RTSP clients, expected ${n}`)); }, timeoutMs);
        const on = (v: number) => { if (v === n) { clearTimeout(timer); clients.off('change', on); resolve(); } };
        clients.on('change', on);
      });
    },
  };
}
