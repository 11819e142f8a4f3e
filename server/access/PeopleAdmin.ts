// People administered by scope administrators: the members of an organization in their scope,
// who holds a role over a place (an installer over a facility, directly or through its
// province), who could be given that role there, and a new account for a named person of an
// organization, made with its first role and a one-time activation link. A scope administrator
// is the authority that approves account lists, so an account they make needs no second
// approval; every account they make is audited. Outside the caller's scope is "not found".
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/AuditLog.js';
import type { Role, ScopeType } from '../db/generated/enums.js';
import { AppError, ErrorCode } from '../errors.js';
import type { AccessRepository } from './access.repository.js';
import type { Caller as Actor } from './AccessService.js';
import type { PeopleRepository } from './people.repository.js';
import { decideAuthority, decideGrant, holdsRole, isActive, roleFitsOrganization, type Subject } from './policy.js';
import type { Place } from '../places/place.js';
import { ROLE_RULES, SCOPE_RANK } from './roles.js';
import { hashRefresh } from './tokens.js';
import { foldText } from '../util/fold.js';


export interface NewPerson {
  username: string;
  fullName: string;
  position: string;
  phone: string;
  email: string;
  role: Role;
  scopeType: ScopeType;
  scopeId: string | null;
}

type Member = Awaited<ReturnType<PeopleRepository['members']>>[number];
/** A person as the directory's search lists them. */
export type DirectoryEntry = Omit<Awaited<ReturnType<PeopleRepository['searchable']>>[number], 'organization'> & { organization: { id: string; name: string; kind: string } };

export class PeopleAdmin {
  readonly #repo: PeopleRepository;
  readonly #access: AccessRepository;
  readonly #audit: AuditLog;

  readonly #activationHours: number;

  /** `activationHours`: how long a new account's activation link works (configuration `auth.activationHours`). */
  constructor(repo: PeopleRepository, access: AccessRepository, audit: AuditLog, activationHours: number) {
    this.#activationHours = activationHours;
    this.#repo = repo;
    this.#access = access;
    this.#audit = audit;
  }

  async #admin(actor: Actor): Promise<Subject> {
    const s = await this.#access.subject(actor.userId);
    if (!s) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    return s;
  }

  /** The organization, if it exists and the caller administers its place; else "not found". */
  async #organization(actor: Actor, id: string) {
    const [admin, org] = await Promise.all([this.#admin(actor), this.#repo.organization(id)]);
    if (!org || !decideAuthority(admin, org.place, new Date()).allow) throw new AppError(ErrorCode.NotFound, 'no such organization');
    return { admin, org };
  }

  /** The place a scope denotes, if it exists and the caller administers it; else "not found". */
  async #place(actor: Actor, scopeType: ScopeType, scopeId: string | null): Promise<{ admin: Subject; place: Place }> {
    const [admin, place] = await Promise.all([this.#admin(actor), this.#access.placeOfScope(scopeType, scopeId)]);
    if (!place || !decideAuthority(admin, place, new Date()).allow) throw new AppError(ErrorCode.NotFound, `no such ${scopeType.toLowerCase()}`);
    return { admin, place };
  }

  async #withScopeNames<T extends { scopeType: ScopeType; scopeId: string | null }>(rows: T[]): Promise<Array<T & { scopeName: string | null }>> {
    const names = await this.#access.scopeNames(rows.flatMap((r) => (r.scopeId ? [r.scopeId] : [])));
    return rows.map((r) => ({ ...r, scopeName: r.scopeId ? names.get(r.scopeId) ?? null : null }));
  }

  /**
   * An organization in the caller's scope: its people, each with their live roles, and the
   * roles its people may hold (with the scope types each is granted at), for the form that adds one.
   */
  async members(actor: Actor, organizationId: string) {
    const { admin, org } = await this.#organization(actor, organizationId);
    const people = await this.#repo.members(organizationId, new Date());
    // Only roles the caller can grant somewhere: a provincial administrator is not offered a
    // role that exists at nation scope only.
    const now = new Date();
    const reach = Math.max(...admin.assignments.filter((a) => a.role === 'SCOPE_ADMIN' && a.effect === 'ALLOW' && isActive(a, now)).map((a) => SCOPE_RANK[a.scopeType]));
    const named = await this.#withScopeNames(people.flatMap((p) => p.assignments));
    const byId = new Map(named.map((r) => [r.id, r]));
    const roles = (Object.keys(ROLE_RULES) as Role[])
      .filter((r) => roleFitsOrganization(r, org.kind))
      .map((r) => ({ role: r, scopes: ROLE_RULES[r].scopes.filter((s) => SCOPE_RANK[s] <= reach) }))
      .filter((r) => r.scopes.length > 0);
    return {
      organization: { id: org.id, name: org.name, kind: org.kind, retired: org.retired },
      roles,
      people: people.map(({ assignments, ...p }: Member) => ({ ...p, roles: assignments.map((a) => byId.get(a.id)!) })),
    };
  }

  /**
   * Live assignments (of `role`, if given) over a place in the caller's scope: granted at the
   * place itself (`direct`) or at a unit or the nation above it.
   */
  async holders(actor: Actor, q: { scopeType: ScopeType; scopeId: string | null; role?: Role }) {
    const { place } = await this.#place(actor, q.scopeType, q.scopeId);
    const scopes: Array<{ scopeType: ScopeType; scopeId: string | null }> = [
      { scopeType: 'NATION', scopeId: null },
      ...(place.units ?? []).map((id) => ({ scopeType: 'UNIT' as const, scopeId: id })),
      ...(place.facilityId ? [{ scopeType: 'FACILITY' as const, scopeId: place.facilityId }] : []),
      ...(place.cameraId ? [{ scopeType: 'CAMERA' as const, scopeId: place.cameraId }] : []),
    ];
    const rows = await this.#repo.assignmentsOver(scopes, q.role, new Date());
    const named = await this.#withScopeNames(rows);
    return named.map((a) => ({ ...a, direct: a.scopeType === q.scopeType && a.scopeId === q.scopeId }));
  }

  /**
   * Active people who could be given `role` at a place in the caller's scope: members of an
   * organization of a kind that holds the role, working nationally or in a unit holding the place.
   */
  async candidates(actor: Actor, q: { role: Role; scopeType: ScopeType; scopeId: string | null }) {
    const { place } = await this.#place(actor, q.scopeType, q.scopeId);
    return this.#repo.candidates(ROLE_RULES[q.role].organizationKinds, place.units ?? []);
  }

  /** Makes an account for a named person of an organization, with its first role; returns the activation token. */
  async create(actor: Actor, organizationId: string, person: NewPerson) {
    const { admin, org } = await this.#organization(actor, organizationId);
    if (org.retired) throw new AppError(ErrorCode.Conflict, 'the organization is retired');
    if (!roleFitsOrganization(person.role, org.kind)) throw new AppError(ErrorCode.BadRequest, `role: a person of a ${org.kind} organization cannot hold ${person.role}`);
    const place = await this.#access.placeOfScope(person.scopeType, person.scopeId);
    if (!place) throw new AppError(ErrorCode.NotFound, `no such ${person.scopeType.toLowerCase()}`);
    const d = decideGrant(admin, { role: person.role, scopeType: person.scopeType, scopeId: person.scopeId }, place, new Date());
    if (!d.allow) {
      await this.#audit.append({ actorId: actor.userId, action: 'access.denied', target: `organization:${org.id}`, address: actor.address, details: { attempted: 'create account', role: person.role, scopeType: person.scopeType, scopeId: person.scopeId, reason: d.reason } });
      throw d.reason === 'role-not-at-scope'
        ? new AppError(ErrorCode.BadRequest, `role: ${person.role} is not granted at ${person.scopeType} scope`)
        : new AppError(ErrorCode.NotFound, `no such ${person.scopeType.toLowerCase()}`);
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.#activationHours * 3600_000);
    const { role, scopeType, scopeId, ...fields } = person;
    const made = await this.#repo.createPerson({ ...fields, organizationId: org.id }, { role, scopeType, scopeId, grantedById: actor.userId }, { hash: hashRefresh(token), expiresAt })
      .catch((err: { code?: string }) => {
        if (err.code === 'P2002') return undefined; // the same username made in parallel
        throw err;
      });
    if (!made) throw new AppError(ErrorCode.Conflict, 'username: an account with this username exists (an existing account is never changed here)');
    await this.#audit.append({
      actorId: actor.userId, action: 'account.create', target: `user:${made.user.id}`, address: actor.address,
      details: { username: made.user.username, organization: org.id, assignment: made.assignment.id, role, scopeType, scopeId },
    });
    return { userId: made.user.id, username: made.user.username, activationToken: token, activationExpiresAt: expiresAt };
  }

  // ---- the people directory -----------------------------------------------------------------

  /**
   * People whose organization lies inside the caller's scope and whose name, username, email,
   * phone digits or organization contains the query, with or without Vietnamese diacritics.
   */
  async search(actor: Actor, query: string, limit = 30) {
    const admin = await this.#scopeAdmin(actor);
    const q = foldText(query.trim());
    if (q.length < 2) return [];
    const digits = query.replace(/\D/g, '');
    const now = new Date();
    const out: DirectoryEntry[] = [];
    for (const u of await this.#repo.searchable()) {
      const hit = foldText(`${u.fullName}\n${u.username}\n${u.email}\n${u.organization.name}`).includes(q)
        || (digits.length >= 4 && u.phone.replace(/\D/g, '').includes(digits));
      if (!hit || !decideAuthority(admin, u.organization.unit ? { units: u.organization.unit.path } : {}, now).allow) continue;
      const { organization: { unit: _unit, ...organization }, ...rest } = u;
      out.push({ ...rest, organization });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A person inside the caller's scope (by their organization's place), for the directory; else "not found". */
  async person(actor: Actor, id: string) {
    const [admin, p] = await Promise.all([this.#admin(actor), this.#repo.person(id)]);
    if (!p || !decideAuthority(admin, p.place, new Date()).allow) throw new AppError(ErrorCode.NotFound, 'no such person');
    const now = new Date();
    const roles = (await this.#withScopeNames(p.assignments)).map((a) => ({
      ...a, state: a.revokedAt ? 'revoked' as const : a.expiresAt && a.expiresAt <= now ? 'expired' as const : 'active' as const,
    }));
    const { assignments: _a, place: _p, ...rest } = p;
    return { ...rest, roles, self: id === actor.userId };
  }

  /** Clears a person's second factor (a lost phone): they enrol again at their next sign-in; their sessions end. */
  async resetSecondFactor(actor: Actor, id: string, reason: string): Promise<void> {
    if (id === actor.userId) throw new AppError(ErrorCode.Forbidden, 'another administrator resets your own second factor');
    const [admin, p] = await Promise.all([this.#admin(actor), this.#repo.person(id)]);
    if (!p || !decideAuthority(admin, p.place, new Date()).allow) throw new AppError(ErrorCode.NotFound, 'no such person');
    await this.#repo.resetSecondFactor(id);
    await this.#audit.append({ actorId: actor.userId, action: 'totp.reset', target: `user:${id}`, address: actor.address, details: { reason } });
  }

  /** The caller as an active scope administrator somewhere; anyone else is told the route does not exist. */
  async #scopeAdmin(actor: Actor): Promise<Subject> {
    const admin = await this.#admin(actor);
    const now = new Date();
    if (!holdsRole(admin, 'SCOPE_ADMIN', now)) throw new AppError(ErrorCode.NotFound, 'no such route');
    return admin;
  }
}
