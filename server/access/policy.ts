// The one place that decides who may watch what and who may grant what. Pure functions over
// plain data (a person's assignments and spot checks, a camera's place in the hierarchy), so
// the rules are tested exhaustively without a database and reused by every caller.
import type { Effect, OrganizationKind, Role, ScopeType, UserStatus } from '../db/generated/enums.js';
import type { Place } from '../places/place.js';
import { ROLE_RULES, SCOPE_RANK, type Duty } from './roles.js';


export interface Assignment {
  id: string;
  role: Role;
  scopeType: ScopeType;
  scopeId: string | null;
  effect: Effect;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface SpotGrant {
  id: string;
  facilityId: string | null;
  cameraIds: string[];
  startsAt: Date;
  endsAt: Date;
  cancelledAt: Date | null;
}

/** A person as the policy sees them: status, role assignments, spot checks. */
export interface Subject {
  userId: string;
  status: UserStatus;
  assignments: Assignment[];
  spotChecks: SpotGrant[];
}

export type Decision =
  | { allow: true; via: string; until?: Date }
  | { allow: false; reason: 'inactive-account' | 'denied' | 'no-grant' };

/** True when `place` lies inside the scope (scopeType, scopeId). */
export function inScope(scopeType: ScopeType, scopeId: string | null, place: Place): boolean {
  switch (scopeType) {
    case 'NATION': return true;
    case 'UNIT': return scopeId !== null && place.units !== undefined && place.units.includes(scopeId);
    case 'FACILITY': return scopeId !== null && place.facilityId === scopeId;
    case 'CAMERA': return scopeId !== null && place.cameraId === scopeId;
  }
}

export function isActive(a: Assignment, now: Date): boolean {
  return a.revokedAt === null && (a.expiresAt === null || a.expiresAt > now);
}

function spotActive(s: SpotGrant, now: Date): boolean {
  return s.cancelledAt === null && s.startsAt <= now && now < s.endsAt;
}

/** May `subject` watch the camera at `place` at time `now`? A deny never loses to an allow. */
export function decideView(subject: Subject, place: Place, now: Date): Decision {
  if (subject.status !== 'ACTIVE') return { allow: false, reason: 'inactive-account' };
  const live = subject.assignments.filter((a) => isActive(a, now));
  if (live.some((a) => a.effect === 'DENY' && inScope(a.scopeType, a.scopeId, place))) {
    return { allow: false, reason: 'denied' };
  }
  for (const a of live) {
    if (a.effect !== 'ALLOW') continue;
    const rule = ROLE_RULES[a.role];
    if (!rule.views || !inScope(a.scopeType, a.scopeId, place)) continue;
    if (rule.facilityKinds && (!place.facilityKind || !rule.facilityKinds.includes(place.facilityKind))) continue;
    return a.expiresAt ? { allow: true, via: `role:${a.id}`, until: a.expiresAt } : { allow: true, via: `role:${a.id}` };
  }
  // Spot checks count only while the person still holds an inspector role.
  if (live.some((a) => a.effect === 'ALLOW' && a.role === 'INSPECTOR')) {
    for (const s of subject.spotChecks) {
      if (!spotActive(s, now)) continue;
      const covers = (s.facilityId !== null && s.facilityId === place.facilityId) || (place.cameraId !== undefined && s.cameraIds.includes(place.cameraId));
      if (covers) return { allow: true, via: `spot-check:${s.id}`, until: s.endsAt };
    }
  }
  return { allow: false, reason: 'no-grant' };
}

export interface GrantRequest {
  /** Who receives the role (undefined for an account that does not exist yet). */
  userId?: string;
  role: Role;
  scopeType: ScopeType;
  scopeId: string | null;
}

export type GrantDecision =
  | { allow: true }
  | { allow: false; reason: 'inactive-account' | 'self' | 'role-not-at-scope' | 'outside-own-scope' };

/**
 * Does `admin` have administrative authority at `place` (acting on `targetUserId`, if any)?
 * An active scope administrator whose own scope contains the place, with no deny over it,
 * never acting on themself. The one rule behind granting, revoking, account status, spot
 * checks and audit queries.
 */
export function decideAuthority(admin: Subject, place: Place, now: Date, targetUserId?: string): GrantDecision {
  if (admin.status !== 'ACTIVE') return { allow: false, reason: 'inactive-account' };
  if (targetUserId !== undefined && targetUserId === admin.userId) return { allow: false, reason: 'self' };
  const live = admin.assignments.filter((a) => isActive(a, now));
  const denied = live.some((a) => a.effect === 'DENY' && inScope(a.scopeType, a.scopeId, place));
  const holds = live.some((a) => a.effect === 'ALLOW' && a.role === 'SCOPE_ADMIN' && inScope(a.scopeType, a.scopeId, place));
  return denied || !holds ? { allow: false, reason: 'outside-own-scope' } : { allow: true };
}

/**
 * Does `subject` hold `role` (allowed, live) over `place`, with no deny over it? For roles that
 * act on places rather than watch them (installers on the facilities they connect).
 */
export function holdsRoleAt(subject: Subject, role: Role, place: Place, now: Date): boolean {
  if (subject.status !== 'ACTIVE') return false;
  const live = subject.assignments.filter((a) => isActive(a, now));
  if (live.some((a) => a.effect === 'DENY' && inScope(a.scopeType, a.scopeId, place))) return false;
  return live.some((a) => a.effect === 'ALLOW' && a.role === role && inScope(a.scopeType, a.scopeId, place));
}

/**
 * Does `subject` hold `role` somewhere (an active account, a live allowed assignment)? What
 * opens a role's pages and routes (a scope administrator's directory, a focal point's lists);
 * each action still asks about its own place.
 */
export function holdsRole(subject: Subject, role: Role, now: Date): boolean {
  return subject.status === 'ACTIVE' && subject.assignments.some((a) => a.role === role && a.effect === 'ALLOW' && isActive(a, now));
}

/** May a person of an organization of this kind hold this role? */
export function roleFitsOrganization(role: Role, kind: OrganizationKind): boolean {
  const kinds = ROLE_RULES[role].organizationKinds;
  return kinds === undefined || kinds.includes(kind);
}

/** May the role be granted at that scope type? (Any viewing role also fits a single camera.) */
export function roleFitsScope(role: Role, scopeType: ScopeType): boolean {
  return ROLE_RULES[role].scopes.includes(scopeType) || (scopeType === 'CAMERA' && role !== 'SCOPE_ADMIN' && ROLE_RULES[role].views);
}

/**
 * May `granter` grant (or approve a request for) `req`, whose scope sits at `scopePlace`?
 * Only a scope administrator whose own scope contains the requested one, never to themself,
 * and only a role at a scope type it belongs to.
 */
export function decideGrant(granter: Subject, req: GrantRequest, scopePlace: Place, now: Date): GrantDecision {
  if (granter.status !== 'ACTIVE') return { allow: false, reason: 'inactive-account' };
  if (req.userId !== undefined && req.userId === granter.userId) return { allow: false, reason: 'self' };
  if (!roleFitsScope(req.role, req.scopeType)) return { allow: false, reason: 'role-not-at-scope' };
  return decideAuthority(granter, scopePlace, now, req.userId);
}

/** The place a scope denotes, for containment checks (NATION is the empty place). */
export function placeOfScope(scopeType: ScopeType, scopeId: string | null, lookup: (type: ScopeType, id: string) => Place | undefined): Place | undefined {
  if (scopeType === 'NATION') return {};
  if (scopeId === null) return undefined;
  return lookup(scopeType, scopeId);
}

/**
 * Does this person need a second factor to sign in? Any role that sees camera names or video
 * beyond one facility, and the roles that do so wherever they are granted (installers, ops).
 */
export function requiresSecondFactor(subject: Subject, now: Date): boolean {
  return subject.assignments.some((a) => isActive(a, now) && a.effect === 'ALLOW'
    && (ROLE_RULES[a.role].secondFactor === 'always' || SCOPE_RANK[a.scopeType] > SCOPE_RANK.FACILITY));
}

/**
 * May `subject` perform `duty` at `place` (the report of a facility, the ops view of a
 * camera)? Like viewing: an active role with the duty whose scope (and facility kinds) covers
 * the place, and no deny over it. The empty place ({}) asks for nation scope.
 */
export function decideDuty(subject: Subject, duty: Duty, place: Place, now: Date): boolean {
  if (subject.status !== 'ACTIVE') return false;
  const live = subject.assignments.filter((a) => isActive(a, now));
  if (live.some((a) => a.effect === 'DENY' && inScope(a.scopeType, a.scopeId, place))) return false;
  return live.some((a) => {
    const rule = ROLE_RULES[a.role];
    if (a.effect !== 'ALLOW' || !rule.duties.includes(duty) || !inScope(a.scopeType, a.scopeId, place)) return false;
    return !rule.facilityKinds || (place.facilityKind !== undefined && rule.facilityKinds.includes(place.facilityKind));
  });
}

/** Does `subject` hold `duty` anywhere (may open the page at all)? */
export function holdsDuty(subject: Subject, duty: Duty, now: Date): boolean {
  return subject.status === 'ACTIVE' && subject.assignments.some((a) => isActive(a, now) && a.effect === 'ALLOW' && ROLE_RULES[a.role].duties.includes(duty));
}
