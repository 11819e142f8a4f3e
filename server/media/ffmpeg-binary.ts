// Finds the ffmpeg binary in a fixed order and says which one was used:
// explicit config/FFMPEG_PATH, then the ffmpeg-static package if it installed, then PATH.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface FfmpegBinary {
  path: string;
  source: 'config' | 'ffmpeg-static' | 'PATH';
  version: string;
}

function versionOf(bin: string): string | undefined {
  const r = spawnSync(bin, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) return undefined;
  return /ffmpeg version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

function fromStaticPackage(): string | undefined {
  try {
    const p = createRequire(import.meta.url)('ffmpeg-static') as string | null;
    return p && fs.existsSync(p) ? p : undefined;
  } catch {
    return undefined; // optional dependency, absent where its download failed
  }
}

/** The absolute path of an executable named `name` on PATH (so readiness can check that very file). */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Resolves ffmpeg or throws with what was tried. */
export function resolveFfmpeg(explicit?: string): FfmpegBinary {
  const tried: string[] = [];
  const candidates: Array<[string | undefined, FfmpegBinary['source']]> = [
    [explicit, 'config'],
    [fromStaticPackage(), 'ffmpeg-static'],
    [onPath('ffmpeg'), 'PATH'],
  ];
  for (const [bin, source] of candidates) {
    if (!bin) {
      if (source === 'PATH') tried.push('PATH: none found');
      continue;
    }
    const version = versionOf(bin);
    if (version) return { path: bin, source, version };
    tried.push(`${source}: ${bin}`);
    if (source === 'config') break; // an explicit choice that fails is an error, not a hint
  }
  throw new Error(`no runnable ffmpeg (tried ${tried.join(', ')}); install ffmpeg or set FFMPEG_PATH`);
}
