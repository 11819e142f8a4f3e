// Listeners added together and removed together: one list of (emitter, event, listener), so the
// unwiring can never miss one that the wiring added.
type Listener = (...args: never[]) => void;
interface Emitter {
  on(event: string, fn: Listener): unknown;
  off(event: string, fn: Listener): unknown;
}

/** Adds every listener; returns the function that removes them all. */
export function wire(wiring: ReadonlyArray<readonly [Emitter, string, Listener]>): () => void {
  for (const [emitter, event, fn] of wiring) emitter.on(event, fn);
  return () => {
    for (const [emitter, event, fn] of wiring) emitter.off(event, fn);
  };
}
