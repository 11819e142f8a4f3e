// Short-lived access tokens (JWT, HS256 only: the algorithm is pinned, so "alg: none" and
// algorithm-confusion tokens are refused) and opaque refresh tokens (random, stored only
// as a sha256, rotated on every use, revocable).
import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError, ErrorCode } from '../errors.js';
import { readOrCreateSecretFile } from '../util/key-file.js';

export const ISSUER = 'giamsat';
export const AUDIENCE = 'giamsat-clients';
const ENROLL_AUDIENCE = 'giamsat-totp-enrollment';
const TICKET_AUDIENCE = 'giamsat-ticket';
const NODE_AUDIENCE = 'giamsat-node';

export interface TokenOptions {
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export class TokenService {
  readonly #secret: Buffer;
  readonly options: TokenOptions;

  constructor(secret: Buffer, options: TokenOptions) {
    if (secret.length < 32) throw new TypeError('token secret must be at least 32 bytes');
    this.#secret = secret;
    this.options = options;
  }

  /** The configured secret (base64), else `<dataDir>/token.key`, created with mode 0600. Every node of one deployment must share it. */
  static load(configured: string | undefined, dataDir: string, options: TokenOptions): TokenService {
    if (configured) return new TokenService(Buffer.from(configured, 'base64'), options);
    return new TokenService(Buffer.from(readOrCreateSecretFile(dataDir, 'token.key', () => randomBytes(48).toString('base64')), 'base64'), options);
  }

  /** An access token of one sign-in (`sessionId`: its refresh-token family). */
  issueAccess(userId: string, sessionId?: string): string {
    return jwt.sign(sessionId ? { sid: sessionId } : {}, this.#secret, {
      algorithm: 'HS256', subject: userId, issuer: ISSUER, audience: AUDIENCE,
      expiresIn: this.options.accessTtlSeconds, jwtid: randomBytes(9).toString('base64url'),
    });
  }

  /** The user id of a valid access token; Unauthenticated with the reason otherwise. */
  verifyAccess(token: string): string {
    return this.accessClaims(token).userId;
  }

  /** A valid access token's person, sign-in and expiry (ms since the epoch); Unauthenticated otherwise. */
  accessClaims(token: string): { userId: string; sessionId: string | undefined; expiresAt: number } {
    try {
      const claims = jwt.verify(token, this.#secret, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, clockTolerance: 5 });
      if (typeof claims !== 'object' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw new Error('no subject');
      return { userId: claims.sub, sessionId: typeof claims.sid === 'string' ? claims.sid : undefined, expiresAt: claims.exp * 1000 };
    } catch (err) {
      const reason = err instanceof jwt.TokenExpiredError ? 'token expired' : 'invalid token';
      throw new AppError(ErrorCode.Unauthenticated, reason);
    }
  }

  /**
   * A short-lived token that carries a TOTP secret being enrolled, after the password was
   * checked; its own audience, so it never works as an access token.
   */
  issueEnrollment(userId: string, totpSecret: string): string {
    return jwt.sign({ totp: totpSecret }, this.#secret, { algorithm: 'HS256', subject: userId, issuer: ISSUER, audience: ENROLL_AUDIENCE, expiresIn: 600 });
  }

  verifyEnrollment(token: string): { userId: string; totpSecret: string } {
    try {
      const claims = jwt.verify(token, this.#secret, { algorithms: ['HS256'], issuer: ISSUER, audience: ENROLL_AUDIENCE });
      if (typeof claims !== 'object' || typeof claims.sub !== 'string' || typeof claims.totp !== 'string') throw new Error('malformed');
      return { userId: claims.sub, totpSecret: claims.totp };
    } catch {
      throw new AppError(ErrorCode.Unauthenticated, 'invalid or expired enrollment; sign in again');
    }
  }

  /**
   * A short-lived signed ticket with plain claims, for URLs a browser loads without headers
   * (a recorded segment in <video src>). Its own audience: never an access token.
   */
  issueTicket(claims: Record<string, string>, ttlSeconds: number): string {
    return jwt.sign({ c: claims }, this.#secret, { algorithm: 'HS256', issuer: ISSUER, audience: TICKET_AUDIENCE, expiresIn: ttlSeconds });
  }

  /** The ticket's claims, or undefined when forged, expired or not a ticket. */
  verifyTicket(ticket: string): Record<string, string> | undefined {
    try {
      const claims = jwt.verify(ticket, this.#secret, { algorithms: ['HS256'], issuer: ISSUER, audience: TICKET_AUDIENCE });
      const c = typeof claims === 'object' ? (claims as { c?: unknown }).c : undefined;
      if (!c || typeof c !== 'object' || Object.values(c).some((v) => typeof v !== 'string')) return undefined;
      return c as Record<string, string>;
    } catch {
      return undefined;
    }
  }

  /**
   * A node's word to another node of the same cluster (a pipe asked for, hung up): every node
   * holds the one TOKEN_SECRET. Its own audience, never an access token; 30 s to live.
   */
  issueNodeToken(nodeId: string): string {
    return jwt.sign({}, this.#secret, { algorithm: 'HS256', issuer: ISSUER, subject: nodeId, audience: NODE_AUDIENCE, expiresIn: 30 });
  }

  /** The calling node's id, or undefined when forged, expired or not a node's token. */
  verifyNodeToken(token: string): string | undefined {
    try {
      const claims = jwt.verify(token, this.#secret, { algorithms: ['HS256'], issuer: ISSUER, audience: NODE_AUDIENCE, clockTolerance: 5 });
      const sub = typeof claims === 'object' ? claims.sub : undefined;
      return typeof sub === 'string' && sub.length > 0 && sub.length <= 100 ? sub : undefined;
    } catch {
      return undefined;
    }
  }

  /** A new refresh token and the hash to store. */
  newRefresh(): { token: string; hash: string; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefresh(token), expiresAt: new Date(Date.now() + this.options.refreshTtlSeconds * 1000) };
  }
}

export function hashRefresh(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
