// Authenticated encryption (AES-256-GCM) for secrets at rest, such as camera URLs that
// carry credentials. Format: "v1.<iv>.<tag>.<ciphertext>" (base64url parts).
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readOrCreateSecretFile } from './key-file.js';

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new TypeError('SecretBox key must be 32 bytes');
    this.#key = key;
  }

  /**
   * The key from configuration (base64), else from `<dataDir>/credentials.key`, created
   * with mode 0600 on first use.
   */
  static load(configured: string | undefined, dataDir: string): SecretBox {
    if (configured) {
      const key = Buffer.from(configured, 'base64');
      if (key.length !== 32) throw new Error('CREDENTIALS_KEY must be 32 bytes, base64-encoded');
      return new SecretBox(key);
    }
    return SecretBox.load(readOrCreateSecretFile(dataDir, 'credentials.key', () => randomBytes(32).toString('base64')), dataDir);
  }

  /**
   * A fingerprint of the key that reveals nothing of it: nodes of one cluster compare theirs, so
   * a node with another key refuses to join rather than failing later to open a camera's URL.
   */
  fingerprint(): string {
    return createHmac('sha256', this.#key).update('giamsat key fingerprint').digest('hex').slice(0, 32);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
