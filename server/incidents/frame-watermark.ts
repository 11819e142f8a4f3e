// Burns the exporter's identity into an incident frame before it leaves the system in an
// export, as the screen does over every live picture: a picture cut out of a PDF or a
// spreadsheet still names who exported it and when. ffmpeg's drawtext does the drawing
// (the same binary the ingest uses), with a font that has Vietnamese glyphs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Gate } from '../util/Gate.js';

/** Longest an image may take (a stuck ffmpeg must not hold an export). */
const TIMEOUT_MS = 10_000;
/** Largest output accepted (an incident frame is at most 1.5 MB in). */
const MAX_OUT = 8 * 1024 * 1024;

/** ffmpeg runs at once for all exports together: parallel export requests queue, never fan out. */
const MAX_RUNNING = 2;
const gate = new Gate(MAX_RUNNING);

/** Escapes a path for a filter argument (':' and '\'' and '\\' are special there). */
const filterPath = (p: string) => p.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/'/g, "\\'");

/**
 * The JPEG `image` with `text` drawn over it three times (top left, middle, bottom right),
 * semi-transparent with a dark outline so it reads on any picture. Rejects when ffmpeg fails
 * or the image is not one. At most MAX_RUNNING ffmpeg processes run, whoever asks.
 */
export function burnWatermark(ffmpeg: string, fontFile: string, image: Buffer, text: string): Promise<Buffer> {
  return gate.run(() => mark(ffmpeg, fontFile, image, text));
}

async function mark(ffmpeg: string, fontFile: string, image: Buffer, text: string): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-mark-'));
  try {
    // The text goes through a file: no escaping of a person's name inside filter syntax.
    const textFile = path.join(dir, 'mark.txt');
    fs.writeFileSync(textFile, text);
    const draw = (x: string, y: string) => `drawtext=fontfile='${filterPath(fontFile)}':textfile='${filterPath(textFile)}':fontsize=max(12\\,h/22):fontcolor=white@0.55:borderw=2:bordercolor=black@0.45:x=${x}:y=${y}`;
    const vf = [draw('w*0.04', 'h*0.08'), draw('(w-text_w)/2', '(h-text_h)/2'), draw('w*0.96-text_w', 'h*0.88-text_h')].join(',');
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'image2pipe', '-i', 'pipe:0', '-vf', vf, '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1'];
    return await new Promise<Buffer>((resolve, reject) => {
      const proc = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let size = 0;
      let err = '';
      const timer = setTimeout(() => proc.kill('SIGKILL'), TIMEOUT_MS);
      proc.stdout.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_OUT) proc.kill('SIGKILL');
        else out.push(c);
      });
      proc.stderr.on('data', (c: Buffer) => { if (err.length < 2000) err += String(c); });
      proc.stdin.on('error', () => undefined); // ffmpeg may exit before reading all of a bad image
      proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      proc.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0 && size > 0 && size <= MAX_OUT) resolve(Buffer.concat(out));
        else reject(new Error(`watermarking the frame failed (${code ?? 'killed'}): ${err.trim().slice(0, 300)}`));
      });
      proc.stdin.end(image);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
