// Access decisions: may this person watch this camera now (every consume asks, at the moment
// it is made), which of these cameras may they see (one set decision behind every list), and
// their standing over places and duties. Decisions read the database through a per-person
// cache and a camera-place index that every change through this node invalidates; time limits
// (assignment expiry, spot-check end) are evaluated at decision time, so a cached person still
// loses access the moment a limit passes. Sign-in lives in SignIn, administration in
// AccessAdmin, screens' read models in AccessScreens; access-room.ts puts them together.
import type { ChangeOrigin } from '../util/change-origin.js';
import { EventEmitter } from 'node:events';
import { AppError, ErrorCode } from '../errors.js';
import { moduleLogger } from '../logger.js';
import type { AuditLog } from '../audit/AuditLog.js';
import type { AccessRepository } from './access.repository.js';
import { decideAuthority, decideDuty, decideView, holdsDuty, holdsRoleAt, type Subject } from './policy.js';
import { holdsPermission, Permission } from './permissions.js';
import type { DutyScope, Place } from '../places/place.js';
import type { Duty } from './roles.js';
import { LocalRepeatThrottle, type RepeatThrottle } from '../util/repeat-throttle.js';

const log = moduleLogger('access');

/**
 * Sign-in attempts that may fail within a window, per account and per client address
 * (counted in the database, in-flight attempts included, so parallel attempts cannot pass).
 */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perAccount: 5, perAddress: 20 } as const;
/** How long a cached person or camera place is trusted without a change through this node. */
export const CACHE_TTL_MS = 2000;
/**
 * The same, when every change made on another node is announced at once (a cluster bus): the
 * cache is then only the fallback for an announcement lost while the bus was away, which a
 * resync makes up for.
 */
export const ANNOUNCED_CACHE_TTL_MS = 30_000;
/**
 * How long the index of every camera's place (set decisions: lists, trees, walls) is trusted
 * without a change through this node. A view itself is always decided on the camera's own,
 * fresher place (CACHE_TTL_MS).
 */
export const PLACE_INDEX_TTL_MS = 10_000;

export interface LoginResult {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; username: string; fullName: string };
}

/** Answer to a password check when the second factor still has to be enrolled. */
export interface TotpEnrollment {
  totpEnrollment: { enrollmentToken: string; secret: string; uri: string };
}

export interface AccessOptions {
  totp: 'required' | 'off';
  /**
   * How long a cached person or camera place is trusted, asked at each lookup: CACHE_TTL_MS,
   * or ANNOUNCED_CACHE_TTL_MS while every change made elsewhere is announced to this node.
   */
  cacheTtlMs?: () => number;
}

export interface AccessServiceEvents {
  /**
   * A person's access changed ('*': everyone's, after places moved): their open views must be
   * re-checked now. `origin`: made through this node, or announced by another.
   */
  changed: [userId: string, origin: ChangeOrigin];
}

/** Who is calling the API, and from where (for the audit trail). */
export interface Caller {
  userId: string;
  address: string;
}

/** Someone watching (a signaling viewer, a plugin's caller): who, and from where. */
export interface Watcher {
  id: string;
  address: string;
}

/** A view started or ended, as signaling reports it. */
export interface ViewRecord {
  type: 'start' | 'end';
  viewer: Watcher & { userAgent: string };
  cameraId: string;
  stream: 'main' | 'sub';
  consumerId: string;
  reason?: string;
}

export class AccessService extends EventEmitter<AccessServiceEvents> {
  readonly repo: AccessRepository;
  readonly #audit: AuditLog;
  readonly #subjects = new Map<string, { value: Promise<Subject | undefined>; at: number }>();
  readonly #places = new Map<string, { value: Promise<Place | undefined>; at: number }>();
  #placeIndex: { value: Promise<Map<string, Place>>; at: number } | undefined;
  /** Refused views are audited once per person and camera a minute, with the repeats counted. */
  readonly #denials: RepeatThrottle;
  /** consumerId -> ViewSession id, for closing the right row. */
  readonly #views = new Map<string, Promise<string | undefined>>();

  readonly #ttl: () => number;

  constructor(repo: AccessRepository, audit: AuditLog, cacheTtlMs: () => number = () => CACHE_TTL_MS, denials: RepeatThrottle = new LocalRepeatThrottle()) {
    super();
    this.repo = repo;
    this.#audit = audit;
    this.#ttl = cacheTtlMs;
    this.#denials = denials;
  }

  subject(userId: string): Promise<Subject | undefined> {
    return cached(this.#subjects, userId, this.#ttl(), () => this.repo.subject(userId));
  }

  placeOfCamera(cameraId: string): Promise<Place | undefined> {
    return cached(this.#places, cameraId, this.#ttl(), () => this.repo.placeOfCamera(cameraId));
  }

  async #mayView(userId: string, cameraId: string) {
    // Neither cached (a person's first view, a camera nobody watched lately): one statement reads both.
    if (!fresh(this.#subjects, userId, this.#ttl()) && !fresh(this.#places, cameraId, this.#ttl())) {
      const both = this.repo.subjectAndPlace(userId, cameraId);
      cached(this.#subjects, userId, this.#ttl(), () => both.then((b) => b.subject));
      cached(this.#places, cameraId, this.#ttl(), () => both.then((b) => b.place));
    }
    const [subject, place] = await Promise.all([this.subject(userId), this.placeOfCamera(cameraId)]);
    if (!subject || !place) return { allow: false as const, reason: 'no-grant' as const };
    return decideView(subject, place, new Date());
  }

  async authorizeView(viewer: Watcher, cameraId: string, _stream?: 'main' | 'sub', purpose?: string): Promise<void> {
    const d = await this.#mayView(viewer.id, cameraId);
    if (d.allow) return;
    const repeated = await this.#denials.note(`${viewer.id}:${cameraId}`);
    if (repeated !== undefined) {
      const details = { reason: d.reason, ...(purpose ? { purpose } : {}), ...(repeated > 0 ? { repeatedUnrecorded: repeated } : {}) };
      this.#audit.record({ actorId: viewer.id, action: 'access.denied', target: `camera:${cameraId}`, address: viewer.address, details });
    }
    // "Not allowed" looks exactly like "not found".
    throw new AppError(ErrorCode.NotFound, 'no such camera');
  }

  /** May this person watch the camera now (for rooms other than signaling: incidents). */
  /** Is a live DENY over this camera (a person's own material on it is hidden from them too)? */
  async deniedOn(userId: string, cameraId: string): Promise<boolean> {
    const d = await this.#mayView(userId, cameraId);
    return !d.allow && d.reason === 'denied';
  }

  async canView(userId: string, cameraId: string): Promise<boolean> {
    return (await this.#mayView(userId, cameraId)).allow;
  }

  async isActive(viewer: Watcher): Promise<boolean> {
    return (await this.repo.userById(viewer.id))?.status === 'ACTIVE';
  }

  async mayStillView(viewer: Watcher, cameraId: string): Promise<boolean> {
    return this.canView(viewer.id, cameraId);
  }

  async visibleCameras<T extends { id: string }>(viewer: Watcher, cameras: T[]): Promise<T[]> {
    const allowed = await this.visibleSet(viewer.id, cameras.map((c) => c.id));
    return cameras.filter((c) => allowed.has(c.id));
  }

  /**
   * The one set decision: of `cameraIds` (every camera when absent), those the person may
   * watch now. One read of the person and the place index, then the policy in memory.
   */
  async visibleSet(userId: string, cameraIds?: Iterable<string>): Promise<Set<string>> {
    const [subject, places] = await Promise.all([this.subject(userId), this.#cameraPlaces()]);
    const out = new Set<string>();
    if (!subject || subject.status !== 'ACTIVE') return out;
    const now = new Date();
    // Without rules naming single cameras, cameras of one facility share one answer: decided
    // once per facility (5k) instead of once per camera (20k).
    const perCamera = subject.assignments.some((a) => a.scopeType === 'CAMERA') || subject.spotChecks.some((c) => c.cameraIds.length > 0);
    const byFacility = new Map<string, boolean>();
    for (const id of cameraIds ?? places.keys()) {
      const place = places.get(id);
      if (!place) continue;
      let allow: boolean | undefined;
      if (!perCamera && place.facilityId) {
        allow = byFacility.get(place.facilityId);
        if (allow === undefined) byFacility.set(place.facilityId, (allow = decideView(subject, place, now).allow));
      } else {
        allow = decideView(subject, place, now).allow;
      }
      if (allow) out.add(id);
    }
    return out;
  }

  /** Every camera's place, from the index (lists that judge many cameras at once: the registry's). */
  cameraPlaces(): Promise<ReadonlyMap<string, Place>> {
    return this.#cameraPlaces();
  }

  #cameraPlaces(): Promise<Map<string, Place>> {
    const now = Date.now();
    if (this.#placeIndex && now - this.#placeIndex.at < PLACE_INDEX_TTL_MS) return this.#placeIndex.value;
    const value = this.repo.cameraPlaces();
    const entry = { value, at: now };
    this.#placeIndex = entry;
    value.catch(() => { if (this.#placeIndex === entry) this.#placeIndex = undefined; });
    return value;
  }

  /** The wall is theirs: a live viewing role, or the inspector's (who watch through spot checks). */
  async mayWatchAnything(viewer: Watcher): Promise<boolean> {
    const subject = await this.subject(viewer.id);
    return subject !== undefined && holdsPermission(subject, Permission.Watch, new Date());
  }

  /** Records view starts and ends (ViewSession rows and audit entries). */
  recordView(e: ViewRecord): void {
    if (e.type === 'start') {
      const id = this.repo.startView({ userId: e.viewer.id, cameraId: e.cameraId, stream: e.stream, address: e.viewer.address, userAgent: e.viewer.userAgent })
        .then((r) => r.id, (err: Error) => {
          log.error({ err: err.message }, 'cannot record view start');
          return undefined;
        });
      this.#views.set(e.consumerId, id);
      this.#audit.record({ actorId: e.viewer.id, action: 'view.start', target: `camera:${e.cameraId}`, address: e.viewer.address, details: { stream: e.stream, consumer: e.consumerId } });
      return;
    }
    const pending = this.#views.get(e.consumerId);
    this.#views.delete(e.consumerId);
    void pending?.then(async (id) => {
      if (id) await this.repo.endView(id, e.reason ?? 'closed');
    }).catch((err: Error) => log.error({ err: err.message }, 'cannot record view end'));
    const action = e.reason === 'access revoked' ? 'view.revoked' : 'view.end';
    this.#audit.record({ actorId: e.viewer.id, action, target: `camera:${e.cameraId}`, address: e.viewer.address, details: { stream: e.stream, consumer: e.consumerId, reason: e.reason ?? 'closed' } });
  }

  // ---- changes --------------------------------------------------------------------------------

  /** Forgets cached data of a person and has their open views re-checked. */
  invalidate(userId: string, origin: ChangeOrigin = 'local'): void {
    this.#subjects.delete(userId);
    this.emit('changed', userId, origin);
  }

  invalidateCamera(cameraId: string): void {
    this.#places.delete(cameraId);
    this.#placeIndex = undefined;
  }

  /** Units or facilities moved: every cached camera place is stale, and open views are checked again. */
  placesChanged(origin: ChangeOrigin = 'local'): void {
    this.#places.clear();
    this.#placeIndex = undefined;
    this.#subjects.clear();
    this.emit('changed', '*', origin);
  }

  /**
   * May the person use what `permission` guards (a route, a page)? A refusal is recorded, at
   * most once a minute per person and route (repeats are counted into the next record).
   */
  async permits(caller: Caller, permission: Permission, route: { name: string; path: string }): Promise<boolean> {
    const subject = await this.subject(caller.userId);
    if (subject && holdsPermission(subject, permission, new Date())) return true;
    const repeated = await this.#denials.note(`${caller.userId}:${route.name}`);
    if (repeated !== undefined) {
      // The path as asked (ids in it name what was reached for); bounded, as a hostile client sends it.
      const details = { permission, path: route.path.slice(0, 200), ...(repeated > 0 ? { repeatedUnrecorded: repeated } : {}) };
      this.#audit.record({ actorId: caller.userId, action: 'route.denied', target: `route:${route.name}`, address: caller.address, details });
    }
    return false;
  }

  /** Is the person an active scope administrator over `place` ({} = the nation)? */
  async administers(userId: string, place: Place): Promise<boolean> {
    return (await this.authorityOf(userId)).administers(place);
  }

  /** A facility's place (and whether it is retired), for administration; undefined for unknown ids. */
  placeOfFacility(facilityId: string): Promise<(Place & { retired: boolean }) | undefined> {
    return this.repo.placeOfFacility(facilityId);
  }

  /** The person's standing over places (administrator, installer), read once for many places. */
  async authorityOf(userId: string): Promise<{ administers(place: Place): boolean; installs(place: Place): boolean }> {
    const subject = await this.repo.subject(userId);
    const now = new Date();
    return {
      administers: (place) => subject !== undefined && decideAuthority(subject, place, now).allow,
      installs: (place) => subject !== undefined && holdsRoleAt(subject, 'INSTALLER', place, now),
    };
  }

  /**
   * What the caller may see while performing `duty`: a predicate over places, and whether
   * they may see who watches (audit authority). NotFound for someone without the duty.
   */
  async dutyScope(caller: Caller, duty: Duty): Promise<DutyScope> {
    const subject = await this.subject(caller.userId);
    const now = new Date();
    if (!subject || !holdsDuty(subject, duty, now)) throw new AppError(ErrorCode.NotFound, 'no such route');
    return {
      covers: (place) => decideDuty(subject, duty, place, now),
      audits: (place) => decideAuthority(subject, place, now).allow,
    };
  }
}

/** Whether `cache` holds a value for `key` younger than `ttlMs`. */
function fresh<T>(cache: Map<string, { value: Promise<T>; at: number }>, key: string, ttlMs: number): boolean {
  const hit = cache.get(key);
  return hit !== undefined && Date.now() - hit.at < ttlMs;
}

/**
 * The cached promise for `key`, loading it once per `ttlMs`; a failed load is forgotten.
 * Changes made through this node invalidate at once, and so do changes another node announces
 * (a cluster bus); the TTL bounds how long a change made elsewhere and not announced goes
 * unseen here.
 */
function cached<T>(cache: Map<string, { value: Promise<T>; at: number }>, key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < ttlMs) return hit.value;
  const value = load();
  cache.set(key, { value, at: now });
  value.catch(() => cache.delete(key));
  return value;
}
