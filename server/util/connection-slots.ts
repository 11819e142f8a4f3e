// How many signaling connections one account holds at once, against a cap. The port is here
// because two rooms meet on it: signaling takes and gives back slots, and the cluster keeps the
// count on Redis so that the cap holds across nodes, not per node. Alone, a node counts its own.

export interface ConnectionSlots {
  /** Takes a slot for the connection; false when the account is at the cap. */
  hold(accountId: string, connectionId: string): Promise<boolean>;
  /** Gives the slot back; idempotent, never throws. */
  release(accountId: string, connectionId: string): void;
}

/** The count in this process: one node alone. */
export class LocalConnectionSlots implements ConnectionSlots {
  readonly #cap: number;
  readonly #held = new Map<string, Set<string>>();

  constructor(cap: number) {
    this.#cap = cap;
  }

  /** Decided without awaiting anything: connections arriving together are counted one after another. */
  async hold(accountId: string, connectionId: string): Promise<boolean> {
    const held = this.#held.get(accountId) ?? new Set<string>();
    if (held.has(connectionId)) return true;
    if (held.size >= this.#cap) return false;
    held.add(connectionId);
    this.#held.set(accountId, held);
    return true;
  }

  release(accountId: string, connectionId: string): void {
    const held = this.#held.get(accountId);
    if (!held?.delete(connectionId)) return;
    if (held.size === 0) this.#held.delete(accountId);
  }
}
