// The only code that reads and writes account requests and activation tokens: the lists a
// focal point submits, their decisions, and the one-time link that sets a new account's password.
import type { PrismaClient } from '../db/generated/client.js';
import type { Role, ScopeType } from '../db/generated/enums.js';

export class RequestsRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  createRequest(data: { organizationId: string; submittedById: string; fullName: string; position: string; phone: string; email: string; username: string; role: Role; scopeType: ScopeType; scopeId: string | null; forUserId: string | null }) {
    return this.#prisma.accountRequest.create({ data });
  }

  request(id: string) {
    return this.#prisma.accountRequest.findUnique({ where: { id } });
  }

  pendingRequests() {
    return this.#prisma.accountRequest.findMany({ where: { status: 'PENDING' }, orderBy: { createdAt: 'asc' }, take: 1000 });
  }

  /**
   * Approves a pending request in one transaction, never touching an existing account's
   * record: a request for a new account creates it with the role and a one-time activation
   * token ('taken' if its username was taken meanwhile); a role request adds the role to its
   * account, which must still be active ('inactive' otherwise). Either refusal leaves the
   * request pending and nothing written. Undefined if the request was decided meanwhile.
   */
  async approveRequest(id: string, approverId: string, reason: string | null, activation: { hash: string; expiresAt: Date }) {
    class Refused extends Error {
      constructor(readonly why: 'taken' | 'inactive') {
        super(why);
      }
    }
    try {
      return await this.#prisma.$transaction(async (tx) => {
        const { count } = await tx.accountRequest.updateMany({ where: { id, status: 'PENDING' }, data: { status: 'APPROVED', decidedById: approverId, decidedAt: new Date(), decisionReason: reason } });
        if (count !== 1) return undefined;
        const r = await tx.accountRequest.findUniqueOrThrow({ where: { id } });
        let user: { id: string };
        if (r.forUserId) {
          const held = await tx.user.findUnique({ where: { id: r.forUserId }, select: { id: true, status: true } });
          if (held?.status !== 'ACTIVE') throw new Refused('inactive');
          user = held;
        } else {
          if (await tx.user.findUnique({ where: { username: r.username }, select: { id: true } })) throw new Refused('taken');
          user = await tx.user.create({
            data: { username: r.username, fullName: r.fullName, position: r.position, phone: r.phone, email: r.email, organizationId: r.organizationId, status: 'ACTIVE', activationHash: activation.hash, activationExpiresAt: activation.expiresAt },
            select: { id: true },
          });
          await tx.accountRequest.update({ where: { id }, data: { createdUserId: user.id } });
        }
        const assignment = await tx.roleAssignment.create({ data: { userId: user.id, role: r.role, scopeType: r.scopeType, scopeId: r.scopeId, grantedById: approverId } });
        return { userId: user.id, created: !r.forUserId, assignment };
      });
    } catch (err) {
      if (err instanceof Refused) return err.why;
      // Two approvals of new accounts with one username at once: the unique index refuses the second.
      if ((err as { code?: string }).code === 'P2002') return 'taken' as const;
      throw err;
    }
  }

  rejectRequest(id: string, deciderId: string, reason: string) {
    return this.#prisma.accountRequest.updateMany({ where: { id, status: 'PENDING' }, data: { status: 'REJECTED', decidedById: deciderId, decidedAt: new Date(), decisionReason: reason } });
  }

  /** Sets the password of the account holding this unexpired activation token, once. */
  async activate(hash: string, passwordHash: string): Promise<string | undefined> {
    const user = await this.#prisma.user.findFirst({ where: { activationHash: hash, activationExpiresAt: { gt: new Date() } }, select: { id: true } });
    if (!user) return undefined;
    const { count } = await this.#prisma.user.updateMany({ where: { id: user.id, activationHash: hash }, data: { passwordHash, activationHash: null, activationExpiresAt: null } });
    if (count !== 1) return undefined;
    // The link is spent: its printable copy goes too.
    await this.#prisma.accountRequest.updateMany({ where: { createdUserId: user.id }, data: { activationEnc: null } });
    return user.id;
  }


  // ---- lists ------------------------------------------------------------------------------

  /**
   * The places a list's lines may name, under the given units (every one when 'all') plus the
   * given facilities: live units and facilities, with what a line may call them by.
   */
  async scopeChoices(units: string[] | 'all', facilityIds: string[]) {
    const under = units === 'all' ? {} : { path: { hasSome: units } };
    const [us, fs] = await Promise.all([
      units === 'all' || units.length ? this.#prisma.adminUnit.findMany({ where: { ...under, retiredAt: null }, select: { id: true, code: true, name: true, level: true, path: true, depth: true } }) : [],
      this.#prisma.facility.findMany({
        where: { retiredAt: null, OR: [...(units === 'all' || units.length ? [{ unit: under }] : []), { id: { in: facilityIds } }] },
        select: { id: true, name: true, kind: true, unit: { select: { name: true, path: true } } },
      }),
    ]);
    return { units: us, facilities: fs };
  }

  /** Accounts holding any of these usernames or emails (to attach role requests and refuse takeovers). */
  accountsNamed(usernames: string[], emails: string[]) {
    return this.#prisma.user.findMany({
      where: { OR: [{ username: { in: usernames } }, { email: { in: emails, mode: 'insensitive' } }] },
      select: { id: true, username: true, email: true, organizationId: true, status: true },
    });
  }

  /** An organization's requests still waiting for a decision (a list must not ask twice). */
  pendingOf(organizationId: string) {
    return this.#prisma.accountRequest.findMany({ where: { organizationId, status: 'PENDING' }, select: { username: true, role: true, scopeType: true, scopeId: true } });
  }

  /** Stores a list and all its requests in one transaction: all of it or nothing. */
  createList(list: { organizationId: string; submittedById: string; source: string }, lines: Array<{ line: number; fullName: string; position: string; phone: string; email: string; username: string; role: Role; scopeType: ScopeType; scopeId: string | null; forUserId: string | null }>) {
    return this.#prisma.$transaction(async (tx) => {
      const made = await tx.accountList.create({ data: list });
      await tx.accountRequest.createMany({ data: lines.map((l) => ({ ...l, listId: made.id, organizationId: list.organizationId, submittedById: list.submittedById })) });
      return made;
    });
  }

  /** The lists a focal point submitted, newest first, with every line and its decision. */
  listsOf(submittedById: string, take = 50) {
    return this.#prisma.accountList.findMany({
      where: { submittedById }, orderBy: { createdAt: 'desc' }, take,
      include: { requests: { orderBy: { line: 'asc' } } },
    });
  }

  /** Names of the people who submitted or decided (for the pages). */
  async peopleNames(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.#prisma.user.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, fullName: true } });
    return new Map(rows.map((r) => [r.id, r.fullName]));
  }

  organizationNames(ids: string[]) {
    return this.#prisma.organization.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true } });
  }

  /** Keeps an approved new account's activation token (sealed) for its printable sheet. */
  keepActivation(id: string, sealed: string, expiresAt: Date) {
    return this.#prisma.accountRequest.update({ where: { id }, data: { activationEnc: sealed, activationExpiresAt: expiresAt } });
  }

  /** The activation email's outcome. */
  mailed(id: string, outcome: { at: Date } | { error: string }) {
    return this.#prisma.accountRequest.update({ where: { id }, data: 'at' in outcome ? { mailedAt: outcome.at, mailError: null } : { mailError: outcome.error.slice(0, 500) } });
  }

  /**
   * Accounts whose username starts like one of these emails' local parts: a username made
   * from an email must not take one of theirs.
   */
  usernamesLike(emails: string[]) {
    const prefixes = [...new Set(emails.map((e) => (e.split('@')[0] ?? '').toLowerCase().replace(/[^a-z0-9._-]+/g, '.').replace(/^[._-]+/, '').slice(0, 3)).filter((p) => p.length === 3))];
    if (!prefixes.length) return Promise.resolve([]);
    return this.#prisma.user.findMany({
      where: { OR: prefixes.map((p) => ({ username: { startsWith: p } })) },
      select: { id: true, username: true, email: true, organizationId: true, status: true },
    });
  }

  /** The person an unexpired activation token belongs to (for the password's strength check). */
  async activationHolder(hash: string) {
    const u = await this.#prisma.user.findFirst({
      where: { activationHash: hash, activationExpiresAt: { gt: new Date() } },
      select: { id: true, username: true, fullName: true, email: true, totpSecretEnc: true },
    });
    return u && { id: u.id, username: u.username, fullName: u.fullName, email: u.email, totpEnrolled: u.totpSecretEnc !== null };
  }

  requestWithActivation(id: string) {
    return this.#prisma.accountRequest.findUnique({ where: { id } });
  }
}
