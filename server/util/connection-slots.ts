// How many signaling connections one account holds at once, against a cap. The port is here
// because two rooms meet on it: signaling takes and gives back slots, and the cluster keeps the
// count on Redis so that the cap holds across nodes, not per node. Alone, a node counts its own.

export interface ConnectionSlots {
  /** Takes a slot for the connection; false when the account is at the cap. */
  hold(accountId: string, connectionId: string): Promise<boolean>;
  /** Gives the slot back; idempotent, never throws. */
  release(accountId: string, connectionId: string): void;
  close(): Promise<void>;
}

/** The count in this process: one node alone, or a cluster's node while Redis is away. */
export class LocalConnectionSlots implements ConnectionSlots {
  readonly #cap: number;
  readonly #held = new Map<string, Set<string>>();

  constructor(cap: number) {
    this.#cap = cap;
  }

  /** Synchronous at heart: connections arriving together are counted one after another. */
  holdNow(accountId: string, connectionId: string): boolean {
    const held = this.#held.get(accountId) ?? new Set<string>();
    if (held.has(connectionId)) return true;
    if (held.size >= this.#cap) return false;
    held.add(connectionId);
    this.#held.set(accountId, held);
    return true;
  }

  async hold(accountId: string, connectionId: string): Promise<boolean> {
    return this.holdNow(accountId, connectionId);
  }

  release(accountId: string, connectionId: string): void {
    const held = this.#held.get(accountId);
    if (!held?.delete(connectionId)) return;
    if (held.size === 0) this.#held.delete(accountId);
  }

  has(accountId: string, connectionId: string): boolean {
    return this.#held.get(accountId)?.has(connectionId) ?? false;
  }

  /** The connections held, by account. */
  entries(): IterableIterator<[string, ReadonlySet<string>]> {
    return this.#held.entries();
  }

  async close(): Promise<void> {
    this.#held.clear();
  }
}
