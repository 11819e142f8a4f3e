// The supervision page's way to its first picture, as performance marks (`giamsat:page:<phase>`,
// the first of each per page load): bench/latency.ts reads them to say where the time from
// navigation to the first decoded frame goes. The tile's own `giamsat:subscribe` mark stays.
export type PagePhase =
  /** GET /api/me answered (the page is the person's). */
  | 'me'
  /** The signaling socket is connected. */
  | 'connected'
  /** The router's capabilities are loaded into the device. */
  | 'device'
  /** The receive transport exists on the server. */
  | 'transport'
  /** The camera list arrived. */
  | 'cameras'
  /** The saved wall is laid out (its tiles subscribe). */
  | 'wall'
  /** The server answered the first consume. */
  | 'consumed'
  /** The receive transport is connected (ICE and DTLS done): media can flow. */
  | 'media'
  /** A tile rendered its first frame. */
  | 'first-frame';

const seen = new Set<PagePhase>();
const waiting = new Map<PagePhase, Array<() => void>>();

export function markPhase(phase: PagePhase): void {
  if (seen.has(phase)) return;
  seen.add(phase);
  performance.mark(`giamsat:page:${phase}`);
  for (const resolve of waiting.get(phase) ?? []) resolve();
  waiting.delete(phase);
}

/** Resolves once the page has reached `phase`, or after `atMostMs` (a wall that never gets there). */
export function phaseReached(phase: PagePhase, atMostMs: number): Promise<void> {
  if (seen.has(phase)) return Promise.resolve();
  return new Promise((resolve) => {
    waiting.set(phase, [...(waiting.get(phase) ?? []), resolve]);
    setTimeout(resolve, atMostMs);
  });
}
