// Account requests: an organization's focal point asks for accounts for named people, the
// authority over each requested scope decides, and an approved new account gets a one-time
// activation link that sets its password. A request never changes an existing account.
// Outside the caller's authority everything answers "not found", and every refusal is audited.
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/AuditLog.js';
import type { Role, ScopeType } from '../db/generated/enums.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Place } from '../places/place.js';
import type { AccessRepository } from './access.repository.js';
import type { Caller } from './AccessService.js';
import { hashPassword } from './passwords.js';
import { ACTIVATION_HOURS } from './PeopleAdmin.js';
import { decideGrant, holdsRoleAt, roleFitsOrganization, roleFitsScope, type Subject } from './policy.js';
import type { RateCounters } from './rate-counters.js';
import type { RequestsRepository } from './requests.repository.js';
import { hashRefresh } from './tokens.js';

/** Account requests one focal point may submit in an hour (a province's list is a few hundred at most). */
export const REQUEST_LIMIT = { windowMs: 3_600_000, perSubmitter: 300 } as const;

function newActivation(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefresh(token) };
}

export interface AccountRequestsDeps {
  repo: RequestsRepository;
  access: AccessRepository;
  audit: AuditLog;
  counters: RateCounters;
  /** A person's access changed (an approved role request): caches and open views follow. */
  onChanged: (userId: string) => void;
}

export class AccountRequests {
  readonly #repo: RequestsRepository;
  readonly #access: AccessRepository;
  readonly #audit: AuditLog;
  readonly #counters: RateCounters;
  readonly #onChanged: (userId: string) => void;

  constructor(deps: AccountRequestsDeps) {
    this.#repo = deps.repo;
    this.#access = deps.access;
    this.#audit = deps.audit;
    this.#counters = deps.counters;
    this.#onChanged = deps.onChanged;
  }

  async #subject(userId: string): Promise<Subject> {
    const s = await this.#access.subject(userId);
    if (!s) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    return s;
  }

  async #scopePlace(scopeType: ScopeType, scopeId: string | null): Promise<Place> {
    const place = await this.#access.placeOfScope(scopeType, scopeId);
    if (!place) throw new AppError(ErrorCode.NotFound, `no such ${scopeType.toLowerCase()}`);
    return place;
  }

  /**
   * An organization's focal point asks for an account for a named person: only a focal point
   * (FOCAL_POINT, named by a scope administrator), for their own organization, inside the
   * scope of that role, for a role people of that kind of organization hold at that scope.
   *
   * A request never touches an existing account: naming the username of an active account of
   * the same organization makes it a role request for that account (the person's record stays
   * as it is); any other taken username is refused, a suspended or revoked account included,
   * whose return is a scope administrator's decision on the account, not a request's.
   */
  async submitRequest(caller: Caller, req: { fullName: string; position: string; phone: string; email: string; username: string; role: Role; scopeType: ScopeType; scopeId: string | null }) {
    // Every attempt counts, refused ones too: the limit also bounds the audit records a
    // signed-in person can make by submitting what they may not.
    if (await this.#counters.hit(`requests:${caller.userId}`, REQUEST_LIMIT.windowMs) > REQUEST_LIMIT.perSubmitter) {
      throw new AppError(ErrorCode.TooManyRequests, `at most ${REQUEST_LIMIT.perSubmitter} account requests an hour; try again later`);
    }
    const [submitter, existing, subject] = await Promise.all([this.#access.userById(caller.userId), this.#access.userByUsername(req.username), this.#access.subject(caller.userId)]);
    if (!submitter || !subject) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    const place = await this.#scopePlace(req.scopeType, req.scopeId);
    if (!holdsRoleAt(subject, 'FOCAL_POINT', place, new Date())) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `username:${req.username}`, address: caller.address, details: { attempted: 'submit request', role: req.role, scopeType: req.scopeType, scopeId: req.scopeId, reason: 'not-focal-point-there' } });
      throw new AppError(ErrorCode.NotFound, 'account requests are submitted by a focal point of the organization, inside the scope they were named for');
    }
    if (req.role === 'FOCAL_POINT') throw new AppError(ErrorCode.BadRequest, 'focal points are named by a scope administrator, not requested');
    if (!roleFitsScope(req.role, req.scopeType)) throw new AppError(ErrorCode.BadRequest, `the role ${req.role} is not granted at scope ${req.scopeType}`);
    const org = await this.#access.organizationKind(submitter.organizationId);
    if (!org || !roleFitsOrganization(req.role, org.kind)) throw new AppError(ErrorCode.BadRequest, `people of this organization (${org?.kind ?? 'unknown kind'}) do not hold the role ${req.role}`);
    if (existing && (existing.organizationId !== submitter.organizationId || existing.status !== 'ACTIVE')) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `username:${req.username}`, address: caller.address, details: { attempted: 'request an existing account', status: existing.status, sameOrganization: existing.organizationId === submitter.organizationId } });
      throw new AppError(ErrorCode.Conflict, existing.organizationId === submitter.organizationId
        ? 'this username belongs to an account that is not active: a scope administrator decides on its return'
        : 'this username is taken: choose another');
    }
    const r = await this.#repo.createRequest({ ...req, organizationId: submitter.organizationId, submittedById: caller.userId, forUserId: existing?.id ?? null });
    await this.#audit.append({ actorId: caller.userId, action: 'request.submit', target: `request:${r.id}`, address: caller.address, details: { username: req.username, role: req.role, scopeType: req.scopeType, scopeId: req.scopeId, ...(existing ? { forUser: existing.id } : {}) } });
    return r;
  }

  /** Pending requests the caller has authority to decide. */
  async decidableRequests(caller: Caller) {
    const approver = await this.#subject(caller.userId);
    const out = [];
    for (const r of await this.#repo.pendingRequests()) {
      const place = await this.#access.placeOfScope(r.scopeType, r.scopeId);
      // A role request for the caller's own account is theirs to decide no more than their own request.
      const grant = { ...(r.forUserId ? { userId: r.forUserId } : {}), role: r.role, scopeType: r.scopeType, scopeId: r.scopeId };
      if (place && r.submittedById !== caller.userId && decideGrant(approver, grant, place, new Date()).allow) out.push(r);
    }
    return out;
  }

  async #decidable(caller: Caller, id: string) {
    const r = await this.#repo.request(id);
    if (!r || r.status !== 'PENDING') throw new AppError(ErrorCode.NotFound, 'no such pending request');
    const [approver, place, existing] = await Promise.all([this.#subject(caller.userId), this.#scopePlace(r.scopeType, r.scopeId), this.#access.userByUsername(r.username)]);
    const self = r.submittedById === caller.userId || existing?.id === caller.userId;
    const d = self ? { allow: false as const, reason: 'self' as const } : decideGrant(approver, { userId: existing?.id, role: r.role, scopeType: r.scopeType, scopeId: r.scopeId }, place, new Date());
    if (!d.allow) {
      await this.#audit.append({ actorId: caller.userId, action: 'access.denied', target: `request:${id}`, address: caller.address, details: { attempted: 'decide request', reason: d.reason } });
      throw new AppError(ErrorCode.NotFound, 'no such pending request');
    }
    return r;
  }

  /**
   * Approves: a new account is created with the role (and its one-time activation token is
   * returned), or a role request's role is added to its account. CONFLICT, with the request
   * left pending, when the username was taken meanwhile or the account is no longer active.
   */
  async approveRequest(caller: Caller, id: string, reason: string | null): Promise<{ userId: string; activationToken?: string }> {
    await this.#decidable(caller, id);
    const activation = newActivation();
    const done = await this.#repo.approveRequest(id, caller.userId, reason, { hash: activation.hash, expiresAt: new Date(Date.now() + ACTIVATION_HOURS * 3600_000) });
    if (!done) throw new AppError(ErrorCode.NotFound, 'no such pending request');
    if (done === 'taken') throw new AppError(ErrorCode.Conflict, 'this username was taken after the request was made: reject it, and the focal point asks again with another');
    if (done === 'inactive') throw new AppError(ErrorCode.Conflict, 'the account this role is for is no longer active: reject the request');
    await this.#audit.append({ actorId: caller.userId, action: 'request.approve', target: `user:${done.userId}`, address: caller.address, details: { request: id, newAccount: done.created, assignment: done.assignment.id, role: done.assignment.role, scopeType: done.assignment.scopeType, scopeId: done.assignment.scopeId } });
    this.#onChanged(done.userId);
    return done.created ? { userId: done.userId, activationToken: activation.token } : { userId: done.userId };
  }

  async rejectRequest(caller: Caller, id: string, reason: string): Promise<void> {
    await this.#decidable(caller, id);
    await this.#repo.rejectRequest(id, caller.userId, reason);
    await this.#audit.append({ actorId: caller.userId, action: 'request.reject', target: `request:${id}`, address: caller.address, details: { reason } });
  }

  /** The approved person sets their password with the one-time activation token. */
  async activate(token: string, password: string, address: string): Promise<void> {
    const userId = await this.#repo.activate(hashRefresh(token), await hashPassword(password));
    if (!userId) throw new AppError(ErrorCode.Unauthenticated, 'invalid or expired activation token');
    await this.#audit.append({ actorId: userId, action: 'account.activate', target: `user:${userId}`, address });
  }
}
