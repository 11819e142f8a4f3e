// Administration of access: grants and denies, revocations, account status, spot checks;
// each judged against the administrator's own scope, audited, and felt by open views at once
// (the decisions' caches are invalidated and the person's views re-checked).
import type { Role, ScopeType, UserStatus } from '../db/generated/enums.js';
import { AppError, ErrorCode } from '../errors.js';
import type { AuditLog } from '../audit/AuditLog.js';
import type { Place } from '../places/place.js';
import type { AccessRepository } from './access.repository.js';
import { decideAuthority, decideGrant, type Subject } from './policy.js';
import type { AccessService, Caller } from './AccessService.js';

export class AccessAdmin {
  readonly repo: AccessRepository;
  readonly #audit: AuditLog;
  readonly #decisions: AccessService;

  constructor(repo: AccessRepository, audit: AuditLog, decisions: AccessService) {
    this.repo = repo;
    this.#audit = audit;
    this.#decisions = decisions;
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
    this.#decisions.invalidate(req.userId);
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
    this.#decisions.invalidate(a.userId);
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
    this.#decisions.invalidate(userId);
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
    this.#decisions.invalidate(req.inspectorId);
    return s;
  }

  /** Ends a spot check early (same authority as opening it). */
  async cancelSpotCheck(caller: Caller, id: string, reason?: string): Promise<void> {
    const s = await this.repo.spotCheck(id);
    if (!s || s.cancelledAt) throw new AppError(ErrorCode.NotFound, 'no such spot check');
    if (!(await this.#spotCheckAuthority(caller, s.inspectorId, s.facilityId, s.cameraIds)).allow) throw new AppError(ErrorCode.NotFound, 'no such spot check');
    await this.repo.cancelSpotCheck(id);
    await this.#audit.append({ actorId: caller.userId, action: 'spotcheck.cancel', target: `user:${s.inspectorId}`, address: caller.address, details: { spotCheck: id, ...(reason ? { reason } : {}) } });
    this.#decisions.invalidate(s.inspectorId);
  }
}
