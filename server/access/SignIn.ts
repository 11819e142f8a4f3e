// Sign-in and tokens: passwords (counted per account and address before they are checked),
// the second factor, refresh-token rotation with reuse detection, sign-out, own password
// change, and the connection a signaling socket holds (its sign-in and expiry).
import { randomUUID } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import { moduleLogger } from '../logger.js';
import type { AuditLog } from '../audit/AuditLog.js';
import { LocalRepeatThrottle, type RepeatThrottle } from '../util/repeat-throttle.js';
import type { SecretBox } from '../util/SecretBox.js';
import type { AccessRepository } from './access.repository.js';
import { checkPassword, hashPassword } from './passwords.js';
import { checkPasswordStrength } from './password-strength.js';
import { requiresSecondFactor } from './policy.js';
import type { RateCounters } from './rate-counters.js';
import { newTotpSecret, totpUri, verifyTotp } from './totp.js';
import { hashRefresh, type TokenService } from './tokens.js';
import { LOGIN_LIMITS, type AccessOptions, type Caller, type LoginResult, type TotpEnrollment } from './AccessService.js';

const log = moduleLogger('access');

export interface SignInDeps {
  repo: AccessRepository;
  tokens: TokenService;
  audit: AuditLog;
  box: SecretBox;
  counters: RateCounters;
  options: AccessOptions;
  /** A person's sign-ins changed (signed out, revoked, password changed): their connections are checked now. */
  onChanged(userId: string): void;
  /** Where throttled sign-ins are counted for their audit (this process when not given). */
  repeats?: RepeatThrottle;
}

export class SignIn {
  readonly repo: AccessRepository;
  readonly #tokens: TokenService;
  readonly #audit: AuditLog;
  readonly #box: SecretBox;
  readonly #counters: RateCounters;
  readonly #options: AccessOptions;
  readonly #onChanged: (userId: string) => void;
  /** Throttled sign-ins are audited once a minute per account and address, with the repeats counted. */
  readonly #throttledLogins: RepeatThrottle;

  constructor(d: SignInDeps) {
    this.repo = d.repo;
    this.#tokens = d.tokens;
    this.#audit = d.audit;
    this.#box = d.box;
    this.#counters = d.counters;
    this.#options = d.options;
    this.#onChanged = d.onChanged;
    this.#throttledLogins = d.repeats ?? new LocalRepeatThrottle();
  }

  // ---- login ----------------------------------------------------------------------------

  async login(username: string, password: string, address: string, totp?: string): Promise<LoginResult | TotpEnrollment> {
    // Every attempt is counted before its password is checked, and taken back at the end
    // unless it failed: the counts are of failures, but an attempt in flight holds its place,
    // so at most `perAccount` checks run for an account in a window however many arrive at
    // once. Refused attempts are taken back too: a flood against one account must not lock
    // out everyone else behind the same address.
    const keys = [`login:account:${username}`, `login:address:${address}`] as const;
    let failed = false;
    try {
      const [byAccount, byAddress] = await Promise.all(keys.map((k) => this.#counters.hit(k, LOGIN_LIMITS.windowMs)));
      if (byAccount! > LOGIN_LIMITS.perAccount || byAddress! > LOGIN_LIMITS.perAddress) {
        const repeats = await this.#throttledLogins.note(`${username}\n${address}`);
        if (repeats !== undefined) {
          await this.#audit.append({ action: 'login.throttled', target: `username:${username}`, address, ...(repeats > 0 ? { details: { repeatedUnrecorded: repeats } } : {}) });
        }
        throw new AppError(ErrorCode.TooManyRequests, 'too many failed logins; try again later');
      }
      return await this.#login(username, password, address, totp, () => (failed = true));
    } finally {
      if (!failed) await Promise.all(keys.map((k) => this.#counters.release(k))).catch((err: Error) => log.error({ err: err.message }, 'cannot release a sign-in count'));
    }
  }

  async #login(username: string, password: string, address: string, totp: string | undefined, counted: () => void): Promise<LoginResult | TotpEnrollment> {
    const user = await this.repo.userByUsername(username);
    const ok = await checkPassword(password, user?.passwordHash);
    const fail = async (reason: string) => {
      counted();
      await this.#audit.append({ action: 'login.failure', target: `username:${username}`, address, details: { reason } });
      // The same answer whether the name, the password, the code or the status was wrong.
      return new AppError(ErrorCode.Unauthenticated, 'wrong username, password or code, or the account is not active');
    };
    if (!user || !ok) throw await fail('bad credentials');
    if (user.status !== 'ACTIVE') throw await fail(`account ${user.status.toLowerCase()}`);

    const subject = await this.repo.subject(user.id);
    if (this.#options.totp === 'required' && subject && requiresSecondFactor(subject, new Date())) {
      if (!user.totpSecretEnc) {
        // First sign-in of a role that needs a second factor: enrol before any session exists.
        const secret = newTotpSecret();
        return { totpEnrollment: { enrollmentToken: this.#tokens.issueEnrollment(user.id, secret), secret, uri: totpUri(secret, user.username) } };
      }
      if (!totp) throw new AppError(ErrorCode.TotpRequired, 'enter the 6-digit code from your authenticator app');
      const step = verifyTotp(this.#box.open(user.totpSecretEnc), totp);
      if (step === undefined || !(await this.repo.useTotpStep(user.id, step))) throw await fail('bad or reused second-factor code');
    }
    return this.#signedIn(user, address);
  }

  /** Completes a TOTP enrolment started by `login` with the first code from the app. */
  async enrollTotp(enrollmentToken: string, code: string, address: string): Promise<LoginResult> {
    const { userId, totpSecret } = this.#tokens.verifyEnrollment(enrollmentToken);
    const user = await this.repo.userById(userId);
    if (!user || user.status !== 'ACTIVE') throw new AppError(ErrorCode.Unauthenticated, 'account not active');
    if (user.totpSecretEnc) throw new AppError(ErrorCode.Conflict, 'a second factor is already enrolled; sign in with it');
    const step = verifyTotp(totpSecret, code);
    if (step === undefined || !(await this.repo.useTotpStep(user.id, step, this.#box.seal(totpSecret)))) {
      await this.#audit.append({ action: 'login.failure', target: `username:${user.username}`, address, details: { reason: 'bad enrolment code' } });
      throw new AppError(ErrorCode.Unauthenticated, 'wrong code; check the time on your device and try again');
    }
    await this.#audit.append({ actorId: user.id, action: 'totp.enroll', target: `user:${user.id}`, address });
    return this.#signedIn(user, address);
  }

  async #signedIn(user: { id: string; username: string; fullName: string }, address: string): Promise<LoginResult> {
    const result = await this.#issue(user.id);
    await this.#audit.append({ actorId: user.id, action: 'login.success', target: `user:${user.id}`, address });
    return { ...result, user: { id: user.id, username: user.username, fullName: user.fullName } };
  }

  async refresh(refreshToken: string, address: string): Promise<Omit<LoginResult, 'user'>> {
    const rotated = await this.repo.rotateRefresh(hashRefresh(refreshToken));
    if (rotated && 'reused' in rotated) {
      // A token exchanged before came back: two parties hold the session (one stole it). End
      // it for both; the person signs in again. Access tokens already issued run out on their own (minutes).
      const { userId, familyId } = rotated.reused;
      const revoked = await this.repo.revokeFamily(familyId);
      await this.#audit.append({ actorId: userId, action: 'token.reuse', target: `user:${userId}`, address, details: { family: familyId, revoked } });
      this.#onChanged(userId);
    }
    const row = rotated && 'valid' in rotated ? rotated.valid : undefined;
    const user = row ? await this.repo.userById(row.userId) : null;
    if (!row || !user || user.status !== 'ACTIVE') throw new AppError(ErrorCode.Unauthenticated, 'invalid or expired refresh token');
    const result = await this.#issue(user.id, row.familyId);
    await this.#audit.append({ actorId: user.id, action: 'token.refresh', target: `user:${user.id}`, address });
    return result;
  }

  /**
   * A person changes their own password: the current one is checked (counted like a sign-in,
   * so a stolen session cannot guess it), the new one must be strong, and every other session
   * of theirs but this one ends.
   */
  async changePassword(caller: Caller, current: string, next: string, refreshToken?: string): Promise<void> {
    const user = await this.repo.userById(caller.userId);
    if (!user || user.status !== 'ACTIVE') throw new AppError(ErrorCode.Unauthenticated, 'account not active');
    const key = `login:account:${user.username}`;
    if (await this.#counters.hit(key, LOGIN_LIMITS.windowMs) > LOGIN_LIMITS.perAccount) {
      await this.#counters.release(key);
      throw new AppError(ErrorCode.TooManyRequests, 'too many failed attempts; try again later');
    }
    if (!(await checkPassword(current, user.passwordHash))) {
      await this.#audit.append({ actorId: user.id, action: 'login.failure', target: `username:${user.username}`, address: caller.address, details: { reason: 'wrong current password at password change' } });
      throw new AppError(ErrorCode.BadRequest, 'current password: wrong password', { field: 'current' });
    }
    await this.#counters.release(key);
    checkPasswordStrength(next, user);
    // The session the change is made from stays signed in (when the page names it).
    const own = refreshToken ? await this.repo.refreshFamily(hashRefresh(refreshToken), user.id) : undefined;
    await this.repo.setPassword(user.id, await hashPassword(next), own);
    await this.#audit.append({ actorId: user.id, action: 'password.change', target: `user:${user.id}`, address: caller.address });
    this.#onChanged(user.id);
  }

  async logout(refreshToken: string, address: string): Promise<void> {
    const row = await this.repo.consumeRefresh(hashRefresh(refreshToken));
    if (!row) return;
    await this.#audit.append({ actorId: row.userId, action: 'logout', target: `user:${row.userId}`, address });
    // Its open connections end now (and on other nodes at their next session check).
    this.#onChanged(row.userId);
  }

  /** A new access token and refresh token; the refresh token continues `familyId` or starts a family (a sign-in). */
  async #issue(userId: string, familyId: string = randomUUID()) {
    const refresh = this.#tokens.newRefresh();
    await this.repo.storeRefresh(userId, refresh.hash, refresh.expiresAt, familyId);
    return { accessToken: this.#tokens.issueAccess(userId, familyId), refreshToken: refresh.token, expiresIn: this.#tokens.options.accessTtlSeconds };
  }

  /** The active person behind an access token (HTTP and socket handshakes). */
  async caller(token: string | undefined): Promise<{ userId: string; fullName: string; username: string }> {
    if (!token) throw new AppError(ErrorCode.Unauthenticated, 'sign in first');
    const userId = this.#tokens.verifyAccess(token);
    const user = await this.repo.userById(userId);
    if (!user || user.status !== 'ACTIVE') throw new AppError(ErrorCode.Unauthenticated, 'account not active');
    return { userId, fullName: user.fullName, username: user.username };
  }

  // ---- decisions (ViewAccess) ---------------------------------------------------------------

  /**
   * The person and sign-in behind a signaling connection's token, and when the connection
   * must end unless renewed; Unauthenticated for a signed-out sign-in.
   */
  async connection(token: string | undefined): Promise<{ userId: string; fullName: string; sessionId?: string; validUntil: number }> {
    if (!token) throw new AppError(ErrorCode.Unauthenticated, 'sign in first');
    // The token is checked before anything is read; then the person and the sign-in are read
    // at once, not one after the other: the handshake is on every page's way to its picture.
    const { sessionId, expiresAt } = this.#tokens.accessClaims(token);
    const live = sessionId ? this.repo.liveFamilies([sessionId]) : Promise.resolve(undefined);
    live.catch(() => undefined); // read below, unless the person's check has failed first
    const { userId, fullName } = await this.caller(token);
    if (sessionId && !(await live)!.has(sessionId)) throw new AppError(ErrorCode.Unauthenticated, 'signed out');
    return { userId, fullName, ...(sessionId ? { sessionId } : {}), validUntil: expiresAt };
  }

  /** A fresh token for an open connection: its expiry, if it is of the same person and sign-in and both are live. */
  async renewConnection(userId: string, sessionId: string | undefined, token: string): Promise<number> {
    const claims = this.#tokens.accessClaims(token);
    // Another person's token, or another sign-in's, never extends this connection.
    if (claims.userId !== userId || (sessionId !== undefined && claims.sessionId !== sessionId)) throw new AppError(ErrorCode.Unauthenticated, 'the token is of another sign-in');
    const live = claims.sessionId ? (await this.repo.liveFamilies([claims.sessionId])).has(claims.sessionId) : true;
    if (!live || (await this.repo.userById(userId))?.status !== 'ACTIVE') throw new AppError(ErrorCode.Unauthenticated, 'signed out');
    return claims.expiresAt;
  }

  /** Of these sign-ins, the ones still live (not signed out, revoked or expired). */
  liveSessions(sessionIds: string[]): Promise<Set<string>> {
    return this.repo.liveFamilies(sessionIds);
  }
}
