// Reads and writes for administering people: the members of an organization with their live
// roles, the roles held over a place, the people who could be given a role there, and a new
// account made by a scope administrator (person, first role and activation token at once).
import type { PrismaClient } from '../db/generated/client.js';
import type { OrganizationKind, Role, ScopeType } from '../db/generated/enums.js';
import type { Place } from '../places/place.js';

const personSelect = {
  id: true, username: true, fullName: true, position: true, phone: true, email: true, status: true,
  organization: { select: { id: true, name: true, kind: true } },
} as const;

const liveRoles = (now: Date) => ({
  where: { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
  select: { id: true, role: true, scopeType: true, scopeId: true, effect: true, expiresAt: true, grantedAt: true, grantedBy: { select: { fullName: true } } },
  orderBy: { grantedAt: 'desc' as const },
});

export class PeopleRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /** An organization and its place (its unit's path, or the nation), if it exists. */
  async organization(id: string): Promise<{ id: string; name: string; kind: OrganizationKind; retired: boolean; place: Place } | undefined> {
    const o = await this.#prisma.organization.findUnique({ where: { id }, select: { id: true, name: true, kind: true, retiredAt: true, unit: { select: { path: true } } } });
    return o ? { id: o.id, name: o.name, kind: o.kind, retired: o.retiredAt !== null, place: o.unit ? { units: o.unit.path } : {} } : undefined;
  }

  /** The people of an organization with their live roles, by name. */
  members(organizationId: string, now: Date) {
    return this.#prisma.user.findMany({
      where: { organizationId },
      select: { ...personSelect, assignments: liveRoles(now) },
      orderBy: { fullName: 'asc' },
      take: 500,
    });
  }

  /**
   * Live assignments of `role` (any role when absent) whose scope is one of the given ones:
   * the place itself and the units above it, so a place shows who holds it directly and who
   * through a broader grant.
   */
  assignmentsOver(scopes: Array<{ scopeType: ScopeType; scopeId: string | null }>, role: Role | undefined, now: Date) {
    return this.#prisma.roleAssignment.findMany({
      where: {
        revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
        AND: [{ OR: scopes.map((s) => ({ scopeType: s.scopeType, scopeId: s.scopeId })) }],
        ...(role ? { role } : {}),
      },
      select: { id: true, role: true, scopeType: true, scopeId: true, effect: true, expiresAt: true, grantedAt: true, grantedBy: { select: { fullName: true } }, user: { select: personSelect } },
      orderBy: { grantedAt: 'asc' },
      take: 500,
    });
  }

  /** Active people of organizations of these kinds working nationally or in one of `unitIds`. */
  candidates(kinds: readonly OrganizationKind[] | undefined, unitIds: readonly string[]) {
    return this.#prisma.user.findMany({
      where: {
        status: 'ACTIVE',
        organization: {
          retiredAt: null,
          ...(kinds ? { kind: { in: [...kinds] } } : {}),
          OR: [{ unitId: null }, { unitId: { in: [...unitIds] } }],
        },
      },
      select: personSelect,
      orderBy: { fullName: 'asc' },
      take: 200,
    });
  }

  /** Everyone with their organization's place, for the name search (the caller's scope filters afterwards). */
  searchable() {
    return this.#prisma.user.findMany({
      select: { ...personSelect, organization: { select: { id: true, name: true, kind: true, unit: { select: { path: true } } } } },
      orderBy: { fullName: 'asc' },
      take: 50_000,
    });
  }

  /**
   * One person for the directory: profile, organization and its place, every role ever given
   * (live, expired, revoked), whether a second factor is enrolled, the views open now and the
   * last sign-in events.
   */
  async person(id: string) {
    const u = await this.#prisma.user.findUnique({
      where: { id },
      select: {
        ...personSelect, createdAt: true, totpSecretEnc: true,
        organization: { select: { id: true, name: true, kind: true, unit: { select: { path: true } } } },
        assignments: {
          select: { id: true, role: true, scopeType: true, scopeId: true, effect: true, expiresAt: true, grantedAt: true, revokedAt: true, grantedBy: { select: { fullName: true } } },
          orderBy: { grantedAt: 'desc' }, take: 200,
        },
        // An inspector's spot checks not yet over (or over in the last week), for the directory.
        spotChecks: {
          where: { cancelledAt: null, endsAt: { gt: new Date(Date.now() - 7 * 86_400_000) } },
          select: { id: true, startsAt: true, endsAt: true, reason: true, cameraIds: true, facility: { select: { id: true, name: true } } },
          orderBy: { startsAt: 'desc' }, take: 50,
        },
      },
    });
    if (!u) return undefined;
    const [views, events] = await Promise.all([
      this.#prisma.viewSession.findMany({ where: { userId: id, endedAt: null }, orderBy: { startedAt: 'desc' }, take: 50, select: { cameraId: true, stream: true, startedAt: true, address: true } }),
      this.#prisma.auditEntry.findMany({
        where: { OR: [{ target: `user:${id}` }, { target: `username:${u.username}` }], action: { in: ['login.success', 'login.failure', 'login.throttled', 'token.reuse', 'logout'] } },
        orderBy: { seq: 'desc' }, take: 20, select: { at: true, action: true, address: true, details: true },
      }),
    ]);
    const cameras = await this.#prisma.camera.findMany({ where: { id: { in: [...new Set(views.map((v) => v.cameraId))] } }, select: { id: true, name: true } });
    const name = new Map(cameras.map((c) => [c.id, c.name]));
    const { totpSecretEnc, organization: { unit, ...organization }, ...rest } = u;
    return {
      ...rest, organization, place: unit ? { units: unit.path } : {},
      secondFactor: totpSecretEnc !== null,
      liveViews: views.map((v) => ({ ...v, cameraName: name.get(v.cameraId) ?? v.cameraId })),
      signIns: events.map((e) => ({ at: e.at, action: e.action, address: e.address, reason: (e.details as { reason?: string } | null)?.reason ?? null })),
    };
  }

  /** Forgets the person's second factor (they enrol again at their next sign-in) and ends their sessions. */
  async resetSecondFactor(id: string): Promise<void> {
    await this.#prisma.$transaction([
      this.#prisma.user.update({ where: { id }, data: { totpSecretEnc: null, totpLastStep: null } }),
      this.#prisma.refreshToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } }),
    ]);
  }

  /**
   * Creates an account with its first role and a one-time activation token, in one
   * transaction. Undefined when the username is taken: an existing account is never touched.
   */
  async createPerson(
    person: { username: string; fullName: string; position: string; phone: string; email: string; organizationId: string },
    role: { role: Role; scopeType: ScopeType; scopeId: string | null; grantedById: string },
    activation: { hash: string; expiresAt: Date },
  ) {
    return this.#prisma.$transaction(async (tx) => {
      if (await tx.user.findUnique({ where: { username: person.username }, select: { id: true } })) return undefined;
      const user = await tx.user.create({ data: { ...person, status: 'ACTIVE', activationHash: activation.hash, activationExpiresAt: activation.expiresAt } });
      const assignment = await tx.roleAssignment.create({ data: { userId: user.id, ...role } });
      return { user, assignment };
    });
  }
}
