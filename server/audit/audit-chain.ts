// How one audit row is sealed to the row before it. Each row's seal is an HMAC-SHA-256,
// keyed with a key that lives outside the database (AuditKey), over the previous row's seal
// and the row's canonical content: whoever can write the table but does not hold the key
// cannot re-seal an edited row or a forged tail. Rows written before the chain was keyed
// carry a plain SHA-256 seal; the signed checkpoints say from which row on the key applies.
import { createHash, createHmac } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export interface ChainRow {
  seq: bigint;
  at: Date;
  actorId: string | null;
  action: string;
  target: string | null;
  address: string | null;
  details: unknown;
}

/** JSON with object keys sorted, so the seal does not depend on how jsonb stores them. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function body(r: ChainRow): string {
  return canonical([r.seq.toString(), r.at.toISOString(), r.actorId, r.action, r.target, r.address, r.details]);
}

/** The seal of a row in the keyed chain. */
export function rowSeal(chainKey: Buffer, prevHash: string, r: ChainRow): string {
  return createHmac('sha256', chainKey).update(prevHash).update('\n').update(body(r)).digest('hex');
}

/** The seal rows carried before the chain was keyed (anyone can compute it). */
export function plainRowHash(prevHash: string, r: ChainRow): string {
  return createHash('sha256').update(prevHash).update('\n').update(body(r)).digest('hex');
}
