// One ffmpeg process pulling one camera over RTSP and sending RTP to a mediasoup
// PlainTransport. It reports what it learns (input codec, RTP description, frame progress)
// and why it ended; it never restarts itself (CameraStream decides that).
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import readline from 'node:readline';
import { inputVideoCodec } from './ffmpeg-sdp.js';
import { parseVideoSdp } from './sdp.js';
import type { Ingest, IngestEvents, IngestTarget } from './Ingest.js';
import { redactUrl } from '../util/redact.js';

export interface FfmpegIngestOptions extends IngestTarget {
  ffmpegPath: string;
  /** Camera RTSP URL (may contain credentials: never logged as is). */
  url: string;
  /** Re-encode to H.264 Constrained Baseline instead of copying. */
  transcode: boolean;
  /** RTP interleaved over the RTSP connection (default) or over UDP. */
  transport?: 'tcp' | 'udp';
  /** RTSP socket I/O timeout. */
  ioTimeoutMs?: number;
}

const PDEATHSIG = process.platform === 'linux' && fs.existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

/** Builds ffmpeg's argument list (exported for tests and docs). */
export function ffmpegArgs(o: FfmpegIngestOptions): string[] {
  const target =
    `rtp://127.0.0.1:${o.rtpPort}?rtcpport=${o.rtcpPort}` +
    `&localrtpport=${o.localRtpPort}&localrtcpport=${o.localRtcpPort}&pkt_size=1200`;
  const video = o.transcode
    ? [
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
        '-pix_fmt', 'yuv420p', '-g', '50', '-bf', '0', '-b:v', '2500k', '-maxrate', '2500k', '-bufsize', '1250k',
        '-x264-params', 'repeat-headers=1',
      ]
    // Cameras often announce SPS/PPS only in their SDP; dump_extra writes them in-band
    // before every keyframe, which a browser joining mid-stream needs. -copyinkf: by default a
    // stream copy drops everything before the first keyframe, so on a camera with a long GOP
    // (40 s is common) the run counted no frames and the stall watchdog restarted it before
    // its first IDR, again and again. Viewers still start at a keyframe (the SFU waits for one).
    : ['-c:v', 'copy', '-copyinkf', '-bsf:v', 'dump_extra'];
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    '-fflags', 'nobuffer', '-flags', 'low_delay',
    '-rtsp_transport', o.transport ?? 'tcp', '-timeout', String((o.ioTimeoutMs ?? 5000) * 1000),
    '-i', o.url,
    '-map', '0:v:0', '-an',
    ...video,
    '-f', 'rtp', '-ssrc', String(o.ssrc), '-payload_type', String(o.payloadType),
    '-progress', 'pipe:3', '-stats_period', '0.5',
    target,
  ];
}

/** Maps ffmpeg's last words to a reason a person can act on. */
export function exitReason(lines: string[], code: number | null, signal: NodeJS.Signals | null): string {
  const text = lines.join('\n');
  const rules: Array<[RegExp, string | ((m: RegExpExecArray) => string)]> = [
    [/401 Unauthorized/i, 'camera refused the credentials (401 Unauthorized)'],
    [/404 Not Found/i, 'camera has no stream at that path (404 Not Found)'],
    [/(?:method \w+ failed|Server returned): (\d{3}[^\n]*)/i, (m) => `camera answered ${m[1]!.trim()}`],
    [/Connection refused/i, 'connection refused by the camera host'],
    [/Connection timed out|Operation timed out|timeout/i, 'camera did not answer in time'],
    [/Failed to resolve hostname|Name or service not known|Temporary failure in name resolution/i, 'camera host name does not resolve'],
    [/No route to host|Network is unreachable/i, 'camera host is unreachable'],
    [/Connection reset by peer|End of file|Broken pipe/i, 'camera closed the connection'],
    [/Invalid data found when processing input/i, 'camera sent data that is not a valid RTSP/RTP stream'],
    [/Protocol not found|Unsupported protocol/i, 'unsupported URL protocol'],
  ];
  for (const [re, out] of rules) {
    const m = re.exec(text);
    if (m) return typeof out === 'string' ? out : out(m);
  }
  if (signal) return `ingest process ended by ${signal}`;
  // ffmpeg ends cleanly when the camera closes the session or its stream ends.
  if (code === 0) return 'camera ended the stream';
  const last = [...lines].reverse().find((l) => l.trim().length > 0);
  return last ? `ingest process exited (${code}): ${last.trim().slice(0, 200)}` : `ingest process exited (${code})`;
}

/** A running ffmpeg ingest. Create with `FfmpegIngest.start()`. */
export class FfmpegIngest extends EventEmitter<IngestEvents> implements Ingest {
  readonly kind = 'ffmpeg';
  readonly #proc: ChildProcess;
  readonly #log: string[] = [];
  #stopRequested = false;
  #exited: Promise<void>;
  #sdp = '';

  private constructor(proc: ChildProcess) {
    super();
    this.#proc = proc;
    this.#exited = new Promise((resolve) => proc.once('close', () => resolve()));
  }

  /** Spawns ffmpeg; the child dies with this process (PR_SET_PDEATHSIG) where supported. */
  static start(options: FfmpegIngestOptions): FfmpegIngest {
    const args = ffmpegArgs(options);
    const proc = PDEATHSIG
      ? spawn(PDEATHSIG, ['--pdeathsig', 'SIGKILL', '--', options.ffmpegPath, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
      : spawn(options.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const ingest = new FfmpegIngest(proc);
    ingest.#wire(options.url);
    return ingest;
  }

  /** Process id (for fault-injection tests and ops). */
  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Recent log lines with credentials removed. */
  get recentLog(): readonly string[] {
    return this.#log;
  }

  #wire(url: string): void {
    const proc = this.#proc;
    // stdout: the SDP ffmpeg prints for its RTP output ("SDP:" then the session).
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      this.#sdp += chunk;
      const desc = parseVideoSdp(this.#sdp);
      if (desc && /\n\s*$/.test(this.#sdp) && this.#sdp.includes('a=rtpmap')) {
        this.#sdp = '';
        this.emit('rtp', desc);
      }
    });
    // stderr: the log, for the input codec and the reason of an exit. Stream lines after
    // "Output #0" describe what we send (h264 when transcoding), not what the camera sends.
    let inInputSection = false;
    readline.createInterface({ input: proc.stderr! }).on('line', (raw) => {
      const line = redactUrl(raw, url);
      this.#log.push(line);
      if (this.#log.length > 40) this.#log.shift();
      if (line.startsWith('Input #')) inInputSection = true;
      else if (line.startsWith('Output #') || line.startsWith('Stream mapping')) inInputSection = false;
      const input = inInputSection ? inputVideoCodec(line) : undefined;
      if (input) this.emit('input', input);
    });
    // fd 3: -progress key=value blocks.
    let frames = 0;
    let bytes = 0;
    readline.createInterface({ input: proc.stdio[3] as NodeJS.ReadableStream }).on('line', (line) => {
      const eq = line.indexOf('=');
      if (eq < 0) return;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === 'frame') frames = Number(value) || 0;
      else if (key === 'total_size') bytes = Number(value) || 0;
      else if (key === 'progress') this.emit('progress', { frames, bytes });
    });
    proc.on('error', (err) => {
      this.#log.push(`spawn failed: ${err.message}`);
    });
    proc.once('close', (code, signal) => {
      this.emit('exit', {
        code,
        signal,
        reason: this.#stopRequested ? 'stopped' : exitReason(this.#log.slice(-12), code, signal),
        requested: this.#stopRequested,
      });
    });
  }

  /** Asks ffmpeg to quit, then kills it; resolves once the process is gone. Idempotent. */
  async stop(graceMs = 1500): Promise<void> {
    this.#stopRequested = true;
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) {
      this.#proc.kill('SIGTERM');
      const timer = setTimeout(() => this.#proc.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#exited;
  }
}
