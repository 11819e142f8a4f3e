// Accounts in use: login and tokens, the live decision for every view (implementing the
// signaling's ViewAccess port), and the changes that take access away. Decisions read the
// database through a per-person cache that every change through this service invalidates;
// time limits (assignment expiry, spot-check end) are evaluated at decision time, so a
// cached person still loses access the moment a limit passes.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CameraSummary } from '../cameras/CameraRegistry.js';
import type { Role, ScopeType, UserStatus } from '../db/generated/enums.js';
import { AppError, ErrorCode } from '../errors.js';
import { moduleLogger } from '../logger.js';
import type { AuditLog } from '../audit/AuditLog.js';
import type { HandshakeInfo, ViewAccess, Viewer } from '../signaling/access-port.js';
import type { ViewEvent } from '../signaling/ViewerSession.js';
import { AccessRepository } from './access.repository.js';
import { checkPassword, hashPassword } from './passwords.js';
import { checkPasswordStrength } from './password-strength.js';
import { decideAuthority, decideDuty, decideGrant, decideView, holdsDuty, holdsRoleAt, isActive, pagesFor, requiresSecondFactor, roleFitsOrganization, roleFitsScope, type Subject } from './policy.js';
import type { DutyScope, Place } from '../places/place.js';
import type { Duty } from './roles.js';
import { newTotpSecret, totpUri, verifyTotp } from './totp.js';
import { RepeatThrottle } from '../util/RepeatThrottle.js';
import type { RateCounters } from './rate-counters.js';
import type { SecretBox } from '../util/SecretBox.js';
import { hashRefresh, type TokenService } from './tokens.js';

const log = moduleLogger('access');

/**
 * Sign-in attempts that may fail within a window, per account and per client address
 * (counted in the database, in-flight attempts included, so parallel attempts cannot pass).
 */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perAccount: 5, perAddress: 20 } as const;
/** How long a cached person or camera place is trusted without a change through this node. */
export const CACHE_TTL_MS = 2000;
/**
 * How long the index of every camera's place (set decisions: lists, trees, walls) is trusted
 * without a change through this node. A view itself is always decided on the camera's own,
 * fresher place (CACHE_TTL_MS).
 */
export const PLACE_INDEX_TTL_MS = 10_000;

export interface LoginResult {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; username: string; fullName: string };
}

/** Answer to a password check when the second factor still has to be enrolled. */
export interface TotpEnrollment {
  totpEnrollment: { enrollmentToken: string; secret: string; uri: string };
}

export interface AccessOptions {
  totp: 'required' | 'off';
}

export interface AccessServiceEvents {
  /** A person's access may have shrunk: their open views must be re-checked now. */
  /** A person's access changed ('*': everyone's, after places moved). */
  changed: [userId: string];
}

/** Who is calling the API, and from where (for the audit trail). */
export interface Caller {
  userId: string;
  address: string;
}

export class AccessService extends EventEmitter<AccessServiceEvents> implements ViewAccess {
  readonly repo: AccessRepository;
  readonly #tokens: TokenService;
  readonly #audit: AuditLog;
  readonly #subjects = new Map<string, { value: Promise<Subject | undefined>; at: number }>();
  readonly #places = new Map<string, { value: Promise<Place | undefined>; at: number }>();
  #placeIndex: { value: Promise<Map<string, Place>>; at: number } | undefined;
  /** Refused views are audited once per person and camera a minute, with the repeats counted. */
  readonly #denials = new RepeatThrottle();
  /** Throttled sign-ins are audited once a minute per account and address, with the repeats counted. */
  readonly #throttledLogins = new RepeatThrottle();
  readonly #counters: RateCounters;
  /** consumerId -> ViewSession id, for closing the right row. */
  readonly #views = new Map<string, Promise<string | undefined>>();

  readonly #box: SecretBox;
  readonly #options: AccessOptions;

  constructor(repo: AccessRepository, tokens: TokenService, audit: AuditLog, box: SecretBox, counters: RateCounters, options: AccessOptions) {
    super();
    this.repo = repo;
    this.#counters = counters;
    this.#tokens = tokens;
    this.#audit = audit;
    this.#box = box;
    this.#options = options;
  }

  get tokens(): TokenService {
    return this.#tokens;
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
        const repeats = this.#throttledLogins.note(`${username}\n${address}`);
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
      this.emit('changed', userId);
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
    this.emit('changed', user.id);
  }

  async logout(refreshToken: string, address: string): Promise<void> {
    const row = await this.repo.consumeRefresh(hashRefresh(refreshToken));
    if (!row) return;
    await this.#audit.append({ actorId: row.userId, action: 'logout', target: `user:${row.userId}`, address });
    // Its open connections end now (and on other nodes at their next session check).
    this.emit('changed', row.userId);
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

  async authenticate(h: HandshakeInfo): Promise<Viewer> {
    const { userId, fullName } = await this.caller(h.token);
    const { sessionId, expiresAt } = this.#tokens.accessClaims(h.token!);
    if (sessionId && !(await this.repo.liveFamilies([sessionId])).has(sessionId)) throw new AppError(ErrorCode.Unauthenticated, 'signed out');
    return { id: userId, displayName: fullName, address: h.address, userAgent: h.userAgent, ...(sessionId ? { sessionId } : {}), validUntil: expiresAt };
  }

  async renew(viewer: Viewer, token: string): Promise<number> {
    const { userId, sessionId, expiresAt } = this.#tokens.accessClaims(token);
    // Another person's token, or another sign-in's, never extends this connection.
    if (userId !== viewer.id || (viewer.sessionId !== undefined && sessionId !== viewer.sessionId)) throw new AppError(ErrorCode.Unauthenticated, 'the token is of another sign-in');
    const live = sessionId ? (await this.repo.liveFamilies([sessionId])).has(sessionId) : true;
    if (!live || !(await this.isActive(viewer))) throw new AppError(ErrorCode.Unauthenticated, 'signed out');
    return expiresAt;
  }

  liveSessions(sessionIds: string[]): Promise<Set<string>> {
    return this.repo.liveFamilies(sessionIds);
  }

  subject(userId: string): Promise<Subject | undefined> {
    return cached(this.#subjects, userId, () => this.repo.subject(userId));
  }

  placeOfCamera(cameraId: string): Promise<Place | undefined> {
    return cached(this.#places, cameraId, () => this.repo.placeOfCamera(cameraId));
  }

  async #mayView(userId: string, cameraId: string) {
    const [subject, place] = await Promise.all([this.subject(userId), this.placeOfCamera(cameraId)]);
    if (!subject || !place) return { allow: false as const, reason: 'no-grant' as const };
    return decideView(subject, place, new Date());
  }

  async authorizeView(viewer: Viewer, cameraId: string, _stream?: 'main' | 'sub', purpose?: string): Promise<void> {
    const d = await this.#mayView(viewer.id, cameraId);
    if (d.allow) return;
    const repeated = this.#denials.note(`${viewer.id}:${cameraId}`);
    if (repeated !== undefined) {
      const details = { reason: d.reason, ...(purpose ? { purpose } : {}), ...(repeated > 0 ? { repeatedUnrecorded: repeated } : {}) };
      this.#audit.record({ actorId: viewer.id, action: 'access.denied', target: `camera:${cameraId}`, address: viewer.address, details });
    }
    // "Not allowed" looks exactly like "not found".
    throw new AppError(ErrorCode.NotFound, 'no such camera');
  }

  /** May this person watch the camera now (for rooms other than signaling: incidents). */
  /** Is a live DENY over this camera (a person's own material on it is hidden from them too)? */
  async deniedOn(userId: string, cameraId: string): Promise<boolean> {
    const d = await this.#mayView(userId, cameraId);
    return !d.allow && d.reason === 'denied';
  }

  async canView(userId: string, cameraId: string): Promise<boolean> {
    return (await this.#mayView(userId, cameraId)).allow;
  }

  async isActive(viewer: Viewer): Promise<boolean> {
    return (await this.repo.userById(viewer.id))?.status === 'ACTIVE';
  }

  async mayStillView(viewer: Viewer, cameraId: string): Promise<boolean> {
    return this.canView(viewer.id, cameraId);
  }

  async visibleCameras(viewer: Viewer, cameras: CameraSummary[]): Promise<CameraSummary[]> {
    const allowed = await this.visibleSet(viewer.id, cameras.map((c) => c.id));
    return cameras.filter((c) => allowed.has(c.id));
  }

  /**
   * The one set decision: of `cameraIds` (every camera when absent), those the person may
   * watch now. One read of the person and the place index, then the policy in memory.
   */
  async visibleSet(userId: string, cameraIds?: Iterable<string>): Promise<Set<string>> {
    const [subject, places] = await Promise.all([this.subject(userId), this.#cameraPlaces()]);
    const out = new Set<string>();
    if (!subject || subject.status !== 'ACTIVE') return out;
    const now = new Date();
    // Without rules naming single cameras, cameras of one facility share one answer: decided
    // once per facility (5k) instead of once per camera (20k).
    const perCamera = subject.assignments.some((a) => a.scopeType === 'CAMERA') || subject.spotChecks.some((c) => c.cameraIds.length > 0);
    const byFacility = new Map<string, boolean>();
    for (const id of cameraIds ?? places.keys()) {
      const place = places.get(id);
      if (!place) continue;
      let allow: boolean | undefined;
      if (!perCamera && place.facilityId) {
        allow = byFacility.get(place.facilityId);
        if (allow === undefined) byFacility.set(place.facilityId, (allow = decideView(subject, place, now).allow));
      } else {
        allow = decideView(subject, place, now).allow;
      }
      if (allow) out.add(id);
    }
    return out;
  }

  #cameraPlaces(): Promise<Map<string, Place>> {
    const now = Date.now();
    if (this.#placeIndex && now - this.#placeIndex.at < PLACE_INDEX_TTL_MS) return this.#placeIndex.value;
    const value = this.repo.cameraPlaces();
    const entry = { value, at: now };
    this.#placeIndex = entry;
    value.catch(() => { if (this.#placeIndex === entry) this.#placeIndex = undefined; });
    return value;
  }

  /** The wall is theirs: a live viewing role, or the inspector's (who watch through spot checks). */
  async mayWatchAnything(viewer: Viewer): Promise<boolean> {
    const subject = await this.subject(viewer.id);
    return subject !== undefined && pagesFor(subject, new Date()).pages.includes('wall');
  }

  /** Records view starts and ends (ViewSession rows and audit entries). */
  recordView(e: ViewEvent): void {
    if (e.type === 'start') {
      const id = this.repo.startView({ userId: e.viewer.id, cameraId: e.cameraId, stream: e.stream, address: e.viewer.address, userAgent: e.viewer.userAgent })
        .then((r) => r.id, (err: Error) => {
          log.error({ err: err.message }, 'cannot record view start');
          return undefined;
        });
      this.#views.set(e.consumerId, id);
      this.#audit.record({ actorId: e.viewer.id, action: 'view.start', target: `camera:${e.cameraId}`, address: e.viewer.address, details: { stream: e.stream, consumer: e.consumerId } });
      return;
    }
    const pending = this.#views.get(e.consumerId);
    this.#views.delete(e.consumerId);
    void pending?.then(async (id) => {
      if (id) await this.repo.endView(id, e.reason ?? 'closed');
    }).catch((err: Error) => log.error({ err: err.message }, 'cannot record view end'));
    const action = e.reason === 'access revoked' ? 'view.revoked' : 'view.end';
    this.#audit.record({ actorId: e.viewer.id, action, target: `camera:${e.cameraId}`, address: e.viewer.address, details: { stream: e.stream, consumer: e.consumerId, reason: e.reason ?? 'closed' } });
  }

  // ---- changes --------------------------------------------------------------------------------

  /** Forgets cached data of a person (or a camera's place) and has open views re-checked. */
  invalidate(userId: string): void {
    this.#subjects.delete(userId);
    this.emit('changed', userId);
  }

  invalidateCamera(cameraId: string): void {
    this.#places.delete(cameraId);
    this.#placeIndex = undefined;
  }

  /** Units or facilities moved: every cached camera place is stale, and open views are checked again. */
  placesChanged(): void {
    this.#places.clear();
    this.#placeIndex = undefined;
    this.#subjects.clear();
    this.emit('changed', '*');
  }

  /** Is the person an active scope administrator over `place` ({} = the nation)? */
  async administers(userId: string, place: Place): Promise<boolean> {
    return (await this.authorityOf(userId)).administers(place);
  }

  /** A facility's place (and whether it is retired), for administration; undefined for unknown ids. */
  placeOfFacility(facilityId: string): Promise<(Place & { retired: boolean }) | undefined> {
    return this.repo.placeOfFacility(facilityId);
  }

  /** Does the person administer cameras anywhere (a live scope administrator or installer role)? */
  async administersCameras(userId: string): Promise<boolean> {
    const subject = await this.repo.subject(userId);
    const now = new Date();
    return subject !== undefined && subject.status === 'ACTIVE'
      && subject.assignments.some((a) => isActive(a, now) && a.effect === 'ALLOW' && (a.role === 'SCOPE_ADMIN' || a.role === 'INSTALLER'));
  }

  /** The person's standing over places (administrator, installer), read once for many places. */
  async authorityOf(userId: string): Promise<{ administers(place: Place): boolean; installs(place: Place): boolean }> {
    const subject = await this.repo.subject(userId);
    const now = new Date();
    return {
      administers: (place) => subject !== undefined && decideAuthority(subject, place, now).allow,
      installs: (place) => subject !== undefined && holdsRoleAt(subject, 'INSTALLER', place, now),
    };
  }

  async #granter(actorId: string): Promise<Subject> {
    const s = await this.repo.subject(actorId);
    if (!s) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    return s;
  }

  async #scopePlace(scopeType: ScopeType, scopeId: string | null): Promise<Place> {
    const place = await this.repo.placeOfScope(scopeType, scopeId);
    if (!place) throw new AppError(ErrorCode.NotFound, `no such ${scopeType.toLowerCase()}`);
    return place;
  }

  /** Grants a role (or a deny) inside the granter's own scope. */
  async grant(caller: Caller, { reason, ...req }: { userId: string; role: Role; scopeType: ScopeType; scopeId: string | null; effect: 'ALLOW' | 'DENY'; expiresAt: Date | null; reason?: string }) {
    const [granter, place, target] = await Promise.all([this.#granter(caller.userId), this.#scopePlace(req.scopeType, req.scopeId), this.repo.userById(req.userId)]);
    if (!target) throw new AppError(ErrorCode.NotFound, 'no such user');
    const d = decideGrant(granter, req, place, new Date());
    if (!d.allow) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `user:${req.userId}`, address: caller.address, details: { attempted: 'grant', role: req.role, scopeType: req.scopeType, scopeId: req.scopeId, reason: d.reason } });
      throw new AppError(ErrorCode.Forbidden, `not allowed to grant this (${d.reason})`);
    }
    const a = await this.repo.createAssignment({ ...req, grantedById: caller.userId });
    await this.#audit.append({ actorId: caller.userId, action: 'grant.create', target: `user:${req.userId}`, address: caller.address, details: { assignment: a.id, role: a.role, scopeType: a.scopeType, scopeId: a.scopeId, effect: a.effect, expiresAt: a.expiresAt?.toISOString() ?? null, ...(reason ? { reason } : {}) } });
    this.invalidate(req.userId);
    return a;
  }

  /** Revokes an assignment; the person's affected views stop within a second. */
  async revoke(caller: Caller, assignmentId: string, reason?: string): Promise<void> {
    const a = await this.repo.assignment(assignmentId);
    if (!a || a.revokedAt) throw new AppError(ErrorCode.NotFound, 'no such assignment');
    const [granter, place] = await Promise.all([this.#granter(caller.userId), this.#scopePlace(a.scopeType, a.scopeId)]);
    // Authority over the assignment's scope (its role need not fit: a deny may sit anywhere).
    const d = decideAuthority(granter, place, new Date(), a.userId);
    if (!d.allow) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `assignment:${a.id}`, address: caller.address, details: { attempted: 'revoke', reason: d.reason } });
      throw new AppError(ErrorCode.NotFound, 'no such assignment');
    }
    await this.repo.revokeAssignment(a.id, caller.userId);
    await this.#audit.append({ actorId: caller.userId, action: 'grant.revoke', target: `user:${a.userId}`, address: caller.address, details: { assignment: a.id, role: a.role, scopeType: a.scopeType, scopeId: a.scopeId, ...(reason ? { reason } : {}) } });
    this.invalidate(a.userId);
  }

  /**
   * Suspends, reactivates or revokes an account: the caller needs authority over every scope
   * the person holds, or over their organization's province when they hold none.
   */
  async setStatus(caller: Caller, userId: string, status: UserStatus, reason?: string): Promise<void> {
    const [granter, target] = await Promise.all([this.#granter(caller.userId), this.repo.subject(userId)]);
    if (!target) throw new AppError(ErrorCode.NotFound, 'no such user');
    const places = target.assignments.length
      ? await Promise.all(target.assignments.map((a) => this.#scopePlace(a.scopeType, a.scopeId)))
      : [await this.repo.organizationPlace(userId)];
    const now = new Date();
    if (!places.every((place) => decideAuthority(granter, place, now, userId).allow)) throw new AppError(ErrorCode.NotFound, 'no such user');
    await this.repo.setStatus(userId, status);
    if (status !== 'ACTIVE') await this.repo.revokeAllRefresh(userId);
    await this.#audit.append({ actorId: caller.userId, action: 'user.status', target: `user:${userId}`, address: caller.address, details: { status, ...(reason ? { reason } : {}) } });
    this.invalidate(userId);
  }

  /** Authority over every place a spot check names (its facility, its cameras). */
  async #spotCheckAuthority(caller: Caller, inspectorId: string, facilityId: string | null, cameraIds: string[]) {
    const granter = await this.#granter(caller.userId);
    const places = await Promise.all([
      ...(facilityId ? [this.#scopePlace('FACILITY', facilityId)] : []),
      ...cameraIds.map((id) => this.#scopePlace('CAMERA', id)),
    ]);
    const now = new Date();
    return places.map((place) => decideAuthority(granter, place, now, inspectorId)).find((d) => !d.allow) ?? { allow: true as const };
  }

  /** A time-limited grant of an inspector to a facility or cameras, by a scope admin over them. */
  async createSpotCheck(caller: Caller, req: { inspectorId: string; facilityId: string | null; cameraIds: string[]; startsAt: Date; endsAt: Date; reason: string }) {
    if (req.endsAt <= req.startsAt) throw new AppError(ErrorCode.BadRequest, 'a spot check must end after it starts');
    if (!req.facilityId && req.cameraIds.length === 0) throw new AppError(ErrorCode.BadRequest, 'a spot check needs a facility or cameras');
    const inspector = await this.repo.subject(req.inspectorId);
    if (!inspector) throw new AppError(ErrorCode.NotFound, 'no such user');
    const d = await this.#spotCheckAuthority(caller, req.inspectorId, req.facilityId, req.cameraIds);
    if (!d.allow) throw new AppError(ErrorCode.Forbidden, `not allowed to open a spot check there (${d.reason})`);
    const s = await this.repo.createSpotCheck({ ...req, createdById: caller.userId });
    await this.#audit.append({ actorId: caller.userId, action: 'spotcheck.create', target: `user:${req.inspectorId}`, address: caller.address, details: { spotCheck: s.id, facilityId: req.facilityId, cameraIds: req.cameraIds, startsAt: req.startsAt.toISOString(), endsAt: req.endsAt.toISOString() } });
    this.invalidate(req.inspectorId);
    return s;
  }

  /**
   * The places tree the caller may see: administrative units (as many levels as the list
   * has) > facility > cameras, holding only cameras the caller may watch now (and nothing else
   * of the hierarchy).
   */
  async placesTree(caller: Caller) {
    const subject = await this.subject(caller.userId);
    if (!subject) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    type Node = { id: string; name: string };
    type FacilityNode = Node & { kind: string; siteType: string | null; cameras: Node[] };
    type UnitNode = Node & { level: string; units: UnitNode[]; facilities: FacilityNode[] };
    const facilities = new Map<string, FacilityNode & { path: string[] }>();
    const unassigned: Node[] = [];
    // Decided on the place index first: only the visible cameras' names are read.
    const visible = await this.visibleSet(caller.userId);
    for (const c of await this.repo.camerasWithPlaces([...visible])) {
      const f = c.facility;
      if (!f) {
        unassigned.push({ id: c.id, name: c.name });
        continue;
      }
      const fn = facilities.get(f.id) ?? { id: f.id, name: f.name, kind: f.kind, siteType: f.siteType, cameras: [], path: f.unit.path };
      facilities.set(f.id, fn);
      fn.cameras.push({ id: c.id, name: c.name });
    }
    const unitRows = await this.repo.units([...new Set([...facilities.values()].flatMap((f) => f.path))]);
    const nodes = new Map<string, UnitNode>(unitRows.map((u) => [u.id, { id: u.id, name: u.name, level: u.level, units: [], facilities: [] }]));
    const top: UnitNode[] = [];
    for (const u of unitRows) {
      const parent = u.parentId ? nodes.get(u.parentId) : undefined;
      (parent ? parent.units : top).push(nodes.get(u.id)!);
    }
    for (const { path, ...f } of facilities.values()) nodes.get(path[path.length - 1]!)?.facilities.push(f);
    const byName = <T extends Node>(xs: T[]) => xs.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
    const sortDeep = (xs: UnitNode[]): UnitNode[] => byName(xs).map((u) => ({ ...u, units: sortDeep(u.units), facilities: byName(u.facilities) }));
    return { units: sortDeep(top), unassignedCameras: unassigned };
  }

  /** Ends a spot check early (same authority as opening it). */
  async cancelSpotCheck(caller: Caller, id: string, reason?: string): Promise<void> {
    const s = await this.repo.spotCheck(id);
    if (!s || s.cancelledAt) throw new AppError(ErrorCode.NotFound, 'no such spot check');
    if (!(await this.#spotCheckAuthority(caller, s.inspectorId, s.facilityId, s.cameraIds)).allow) throw new AppError(ErrorCode.NotFound, 'no such spot check');
    await this.repo.cancelSpotCheck(id);
    await this.#audit.append({ actorId: caller.userId, action: 'spotcheck.cancel', target: `user:${s.inspectorId}`, address: caller.address, details: { spotCheck: id, ...(reason ? { reason } : {}) } });
    this.invalidate(s.inspectorId);
  }

  /**
   * GET /api/me: the caller's own record for the client: who they are, their roles (with the scope's name
   * and state), the pages they may use and the one they land on, and, when no role is live,
   * whom to ask (the person who granted the latest one).
   */
  async profile(caller: Caller) {
    const [p, subject] = await Promise.all([this.repo.profile(caller.userId), this.subject(caller.userId)]);
    const now = new Date();
    const names = await this.repo.scopeNames(p.assignments.flatMap((a) => (a.scopeId ? [a.scopeId] : [])));
    const assignments = p.assignments.map(({ grantedBy: _g, ...a }) => ({
      ...a,
      scopeName: a.scopeId ? names.get(a.scopeId) ?? null : null,
      state: a.revokedAt ? 'revoked' as const : a.expiresAt && a.expiresAt <= now ? 'expired' as const : 'active' as const,
    }));
    const { pages, home, rolesEnded } = pagesFor(subject ?? { userId: p.id, status: p.status, assignments: [], spotChecks: [] }, now);
    const granter = p.assignments.find((a) => a.grantedBy)?.grantedBy;
    const contact = rolesEnded && granter
      ? { fullName: granter.fullName, position: granter.position, phone: granter.phone, email: granter.email, organization: granter.organization.name }
      : null;
    return { ...p, assignments, pages, home, rolesEnded, contact };
  }

  /**
   * The caller's saved video wall. Tiles holding a camera the caller may no longer watch come
   * back empty: a saved wall never tells that a camera exists.
   */
  async wall(caller: Caller): Promise<{ layout: number; tiles: Array<string | null>; updatedAt: Date | null }> {
    const saved = await this.repo.wall(caller.userId);
    if (!saved) return { layout: 4, tiles: [], updatedAt: null };
    const tiles = Array.isArray(saved.tiles) ? (saved.tiles as unknown[]) : [];
    const allowed = await this.visibleSet(caller.userId, tiles.filter((id): id is string => typeof id === 'string'));
    return { layout: saved.layout, tiles: tiles.map((id) => (typeof id === 'string' && allowed.has(id) ? id : null)), updatedAt: saved.updatedAt };
  }

  async saveWall(caller: Caller, wall: { layout: number; tiles: Array<string | null> }) {
    const saved = await this.repo.saveWall(caller.userId, wall.layout, wall.tiles);
    return { layout: saved.layout, tiles: saved.tiles as Array<string | null>, updatedAt: saved.updatedAt };
  }

  /**
   * The caller's spot checks that have not ended, with the cameras each opens (those the
   * caller may watch once it runs): what an inspector picks from, with the time left.
   */
  async spotChecks(caller: Caller) {
    const now = new Date();
    const rows = await this.repo.openSpotChecks(caller.userId, now);
    const cameras = await this.repo.camerasIn(rows.flatMap((s) => (s.facilityId ? [s.facilityId] : [])), rows.flatMap((s) => s.cameraIds));
    return rows.map((s) => ({
      id: s.id,
      facilityId: s.facilityId,
      facilityName: s.facility?.name ?? null,
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      reason: s.reason,
      cameraIds: cameras.filter((c) => s.cameraIds.includes(c.id) || (s.facilityId !== null && c.facilityId === s.facilityId)).map((c) => c.id),
    }));
  }

  /**
   * What the caller may see while performing `duty`: a predicate over places, and whether
   * they may see who watches (audit authority). NotFound for someone without the duty.
   */
  async dutyScope(caller: Caller, duty: Duty): Promise<DutyScope> {
    const subject = await this.subject(caller.userId);
    const now = new Date();
    if (!subject || !holdsDuty(subject, duty, now)) throw new AppError(ErrorCode.NotFound, 'no such route');
    return {
      covers: (place) => decideDuty(subject, duty, place, now),
      audits: (place) => decideAuthority(subject, place, now).allow,
    };
  }

  // ---- account requests ---------------------------------------------------------------------
}

/**
 * The cached promise for `key`, loading it once per `CACHE_TTL_MS`; a failed load is
 * forgotten. Changes made through this node invalidate at once; the TTL bounds how long a
 * change made on another node (sharing the database) goes unseen here.
 */
function cached<T>(cache: Map<string, { value: Promise<T>; at: number }>, key: string, load: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < CACHE_TTL_MS) return hit.value;
  const value = load();
  cache.set(key, { value, at: now });
  value.catch(() => cache.delete(key));
  return value;
}
