// The audit key: one secret kept outside the database (AUDIT_KEY, else DATA_DIR/audit.key),
// from which two keys are derived: the HMAC key that seals the chain, and an Ed25519 key that
// signs checkpoints of its head. The checkpoints' public key can be handed to an auditor who
// trusts neither the database nor the server (`npm run audit:verify -- --public-key`).
import { createPrivateKey, createPublicKey, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { readOrCreateSecretFile } from '../util/key-file.js';

// DER header of a PKCS#8 Ed25519 private key; the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function derive(secret: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}

export class AuditKey {
  /** Seals rows (HMAC-SHA-256). */
  readonly chainKey: Buffer;
  readonly #signing: KeyObject;
  /** Verifies checkpoints; not secret. */
  readonly publicKey: KeyObject;

  private constructor(secret: Buffer) {
    if (secret.length < 32) throw new Error('the audit key must hold at least 32 bytes (base64)');
    this.chainKey = derive(secret, 'giamsat audit chain v1');
    this.#signing = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, derive(secret, 'giamsat audit checkpoint v1')]), format: 'der', type: 'pkcs8' });
    this.publicKey = createPublicKey(this.#signing);
  }

  /** The configured key (base64), else the one generated once in the data directory. */
  static load(configured: string | undefined, dataDir: string): AuditKey {
    const text = configured ?? readOrCreateSecretFile(dataDir, 'audit.key', () => randomBytes(32).toString('base64'));
    return new AuditKey(Buffer.from(text, 'base64'));
  }

  /** A fresh key held in memory only (tests, benchmarks). */
  static ephemeral(): AuditKey {
    return new AuditKey(randomBytes(32));
  }

  sign(message: string): string {
    return sign(null, Buffer.from(message), this.#signing).toString('base64');
  }

  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
}

/** Checks a checkpoint signature with a public key (the server's own, or one an auditor was given). */
export function signatureValid(publicKey: KeyObject, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
