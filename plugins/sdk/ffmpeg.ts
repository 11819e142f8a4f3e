// Helpers for plugins that read a stream tap with ffmpeg in a child process (CPU-heavy work
// stays out of the server's process): a free RTP port pair to receive on, the SDP file, and
// a run of ffmpeg that ends with the plugin's abort signal or a time limit.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';

/** An even UDP port on 127.0.0.1 whose next port is free too (RTP and RTCP), free right now. */
export async function freeRtpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => a.once('error', reject).bind(0, '127.0.0.1', resolve));
    const port = a.address().port;
    a.close();
    if (port % 2 !== 0 || port > 65534) continue;
    const b = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      b.once('error', () => resolve(false));
      b.bind(port + 1, '127.0.0.1', () => resolve(true));
    });
    b.close();
    if (free) return port;
  }
  throw new Error('no free RTP port pair');
}

/** Writes `sdp` next to `file` and returns the arguments that make ffmpeg read it. */
export function sdpInput(sdp: string, file: string): string[] {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, sdp);
  return ['-protocol_whitelist', 'file,udp,rtp', '-reorder_queue_size', '0', '-i', file];
}

export interface FfmpegRun {
  proc: ChildProcess;
  /** Resolves when ffmpeg exits: its exit code and the end of its error output. */
  done: Promise<{ code: number | null; stderr: string }>;
}

/** Starts ffmpeg; killed when `signal` aborts or after `timeoutMs` (if given). */
export function runFfmpeg(ffmpegPath: string, args: string[], opts: { signal?: AbortSignal; timeoutMs?: number; stdout?: 'pipe' | 'ignore'; env?: Record<string, string> } = {}): FfmpegRun {
  const proc = spawn(ffmpegPath, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
    stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'],
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const kill = () => proc.kill('SIGKILL');
  opts.signal?.addEventListener('abort', kill, { once: true });
  const timer = opts.timeoutMs ? setTimeout(kill, opts.timeoutMs) : undefined;
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    proc.once('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
      resolve({ code, stderr: stderr.trim() });
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stderr: err.message });
    });
  });
  return { proc, done };
}
