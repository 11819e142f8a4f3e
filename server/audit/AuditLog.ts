// The append-only, hash-chained audit log. Each row's hash covers the previous row's hash
// and the row's own canonical content, so editing or deleting any row breaks the chain at
// that row (`verify()`); the database also refuses UPDATE and DELETE on the table (a
// trigger in the migration). Appends are serialized with a transaction-scoped advisory
// lock, so several server nodes can share one chain.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PrismaClient } from '../db/generated/client.js';
import { moduleLogger } from '../logger.js';

const log = moduleLogger('audit');
const LOCK_KEY = 72_707_102;
const GENESIS = '0'.repeat(64);

export type AuditAction =
  | 'login.success' | 'login.failure' | 'login.throttled' | 'token.refresh' | 'logout'
  /** A refresh token used a second time: its whole family (the sign-in) was revoked. */
  | 'token.reuse'
  | 'grant.create' | 'grant.revoke' | 'user.status' | 'request.submit' | 'request.approve' | 'request.reject' | 'request.list' | 'request.list.refused' | 'activation.mail' | 'activation.sheet' | 'password.change'
  | 'spotcheck.create' | 'spotcheck.cancel' | 'camera.create' | 'camera.update' | 'camera.restart' | 'camera.delete'
  /** "Test this camera": a camera address probed from the server (host only, never credentials). */
  | 'camera.probe'
  | 'access.denied' | 'view.start' | 'view.end' | 'view.revoked' | 'audit.query'
  /** A leak investigation's answer taken out of the system as a file. */
  | 'audit.export' | 'account.activate' | 'totp.enroll'
  /** A scope administrator cleared a person's second factor (lost phone): they enrol again. */
  | 'totp.reset'
  /** A national administrator created from the command line (`npm run admin:create`). */
  | 'admin.create'
  /** An account made by a scope administrator for a person of an organization in their scope. */
  | 'account.create'
  /** The administrative unit list imported (from a page, the command line, the default list or the demo). */
  | 'units.import'
  | 'facility.create' | 'facility.update' | 'facility.retire' | 'organization.create' | 'organization.update' | 'organization.retire'
  /** Camera material other than live video served to a person (a snapshot, a recording), by a plugin. */
  | 'media.access'
  | 'incident.create' | 'incident.snapshot' | 'incident.comment' | 'incident.resolve' | 'incident.export'
  /** A report file (the connection drive as XLSX or PDF) taken out of the system. */
  | 'report.export';

export interface AuditInput {
  actorId?: string | null;
  action: AuditAction;
  target?: string | null;
  address?: string | null;
  details?: Record<string, string | number | boolean | null | string[]>;
}

export interface AuditRow {
  seq: bigint;
  at: Date;
  actorId: string | null;
  action: string;
  target: string | null;
  address: string | null;
  details: unknown;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted, so the hash does not depend on how jsonb stores them. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function rowHash(prevHash: string, r: Omit<AuditRow, 'prevHash' | 'hash'>): string {
  const body = canonical([r.seq.toString(), r.at.toISOString(), r.actorId, r.action, r.target, r.address, r.details]);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The first row where the chain breaks, and how. */
  broken?: { seq: string; problem: string };
}

export interface AuditObserverEvents {
  /** An entry was stored (metrics count logins, denials and views from these). */
  appended: [AuditInput];
}

export class AuditLog {
  readonly #prisma: PrismaClient;
  readonly #pending = new Set<Promise<void>>();
  /** For those who only watch; a throwing listener is logged, never fails the append. */
  readonly observer = new EventEmitter<AuditObserverEvents>();

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /** Appends one entry; resolves once it is stored. */
  async append(input: AuditInput): Promise<void> {
    await this.#prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
      const last = await tx.auditEntry.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
      const row = {
        seq: (last?.seq ?? 0n) + 1n,
        at: new Date(),
        actorId: input.actorId ?? null,
        action: input.action,
        target: input.target ?? null,
        address: input.address ?? null,
        details: input.details ?? {},
      };
      const prevHash = last?.hash ?? GENESIS;
      await tx.auditEntry.create({ data: { ...row, prevHash, hash: rowHash(prevHash, row) } });
    });
    try {
      this.observer.emit('appended', input);
    } catch (err) {
      log.error({ err: (err as Error).message, action: input.action }, 'audit observer failed');
    }
  }

  /** Appends without making the caller wait or fail; a failure is logged loudly. `drain()` waits for these. */
  record(input: AuditInput): void {
    const p = this.append(input)
      .catch((err: Error) => log.error({ err: err.message, action: input.action }, 'audit append failed'))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves once every `record()`ed entry is stored (call before closing the database). */
  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  /** Walks the whole chain; reports the first edited, inserted or deleted row. */
  async verify(batch = 1000): Promise<VerifyResult> {
    let prevHash = GENESIS;
    let expectedSeq = 1n;
    let checked = 0;
    for (;;) {
      const rows = await this.#prisma.auditEntry.findMany({ where: { seq: { gte: expectedSeq } }, orderBy: { seq: 'asc' }, take: batch });
      if (rows.length === 0) return { ok: true, checked };
      for (const r of rows) {
        const seq = r.seq.toString();
        if (r.seq !== expectedSeq) return { ok: false, checked, broken: { seq, problem: `row ${expectedSeq} is missing` } };
        if (r.prevHash !== prevHash) return { ok: false, checked, broken: { seq, problem: 'previous-hash link does not match (a row before it was changed or removed)' } };
        if (rowHash(prevHash, r) !== r.hash) return { ok: false, checked, broken: { seq, problem: 'row content does not match its hash (edited)' } };
        prevHash = r.hash;
        expectedSeq++;
        checked++;
      }
    }
  }
}
