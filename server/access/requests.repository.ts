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
    return count === 1 ? user.id : undefined;
  }

}
