// Uptime from recorded health transitions (CameraHealthEvent rows), and its roll-up from
// cameras to facilities, districts and provinces. Pure functions: the report's numbers are
// tested against scripted outages without a clock.
//
// What counts: a camera's main stream is UP while live, DOWN while connecting, stalled or
// offline; time it is idle (on-demand and nobody watching: not pulled, so nothing is known),
// restarting (a new run after a settings change or a person's restart: not the camera's doing),
// before its first record, or while the server was stopped ('unknown', written at shutdown)
// is UNMONITORED and left out of the percentage. uptime = up / (up + down).

export type RecordedState = 'idle' | 'connecting' | 'restarting' | 'live' | 'stalled' | 'offline' | 'unknown';

export interface Transition {
  cameraId: string;
  state: string;
  at: Date;
  reason?: string | null;
}

export interface UptimeFigures {
  upMs: number;
  downMs: number;
  unmonitoredMs: number;
  /** Times the stream went from up to down inside the period. */
  outages: number;
  /** Up and down time, as a fraction (0..1); null when nothing was monitored. */
  uptime: number | null;
}

const UP = new Set(['live']);
const DOWN = new Set(['connecting', 'stalled', 'offline']);

function kindOf(state: string | undefined): 'up' | 'down' | 'none' {
  if (state !== undefined && UP.has(state)) return 'up';
  if (state !== undefined && DOWN.has(state)) return 'down';
  return 'none';
}

function ratio(up: number, down: number): number | null {
  return up + down > 0 ? up / (up + down) : null;
}

/**
 * Uptime of one stream over [from, to), given the state it was in at `from` (the last
 * transition before it, if any) and its transitions inside the period in time order.
 */
export function streamUptime(initial: string | undefined, transitions: Array<{ state: string; at: Date }>, from: Date, to: Date): UptimeFigures {
  const f = { upMs: 0, downMs: 0, unmonitoredMs: 0, outages: 0 };
  let state = initial;
  let since = from.getTime();
  const end = to.getTime();
  const add = (until: number) => {
    const ms = Math.max(0, until - since);
    const k = kindOf(state);
    if (k === 'up') f.upMs += ms;
    else if (k === 'down') f.downMs += ms;
    else f.unmonitoredMs += ms;
  };
  for (const t of transitions) {
    if (t.at.getTime() >= end) break;
    const at = Math.max(t.at.getTime(), since);
    add(at);
    if (kindOf(state) === 'up' && kindOf(t.state) === 'down') f.outages++;
    state = t.state;
    since = at;
  }
  add(end);
  return { ...f, uptime: ratio(f.upMs, f.downMs) };
}

/** Sums the figures of several streams (a facility's cameras, a district's facilities). */
export function sumUptime(parts: UptimeFigures[]): UptimeFigures {
  const f = { upMs: 0, downMs: 0, unmonitoredMs: 0, outages: 0 };
  for (const p of parts) {
    f.upMs += p.upMs;
    f.downMs += p.downMs;
    f.unmonitoredMs += p.unmonitoredMs;
    f.outages += p.outages;
  }
  return { ...f, uptime: ratio(f.upMs, f.downMs) };
}
