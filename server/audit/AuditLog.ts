// The append-only audit log: a chain of rows, each sealed to the one before it with a key
// that lives outside the database (audit-chain.ts, AuditKey.ts), and signed checkpoints of
// its head kept outside the database too (checkpoints.ts). Editing, re-sealing, deleting the
// tail or emptying the table is found by `verify()`; the database also refuses UPDATE and
// DELETE on the table (a trigger in the migration). Entries are written in batches, one
// transaction-scoped advisory lock per batch, so several nodes can share one chain and a
// burst never turns into lost entries or errors (audit-writer.ts).
import os from 'node:os';
import { EventEmitter } from 'node:events';
import type { PrismaClient } from '../db/generated/client.js';
import { moduleLogger } from '../logger.js';
import { GENESIS, plainRowHash, rowSeal, type ChainRow } from './audit-chain.js';
import type { AuditKey } from './AuditKey.js';
import { AuditWriter, type Queued, type WriterOptions, type WriterState } from './audit-writer.js';
import { CheckpointFile, signCheckpoint, SyslogTarget, type SignedCheckpoint } from './checkpoints.js';

const log = moduleLogger('audit');
const LOCK_KEY = 72_707_102;

export type AuditAction =
  | 'login.success' | 'login.failure' | 'login.throttled' | 'token.refresh' | 'logout'
  /** A refresh token used a second time: its whole family (the sign-in) was revoked. */
  | 'token.reuse'
  | 'grant.create' | 'grant.revoke' | 'user.status' | 'request.submit' | 'request.approve' | 'request.reject' | 'request.list' | 'request.list.refused' | 'activation.mail' | 'activation.sheet' | 'password.change'
  | 'spotcheck.create' | 'spotcheck.cancel' | 'camera.create' | 'camera.update' | 'camera.restart' | 'camera.delete'
  /** "Test this camera": a camera address probed from the server (host only, never credentials). */
  | 'camera.probe'
  | 'access.denied' | 'route.denied' | 'view.start' | 'view.end' | 'view.revoked' | 'audit.query'
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
  | 'report.export'
  /** A node of the cluster drained: its cameras handed to other nodes. */
  | 'node.drain';

export interface AuditInput {
  actorId?: string | null;
  action: AuditAction;
  target?: string | null;
  address?: string | null;
  details?: Record<string, string | number | boolean | null | string[]>;
}

export interface AuditRow extends ChainRow {
  prevHash: string;
  hash: string;
}

/**
 * missing: a row was removed from the middle; link: a row before it changed; edited: the row's
 * content changed; sealed: sealed without the audit key; checkpoint: the checkpoint file's last
 * line is not ours; rewritten: the row differs from the signed checkpoint; truncated: the chain
 * ends before the signed checkpoint's count.
 */
export type BrokenKind = 'missing' | 'link' | 'edited' | 'sealed' | 'checkpoint' | 'rewritten' | 'truncated';

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The first row where the chain breaks, and how (`kind` for pages, `problem` for people reading logs). */
  broken?: { seq: string; kind: BrokenKind; problem: string };
  /** The latest signed checkpoint the chain was compared with (none: truncation cannot be told). */
  checkpoint?: { seq: string; at: string } | null;
}

export interface AuditObserverEvents {
  /** An entry was stored (metrics count logins, denials and views from these). */
  appended: [AuditInput];
  /** A batch could not be written; it stays buffered and is retried. */
  writeFailed: [Error];
  checkpointFailed: [Error];
}

export interface AuditLogOptions {
  key: AuditKey;
  /** Where signed checkpoints are appended; none: no checkpoints (command-line tools that only append). */
  checkpointFile?: string;
  /** udp://host:port or tcp://host:port of a remote syslog that receives every checkpoint too. */
  syslog?: string;
  /** Names the node in its checkpoints. */
  node?: string;
  writer?: Partial<WriterOptions>;
}

export interface AuditState extends WriterState {
  lastCheckpoint: { seq: string; at: string } | undefined;
  checkpointFailures: number;
}

const WRITER_DEFAULTS: WriterOptions = { maxBatch: 500, maxBuffered: 20_000, holdMs: 3000, backoffMs: 100, maxBackoffMs: 5000 };

export class AuditLog {
  readonly #prisma: PrismaClient;
  readonly #key: AuditKey;
  readonly #writer: AuditWriter<AuditInput>;
  readonly #file: CheckpointFile | undefined;
  readonly #syslog: SyslogTarget | undefined;
  readonly #node: string;
  #checkpointing: Promise<SignedCheckpoint | undefined> | undefined;
  #lastCheckpoint: SignedCheckpoint | undefined;
  #checkpointFailures = 0;
  #timer: NodeJS.Timeout | undefined;
  /** For those who only watch; a throwing listener is logged, never fails the append. */
  readonly observer = new EventEmitter<AuditObserverEvents>();

  constructor(prisma: PrismaClient, options: AuditLogOptions) {
    this.#prisma = prisma;
    this.#key = options.key;
    this.#file = options.checkpointFile ? new CheckpointFile(options.checkpointFile) : undefined;
    this.#syslog = options.syslog ? new SyslogTarget(options.syslog) : undefined;
    this.#node = options.node ?? os.hostname();
    this.#writer = new AuditWriter<AuditInput>((batch) => this.#store(batch), { ...WRITER_DEFAULTS, ...options.writer }, {
      written: (items) => {
        for (const input of items) this.#emit('appended', input);
      },
      failed: (err, buffered) => {
        log.warn({ err: err.message.split('\n').at(-1), buffered }, 'audit entries not written yet; retrying');
        this.#emit('writeFailed', err);
      },
    });
  }

  /**
   * Appends one entry; resolves once it is stored, or once it has waited its hold time while
   * the database fails (it stays buffered and is retried). Rejects only when the buffer is full.
   */
  append(input: AuditInput): Promise<void> {
    return this.#writer.push(input);
  }

  /** Appends without making the caller wait or fail; a refusal is logged loudly. `drain()` waits for these. */
  record(input: AuditInput): void {
    this.append(input).catch((err: Error) => log.error({ err: err.message, action: input.action }, 'audit entry refused'));
  }

  /** Resolves once every entry made so far is stored, or after `timeoutMs` (what is left is logged). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const left = await this.#writer.drain(timeoutMs);
    if (left) log.error({ left }, 'audit entries still unwritten');
  }

  /** At shutdown: everything written, a last checkpoint, no more retries. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.drain();
    if (this.#file) await this.checkpoint();
    this.#writer.stop();
  }

  state(): AuditState {
    const cp = this.#lastCheckpoint;
    return { ...this.#writer.state(), lastCheckpoint: cp && { seq: cp.seq, at: cp.at }, checkpointFailures: this.#checkpointFailures };
  }

  /** Writes a checkpoint now, and then every `intervalMs`. */
  async startCheckpoints(intervalMs: number): Promise<void> {
    await this.checkpoint();
    this.#timer = setInterval(() => void this.checkpoint(), intervalMs);
    this.#timer.unref();
  }

  /**
   * Signs the chain's current head and keeps it outside the database (file, then syslog).
   * Nothing is written when the head has not moved since the last one. A checkpoint file whose
   * last line is not ours is left as it is, and reported: writing on would hide the tampering.
   */
  checkpoint(): Promise<SignedCheckpoint | undefined> {
    this.#checkpointing ??= this.#checkpoint()
      .catch((err: Error) => {
        this.#checkpointFailures++;
        log.error({ err: err.message }, 'audit checkpoint failed');
        this.#emit('checkpointFailed', err);
        return undefined;
      })
      .finally(() => (this.#checkpointing = undefined));
    return this.#checkpointing;
  }

  async #checkpoint(): Promise<SignedCheckpoint | undefined> {
    if (!this.#file) return undefined;
    const latest = this.#file.latest(this.#key.publicKey);
    if (latest.kind === 'invalid') throw new Error(`the last line of ${this.#file.path} is not a checkpoint signed with this audit key; it was left as found`);
    const previous = latest.kind === 'valid' ? latest.checkpoint : undefined;
    const head = await this.#prisma.auditEntry.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
    const seq = (head?.seq ?? 0n).toString();
    if (previous && previous.seq === seq && previous.hash === (head?.hash ?? GENESIS)) {
      this.#lastCheckpoint = previous;
      return previous;
    }
    if (previous) await this.#continues(previous);
    const keyedFrom = previous?.keyedFrom ?? (await this.#firstKeyedRow()).toString();
    const signed = signCheckpoint(this.#key, { seq, hash: head?.hash ?? GENESIS, keyedFrom, at: new Date().toISOString(), node: this.#node });
    this.#file.append(signed);
    this.#lastCheckpoint = signed;
    if (this.#syslog) await this.#syslog.send(signed);
    return signed;
  }

  /**
   * The chain still holds the last signed head, and every row after it is sealed with the key:
   * a checkpoint never signs over a truncation or a forged tail.
   */
  async #continues(previous: SignedCheckpoint): Promise<void> {
    const seq = BigInt(previous.seq);
    const refuse = (why: string) => new Error(`${why}; the head is not signed until the chain is examined (npm run audit:verify)`);
    let prevHash = GENESIS;
    if (seq > 0n) {
      const row = await this.#prisma.auditEntry.findUnique({ where: { seq }, select: { hash: true } });
      if (row?.hash !== previous.hash) throw refuse(`the chain no longer holds the head signed at ${previous.at} (truncated or rewritten)`);
      prevHash = row.hash;
    }
    for (let after = seq; ;) {
      const rows = await this.#prisma.auditEntry.findMany({ where: { seq: { gt: after } }, orderBy: { seq: 'asc' }, take: 1000 });
      if (!rows.length) return;
      for (const r of rows) {
        if (r.seq !== after + 1n || r.prevHash !== prevHash || rowSeal(this.#key.chainKey, prevHash, r) !== r.hash) {
          throw refuse(`row ${r.seq} does not follow the chain with a valid seal`);
        }
        prevHash = r.hash;
        after = r.seq;
      }
    }
  }

  /**
   * The first checkpoint ever: from which row on is the chain keyed? Rows written before this
   * version carry plain hashes; the keyed rows follow them. Runs once per checkpoint file.
   */
  async #firstKeyedRow(): Promise<bigint> {
    const head = await this.#prisma.auditEntry.findFirst({ orderBy: { seq: 'desc' } });
    if (!head) return 1n;
    if (rowSeal(this.#key.chainKey, head.prevHash, head) !== head.hash) return head.seq + 1n;
    let first = head.seq;
    for (let before = head.seq; before > 0n;) {
      const rows = await this.#prisma.auditEntry.findMany({ where: { seq: { lt: before } }, orderBy: { seq: 'desc' }, take: 1000 });
      if (!rows.length) break;
      for (const r of rows) {
        if (rowSeal(this.#key.chainKey, r.prevHash, r) !== r.hash) return first;
        first = r.seq;
      }
      before = rows.at(-1)!.seq;
    }
    return first;
  }

  /**
   * Walks the whole chain; reports the first edited, inserted, deleted or re-sealed row, and
   * a chain that ends before (or differs from) the latest signed checkpoint.
   */
  async verify(batch = 1000): Promise<VerifyResult> {
    const latest = this.#file?.latest(this.#key.publicKey) ?? { kind: 'none' as const };
    if (latest.kind === 'invalid') {
      return { ok: false, checked: 0, checkpoint: null, broken: { seq: '0', kind: 'checkpoint', problem: 'the latest checkpoint is not signed with this system\'s audit key (the checkpoint file was edited, or the key changed)' } };
    }
    const cp = latest.kind === 'valid' ? latest.checkpoint : undefined;
    const cpSeq = cp ? BigInt(cp.seq) : 0n;
    const keyedFrom = BigInt(cp?.keyedFrom ?? '1');
    const checkpoint = cp ? { seq: cp.seq, at: cp.at } : null;
    let prevHash = GENESIS;
    let expectedSeq = 1n;
    let checked = 0;
    const broken = (seq: bigint, kind: BrokenKind, problem: string): VerifyResult => ({ ok: false, checked, broken: { seq: seq.toString(), kind, problem }, checkpoint });
    for (;;) {
      const rows = await this.#prisma.auditEntry.findMany({ where: { seq: { gte: expectedSeq } }, orderBy: { seq: 'asc' }, take: batch });
      if (rows.length === 0) break;
      for (const r of rows) {
        if (r.seq !== expectedSeq) return broken(r.seq, 'missing', `row ${expectedSeq} is missing`);
        if (r.prevHash !== prevHash) return broken(r.seq, 'link', 'previous-hash link does not match (a row before it was changed or removed)');
        if (r.seq < keyedFrom) {
          if (plainRowHash(prevHash, r) !== r.hash) return broken(r.seq, 'edited', 'row content does not match its hash (edited)');
        } else if (rowSeal(this.#key.chainKey, prevHash, r) !== r.hash) {
          return broken(r.seq, 'sealed', 'row content does not match its seal (edited, or sealed without the audit key)');
        }
        if (r.seq === cpSeq && r.hash !== cp!.hash) return broken(r.seq, 'rewritten', `the chain differs here from the signed checkpoint of ${cp!.at} (rewritten)`);
        prevHash = r.hash;
        expectedSeq++;
        checked++;
      }
    }
    if (BigInt(checked) < cpSeq) {
      return broken(expectedSeq, 'truncated', `truncated: the signed checkpoint of ${cp!.at} counted ${cp!.seq} entries; the chain ends after ${checked}`);
    }
    return { ok: true, checked, checkpoint };
  }

  /** One batch under one hold of the chain's lock. */
  async #store(batch: Queued<AuditInput>[]): Promise<void> {
    await this.#prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
      const last = await tx.auditEntry.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
      let seq = last?.seq ?? 0n;
      let prevHash = last?.hash ?? GENESIS;
      const data = batch.map(({ item, at }) => {
        seq++;
        const row: ChainRow = { seq, at, actorId: item.actorId ?? null, action: item.action, target: item.target ?? null, address: item.address ?? null, details: item.details ?? {} };
        const hash = rowSeal(this.#key.chainKey, prevHash, row);
        const stored = { ...row, details: item.details ?? {}, prevHash, hash };
        prevHash = hash;
        return stored;
      });
      await tx.auditEntry.createMany({ data });
    }, { maxWait: 10_000, timeout: 15_000 });
  }

  #emit<E extends keyof AuditObserverEvents>(event: E, ...args: AuditObserverEvents[E]): void {
    try {
      (this.observer as EventEmitter).emit(event, ...args);
    } catch (err) {
      log.error({ err: (err as Error).message, event }, 'audit observer failed');
    }
  }
}
