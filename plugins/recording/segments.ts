// The recording's files: one folder per camera, one fragmented-MP4 segment per file named by
// its start time in UTC (20210801T101500Z.mp4). A segment ends where the next one starts; the
// newest ends at its last write.
import fs from 'node:fs';
import path from 'node:path';

export interface Segment {
  cameraId: string;
  /** File name inside the camera's folder. */
  name: string;
  start: Date;
  end: Date;
  bytes: number;
}

const NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.mp4$/;

export function startOf(name: string): Date | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

export function isSegmentName(name: string): boolean {
  return NAME.test(name);
}

/** The segments of one camera in time order. */
export function segmentsOf(root: string, cameraId: string): Segment[] {
  const dir = path.join(root, cameraId);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter(isSegmentName).sort();
  } catch {
    return [];
  }
  const out: Segment[] = [];
  for (const [i, name] of names.entries()) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(path.join(dir, name));
    } catch {
      continue; // removed meanwhile (retention)
    }
    if (stat.size === 0) continue;
    const start = startOf(name)!;
    const next = names[i + 1] ? startOf(names[i + 1]!)! : undefined;
    out.push({ cameraId, name, start, end: next && next < stat.mtime ? next : stat.mtime, bytes: stat.size });
  }
  return out;
}

/** The name of a camera's newest segment (the one being written while it records): one listing, no stats. */
export function newestSegment(root: string, cameraId: string): string | undefined {
  try {
    return fs.readdirSync(path.join(root, cameraId)).filter(isSegmentName).sort().at(-1);
  } catch {
    return undefined;
  }
}

/**
 * One retention pass: the cameras being recorded keep their newest segment (ffmpeg writes
 * it); everything else goes by age, then oldest first down to the budget. Each folder is
 * listed once, however many segments it holds.
 */
export function retentionPass(root: string, recording: readonly string[], now: Date, maxAgeMs: number, maxBytes: number): Segment[] {
  const writing = new Set(recording.flatMap((id) => {
    const name = newestSegment(root, id);
    return name ? [`${id}/${name}`] : [];
  }));
  return applyRetention(root, now, maxAgeMs, maxBytes, (s) => writing.has(`${s.cameraId}/${s.name}`));
}

/** Segments overlapping [from, to). */
export function segmentsBetween(root: string, cameraId: string, from: Date, to: Date): Segment[] {
  return segmentsOf(root, cameraId).filter((s) => s.end > from && s.start < to);
}

/** Every camera folder's segments, oldest first (for retention). */
export function allSegments(root: string): Segment[] {
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'work').map((d) => d.name);
  } catch {
    return [];
  }
  return dirs.flatMap((id) => segmentsOf(root, id)).sort((a, b) => a.start.getTime() - b.start.getTime());
}

/**
 * Removes segments older than `maxAgeMs`, then the oldest until the total is within
 * `maxBytes`. `inUse` segments (being written) are kept. Returns what was removed.
 */
export function applyRetention(root: string, now: Date, maxAgeMs: number, maxBytes: number, inUse: (s: Segment) => boolean): Segment[] {
  const all = allSegments(root);
  const removed: Segment[] = [];
  let total = all.reduce((n, s) => n + s.bytes, 0);
  for (const s of all) {
    if (inUse(s)) continue;
    const tooOld = now.getTime() - s.end.getTime() > maxAgeMs;
    if (!tooOld && total <= maxBytes) continue;
    try {
      fs.rmSync(path.join(root, s.cameraId, s.name));
      total -= s.bytes;
      removed.push(s);
    } catch {
      // already gone
    }
  }
  return removed;
}
