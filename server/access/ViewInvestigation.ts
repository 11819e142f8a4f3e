// The leak investigation: when images of a camera leak, who could have seen them, and how to
// reach them. Given a camera and a moment or period: every person who watched it live then,
// and everyone who was served its material of then (a recording of that time, played back at
// any later moment, or a snapshot taken then), with their organization, position, phone, email,
// the start and end of each view and their client address. Given a person: everything they
// watched. Only scope administrators ask, and only about cameras inside their scope; every
// question (and every export of its answer) is itself audited. The chain's state is shown
// beside the answer, since the answer is only as good as the log it is read from.
import type { AuditLog, VerifyResult } from '../audit/AuditLog.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Place } from '../places/place.js';
import type { CameraLabel, InvestigationRepository, PersonContact, ServedRow } from './investigation.repository.js';
import { INVESTIGATION_ROW_CAP } from './investigation.repository.js';
import { decideAuthority, holdsRole, type Subject } from './policy.js';

/** What the investigation asks of access control: who the caller is, and where cameras sit. */
export interface InvestigationAccess {
  subject(userId: string): Promise<Subject | undefined>;
  placeOfCamera(cameraId: string): Promise<Place | undefined>;
}

export interface Investigator {
  userId: string;
  address: string;
}

/** How the person saw the camera's images. */
export type WatchKind = 'live' | 'recording' | 'snapshot' | 'other';

export interface WatchRecord {
  kind: WatchKind;
  person: PersonContact;
  camera: CameraLabel;
  /** Live: the view's start and end (null while still open). Material: when it was served (end = start). */
  startedAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  address: string;
  userAgent: string;
  /** Live: main or sub stream. Recording: the segment's file name. */
  detail: string | null;
  /** A recording: the stretch of time its segment holds. */
  recordedFrom: Date | null;
  recordedTo: Date | null;
}

export interface InvestigationAnswer {
  from: Date;
  to: Date;
  camera?: CameraLabel;
  person?: PersonContact;
  rows: WatchRecord[];
  /** The answer hit the row cap: narrow the period. */
  truncated: boolean;
}

export interface Period {
  from: Date;
  to: Date;
}

const personOfDeleted = (id: string): PersonContact => ({ id, username: '', fullName: id, position: '', phone: '', email: '', status: 'REMOVED', organizationId: '', organization: '' });
const cameraOfDeleted = (id: string): CameraLabel => ({ id, name: id, facility: null });

function kindOf(details: Record<string, unknown>): WatchKind {
  const purpose = details.purpose;
  if (purpose === 'recording') return 'recording';
  if (purpose === 'snapshot' || purpose === 'motion snapshot') return 'snapshot';
  return 'other';
}

const cameraOf = (s: ServedRow) => (s.target?.startsWith('camera:') ? s.target.slice('camera:'.length) : '');

function dateOr(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export class ViewInvestigation {
  readonly #repo: InvestigationRepository;
  readonly #access: InvestigationAccess;
  readonly #audit: AuditLog;
  /** One verification at a time: parallel askers share it (it walks the whole chain). */
  #verifying?: Promise<VerifyResult>;

  constructor(repo: InvestigationRepository, access: InvestigationAccess, audit: AuditLog) {
    this.#repo = repo;
    this.#access = access;
    this.#audit = audit;
  }

  /** The caller as a scope administrator; anyone else is told the route does not exist. */
  async #investigator(caller: Investigator): Promise<{ admin: Subject; audits: (cameraId: string) => Promise<boolean> }> {
    const admin = await this.#access.subject(caller.userId);
    const now = new Date();
    if (!admin || !holdsRole(admin, 'SCOPE_ADMIN', now)) {
      throw new AppError(ErrorCode.NotFound, 'no such route');
    }
    const verdicts = new Map<string, Promise<boolean>>();
    // A removed camera has no place: only an administrator of the whole nation answers for it.
    const audits = (cameraId: string) => {
      let v = verdicts.get(cameraId);
      if (!v) {
        v = this.#access.placeOfCamera(cameraId).then((place) => decideAuthority(admin, place ?? {}, now).allow);
        verdicts.set(cameraId, v);
      }
      return v;
    };
    return { admin, audits };
  }

  /** Everyone who watched the camera during the period, live or through its material of that time. */
  async byCamera(caller: Investigator, cameraId: string, period: Period): Promise<InvestigationAnswer> {
    const { audits } = await this.#investigator(caller);
    if (!(await audits(cameraId))) throw new AppError(ErrorCode.NotFound, 'no such camera');
    const [live, served] = await Promise.all([
      this.#repo.liveViews({ cameraId, ...period }),
      this.#repo.served({ cameraId, from: period.from }),
    ]);
    // Material counts when it shows the period: a recording whose segment overlaps it (played
    // whenever), anything else served during it (a snapshot is a picture of its moment).
    const relevant = served.filter((s) => {
      const d = (s.details ?? {}) as Record<string, unknown>;
      const recFrom = dateOr(d.recordedFrom);
      if (kindOf(d) === 'recording' && recFrom) return recFrom <= period.to && (dateOr(d.recordedTo) ?? recFrom) >= period.from;
      return s.at <= period.to;
    });
    const [answer, label] = await Promise.all([this.#compose(live, relevant, period), this.#repo.cameras([cameraId]).then((m) => m.get(cameraId))]);
    // A removed camera is still asked about by its id (its views outlive it); an id nobody ever watched is unknown.
    if (!label && answer.rows.length === 0) throw new AppError(ErrorCode.NotFound, 'no such camera');
    await this.#audit.append({ actorId: caller.userId, action: 'audit.query', target: `camera:${cameraId}`, address: caller.address, details: { from: period.from.toISOString(), to: period.to.toISOString(), rows: answer.rows.length } });
    return { ...answer, camera: label ?? cameraOfDeleted(cameraId) };
  }

  /** Everything the person watched during the period, on cameras inside the caller's scope. */
  async byPerson(caller: Investigator, userId: string, period: Period): Promise<InvestigationAnswer> {
    const { admin, audits } = await this.#investigator(caller);
    const [live, served, orgUnits] = await Promise.all([
      this.#repo.liveViews({ userId, ...period }),
      this.#repo.served({ userId, ...period }),
      this.#repo.organizationUnits(userId),
    ]);
    if (orgUnits === undefined) throw new AppError(ErrorCode.NotFound, 'no such person');
    const liveIn = await filterAsync(live, (v) => audits(v.cameraId));
    const servedIn = await filterAsync(served, (s) => audits(cameraOf(s)));
    // Someone outside the caller's scope who watched nothing inside it stays unknown to them.
    const personInScope = decideAuthority(admin, orgUnits ? { units: orgUnits } : {}, new Date()).allow;
    if (!personInScope && liveIn.length === 0 && servedIn.length === 0) throw new AppError(ErrorCode.NotFound, 'no such person');
    const answer = await this.#compose(liveIn, servedIn, period);
    await this.#audit.append({ actorId: caller.userId, action: 'audit.query', target: `user:${userId}`, address: caller.address, details: { from: period.from.toISOString(), to: period.to.toISOString(), rows: answer.rows.length } });
    return { ...answer, person: (await this.#repo.people([userId])).get(userId) ?? personOfDeleted(userId) };
  }

  async #compose(live: Awaited<ReturnType<InvestigationRepository['liveViews']>>, served: ServedRow[], period: Period): Promise<InvestigationAnswer> {
    const userIds = new Set([...live.map((v) => v.userId), ...served.flatMap((s) => (s.actorId ? [s.actorId] : []))]);
    const cameraIds = new Set([...live.map((v) => v.cameraId), ...served.map(cameraOf)]);
    const [people, cameras] = await Promise.all([this.#repo.people([...userIds]), this.#repo.cameras([...cameraIds].filter((id) => id !== ''))]);
    const person = (id: string | null) => (id && people.get(id)) || personOfDeleted(id ?? '');
    const camera = (id: string) => cameras.get(id) ?? cameraOfDeleted(id);
    const rows: WatchRecord[] = [
      ...live.map((v): WatchRecord => ({
        kind: 'live', person: person(v.userId), camera: camera(v.cameraId), startedAt: v.startedAt, endedAt: v.endedAt, endReason: v.endReason,
        address: v.address, userAgent: v.userAgent, detail: v.stream, recordedFrom: null, recordedTo: null,
      })),
      ...served.map((s): WatchRecord => {
        const d = (s.details ?? {}) as Record<string, unknown>;
        const kind = kindOf(d);
        return {
          kind, person: person(s.actorId), camera: camera(cameraOf(s)), startedAt: s.at, endedAt: s.at, endReason: null,
          address: s.address ?? '', userAgent: '', detail: typeof d.segment === 'string' ? d.segment : typeof d.purpose === 'string' ? d.purpose : null,
          recordedFrom: dateOr(d.recordedFrom), recordedTo: dateOr(d.recordedTo),
        };
      }),
    ].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    return { ...period, rows, truncated: live.length >= INVESTIGATION_ROW_CAP || served.length >= INVESTIGATION_ROW_CAP };
  }

  /** Records that an answer left the system as a file. */
  async recordExport(caller: Investigator, target: string, format: 'xlsx' | 'pdf', answer: InvestigationAnswer): Promise<void> {
    await this.#audit.append({ actorId: caller.userId, action: 'audit.export', target, address: caller.address, details: { format, from: answer.from.toISOString(), to: answer.to.toISOString(), rows: answer.rows.length } });
  }

  /** Does the audit chain verify? For any scope administrator (the answer is only as good as the log). */
  async verifyChain(caller: Investigator): Promise<VerifyResult> {
    await this.#investigator(caller);
    this.#verifying ??= this.#audit.verify().finally(() => (this.#verifying = undefined));
    return this.#verifying;
  }
}

async function filterAsync<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const verdicts = await Promise.all(items.map(keep));
  return items.filter((_, i) => verdicts[i]);
}
