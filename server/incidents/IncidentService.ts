// Incidents: what a supervisor saw on a camera, filed from a tile with the frame they
// captured, then seen, discussed and resolved by the monitors in scope.
//
// Who sees an incident: whoever may watch its camera now (the one access rule, so a facility
// leader sees their facility's, a provincial monitor their province's), and its filer (an
// inspector keeps sight of what they filed after their spot check ends). Commenting takes
// the same; resolving takes watching the camera now. Everything is audited; "not allowed"
// answers like "not found".
import type { IncidentCategory } from '../db/generated/enums.js';
import type { AuditLog } from '../audit/AuditLog.js';
import { AppError, ErrorCode } from '../errors.js';
import type { IncidentRepository, IncidentSummary } from './incident.repository.js';

export const INCIDENT_CATEGORIES = ['PERSON_LEFT_ROOM', 'MISSING_MASK', 'UNAUTHORISED_VISITOR', 'STAFF_PROTOCOL_BREACH', 'CAMERA_TAMPERING', 'OTHER'] as const satisfies readonly IncidentCategory[];

/** What incidents need from access control (the access room implements it). */
export interface IncidentAccess {
  /** May this person watch the camera now? */
  mayView(userId: string, cameraId: string): Promise<boolean>;
  /** The cameras this person may watch now (the ids a list is narrowed to before it is read). */
  viewableCameras(userId: string): Promise<string[]>;
  /** The camera's facility now (undefined for an unknown camera). */
  facilityOf(cameraId: string): Promise<{ facilityId: string | null } | undefined>;
  /** Is this person denied this camera (a DENY over it)? Their own filings on it are hidden too. */
  deniedOn(userId: string, cameraId: string): Promise<boolean>;
  /** Did this person watch the camera within `slackMs` of that moment (live, or a recording of it)? */
  watched(userId: string, cameraId: string, at: Date, slackMs: number): Promise<boolean>;
  /** Counts one filing attempt of this person; false past their allowance (shared by every node). */
  mayFile(userId: string): Promise<boolean>;
}

/** Filings one person may make in an hour: an incident is a person's report, not a feed. */
export const FILING_LIMIT = { perHour: 60 } as const;

export interface IncidentCaller {
  userId: string;
  address: string;
}

/** The largest snapshot kept (a 1080p JPEG is well under it). */
export const MAX_SNAPSHOT_BYTES = 1_500_000;
/** How far an incident's moment may lie outside the filer's view of the camera: client clocks drift. */
export const WATCH_SLACK_MS = 120_000;
/** How long after filing its snapshot may be attached. */
const SNAPSHOT_WINDOW_MS = 10 * 60_000;
/** At most this many incidents per list or export. */
export const MAX_LIST = 1000;

export type IncidentView = ReturnType<typeof present>;

/** `units`: names of administrative units by id (IncidentRepository.unitNames). */
function present(i: IncidentSummary, hasSnapshot: boolean, units: ReadonlyMap<string, string>) {
  const path = i.facility?.unit.path ?? [];
  return {
    id: i.id,
    cameraId: i.cameraId,
    cameraName: i.cameraName,
    facilityId: i.facilityId,
    facilityName: i.facility?.name ?? null,
    /** The top-level unit (the province) and the units below it, most local first. */
    provinceName: path.length ? units.get(path[0]!) ?? null : null,
    localUnitName: path.length > 1 ? path.slice(1).reverse().map((id) => units.get(id) ?? '').join(', ') : null,
    category: i.category,
    note: i.note,
    occurredAt: i.occurredAt,
    createdAt: i.createdAt,
    createdBy: { id: i.createdBy.id, fullName: i.createdBy.fullName },
    status: i.status,
    resolvedAt: i.resolvedAt,
    resolvedBy: i.resolvedBy?.fullName ?? null,
    resolution: i.resolution,
    comments: i._count.comments,
    hasSnapshot,
  };
}

export class IncidentService {
  readonly #repo: IncidentRepository;
  readonly #access: IncidentAccess;
  readonly #audit: AuditLog;
  readonly #cameraName: (cameraId: string) => string | undefined;

  #unitNames(rows: IncidentSummary[]): Promise<Map<string, string>> {
    return this.#repo.unitNames(rows.flatMap((r) => r.facility?.unit.path ?? []));
  }

  constructor(deps: { repo: IncidentRepository; access: IncidentAccess; audit: AuditLog; cameraName: (cameraId: string) => string | undefined }) {
    this.#repo = deps.repo;
    this.#access = deps.access;
    this.#audit = deps.audit;
    this.#cameraName = deps.cameraName;
  }

  /** Files an incident on a camera the caller may watch now, about a moment they watched. */
  async file(caller: IncidentCaller, req: { cameraId: string; category: IncidentCategory; note: string; occurredAt: Date }): Promise<IncidentView> {
    // Counted before anything else, refused attempts too: a script cannot fill the list.
    if (!(await this.#access.mayFile(caller.userId))) throw new AppError(ErrorCode.TooManyRequests, `at most ${FILING_LIMIT.perHour} incidents an hour; try again later`);
    const name = this.#cameraName(req.cameraId);
    if (!name || !(await this.#access.mayView(caller.userId, req.cameraId))) throw new AppError(ErrorCode.NotFound, 'no such camera');
    if (req.occurredAt.getTime() > Date.now() + 60_000) throw new AppError(ErrorCode.BadRequest, 'an incident cannot happen in the future');
    // A report of what the filer saw: the moment must lie within their own view of the camera.
    if (!(await this.#access.watched(caller.userId, req.cameraId, req.occurredAt, WATCH_SLACK_MS))) {
      throw new AppError(ErrorCode.BadRequest, 'occurredAt: you were not watching this camera (live or a recording of it) at that moment', { field: 'occurredAt' });
    }
    const place = await this.#access.facilityOf(req.cameraId);
    const row = await this.#repo.create({ ...req, cameraName: name, facilityId: place?.facilityId ?? null, createdById: caller.userId });
    await this.#audit.append({ actorId: caller.userId, action: 'incident.create', target: `incident:${row.id}`, address: caller.address, details: { camera: req.cameraId, category: req.category } });
    return present(row, false, await this.#unitNames([row]));
  }

  /** The filer attaches the frame they captured, once, within minutes of filing. */
  async attachSnapshot(caller: IncidentCaller, id: string, jpeg: Buffer): Promise<void> {
    const incident = await this.#repo.get(id);
    if (!incident || incident.createdBy.id !== caller.userId) throw new AppError(ErrorCode.NotFound, 'no such incident');
    if (Date.now() - incident.createdAt.getTime() > SNAPSHOT_WINDOW_MS) throw new AppError(ErrorCode.InvalidState, 'the snapshot must be attached within 10 minutes of filing');
    if (jpeg.length > MAX_SNAPSHOT_BYTES) throw new AppError(ErrorCode.BadRequest, `a snapshot is at most ${MAX_SNAPSHOT_BYTES} bytes`);
    if (!isJpeg(jpeg)) throw new AppError(ErrorCode.BadRequest, 'a snapshot must be a JPEG image');
    if (!(await this.#repo.attachSnapshot(id, jpeg))) throw new AppError(ErrorCode.Conflict, 'this incident already has a snapshot');
  }

  async #visible(caller: IncidentCaller, id: string): Promise<IncidentSummary> {
    const incident = await this.#repo.get(id);
    if (!incident || !(await this.#sees(caller.userId, incident))) throw new AppError(ErrorCode.NotFound, 'no such incident');
    return incident;
  }

  /** Whoever may watch the camera sees its incidents; the filer sees their own unless denied the camera since. */
  async #sees(userId: string, i: { cameraId: string; createdBy: { id: string } }): Promise<boolean> {
    return i.createdBy.id === userId ? !(await this.#access.deniedOn(userId, i.cameraId)) : this.#access.mayView(userId, i.cameraId);
  }

  async get(caller: IncidentCaller, id: string) {
    const incident = await this.#visible(caller, id);
    const [hasSnapshot, comments] = await Promise.all([this.#repo.hasSnapshot(id), this.#repo.comments(id)]);
    return { ...present(incident, hasSnapshot, await this.#unitNames([incident])), commentList: comments };
  }

  /** The captured frame; serving it is audited like any camera picture. */
  async snapshot(caller: IncidentCaller, id: string): Promise<Buffer> {
    await this.#visible(caller, id);
    const row = await this.#repo.snapshot(id);
    if (!row?.snapshot) throw new AppError(ErrorCode.NotFound, 'this incident has no snapshot');
    this.#audit.record({ actorId: caller.userId, action: 'incident.snapshot', target: `incident:${id}`, address: caller.address, details: { camera: row.cameraId } });
    return Buffer.from(row.snapshot);
  }

  /**
   * Incidents the caller may see that happened in the period. The query itself is narrowed
   * to the caller's cameras and own filings (a cap applied before filtering would let other
   * provinces' incidents crowd a facility leader's out); each row is checked again anyway.
   */
  async list(caller: IncidentCaller, q: { from: Date; to: Date; facilityId?: string; status?: 'OPEN' | 'RESOLVED' }): Promise<IncidentView[]> {
    if (q.to <= q.from) throw new AppError(ErrorCode.BadRequest, '"to" must be after "from"');
    const cameraIds = await this.#access.viewableCameras(caller.userId);
    const rows = await this.#repo.list({ ...q, visibleTo: { userId: caller.userId, cameraIds }, limit: MAX_LIST });
    // One decision per camera and kind of row (own filing or not), however many incidents it has.
    const verdicts = new Map<string, Promise<boolean>>();
    const sees = (i: IncidentSummary) => {
      const key = `${i.createdBy.id === caller.userId ? 'own' : 'any'}:${i.cameraId}`;
      let p = verdicts.get(key);
      if (!p) verdicts.set(key, (p = this.#sees(caller.userId, i)));
      return p;
    };
    const visible = (await Promise.all(rows.map(async (i) => ((await sees(i)) ? i : undefined)))).filter((i): i is IncidentSummary => !!i);
    const withSnapshot = new Set((await this.#repo.snapshots(visible.map((i) => i.id))).map((s) => s.id));
    const units = await this.#unitNames(visible);
    return visible.map((i) => present(i, withSnapshot.has(i.id), units));
  }

  async comment(caller: IncidentCaller, id: string, body: string) {
    await this.#visible(caller, id);
    const c = await this.#repo.addComment(id, caller.userId, body);
    await this.#audit.append({ actorId: caller.userId, action: 'incident.comment', target: `incident:${id}`, address: caller.address, details: { comment: c.id } });
    return c;
  }

  async resolve(caller: IncidentCaller, id: string, resolution: string): Promise<void> {
    const incident = await this.#repo.get(id);
    if (!incident || !(await this.#access.mayView(caller.userId, incident.cameraId))) throw new AppError(ErrorCode.NotFound, 'no such incident');
    if (!(await this.#repo.resolve(id, caller.userId, resolution))) throw new AppError(ErrorCode.InvalidState, 'this incident is already resolved');
    await this.#audit.append({ actorId: caller.userId, action: 'incident.resolve', target: `incident:${id}`, address: caller.address, details: {} });
  }

  /** The rows of an export (the caller's visible incidents), with snapshots when asked; audited. */
  async exportRows(caller: IncidentCaller, q: { from: Date; to: Date; facilityId?: string; status?: 'OPEN' | 'RESOLVED' }, format: 'csv' | 'pdf', withSnapshots: boolean) {
    const rows = await this.list(caller, q);
    const snapshots = withSnapshots ? new Map((await this.#repo.snapshots(rows.map((r) => r.id))).map((s) => [s.id, Buffer.from(s.snapshot!)])) : new Map<string, Buffer>();
    await this.#audit.append({
      actorId: caller.userId, action: 'incident.export', target: q.facilityId ? `facility:${q.facilityId}` : null, address: caller.address,
      details: { format, from: q.from.toISOString(), to: q.to.toISOString(), rows: rows.length },
    });
    return { rows, snapshots };
  }
}

/** JPEG files start with the SOI marker and a segment marker (FF D8 FF). */
function isJpeg(b: Buffer): boolean {
  return b.length > 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}
