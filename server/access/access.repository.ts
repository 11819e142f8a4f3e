// The only code that reads and writes accounts, role assignments, spot checks, refresh
// tokens and view sessions.
import type { PrismaClient } from '../db/generated/client.js';
import { prismaReader, type SqlReader } from '../db/sql-reader.js';
import type { FacilityKind, Role, ScopeType, UserStatus } from '../db/generated/enums.js';
import type { Place } from '../places/place.js';
import type { Subject } from './policy.js';

export interface UserRecord {
  id: string;
  username: string;
  fullName: string;
  position: string;
  phone: string;
  email: string;
  organizationId: string;
  status: UserStatus;
  passwordHash: string | null;
  totpSecretEnc: string | null;
  totpLastStep: number | null;
}

export class AccessRepository {
  readonly #prisma: PrismaClient;
  readonly #reader: SqlReader;
  readonly #nodeId: string | null;

  /**
   * `reader`: the view decision's reads (Database.reader); through Prisma when absent.
   * `nodeId`: the node whose views this records (a crashed node's open views are closed for it).
   */
  constructor(prisma: PrismaClient, reader: SqlReader = prismaReader(prisma), nodeId?: string) {
    this.#prisma = prisma;
    this.#reader = reader;
    this.#nodeId = nodeId ?? null;
  }

  userByUsername(username: string): Promise<UserRecord | null> {
    return this.#prisma.user.findUnique({ where: { username } });
  }

  userById(id: string): Promise<UserRecord | null> {
    return this.#prisma.user.findUnique({ where: { id } });
  }

  /** A person as the policy sees them (status, live assignments, spot checks not yet over), in one round trip. */
  async subject(userId: string): Promise<Subject | undefined> {
    if (!UUID.test(userId)) return undefined;
    const rows = await this.#reader.rows<{ subject: RawSubject | null }>(`SELECT ${SUBJECT_SQL(1)} AS subject`, [userId]);
    return rows[0]?.subject ? toSubject(rows[0].subject) : undefined;
  }

  /** A camera's place, in one round trip; undefined for an unknown camera. */
  async placeOfCamera(cameraId: string): Promise<Place | undefined> {
    if (!UUID.test(cameraId)) return undefined;
    const rows = await this.#reader.rows<{ place: RawPlace | null }>(`SELECT ${PLACE_SQL(1)} AS place`, [cameraId]);
    return rows[0]?.place ? toPlace(rows[0].place) : undefined;
  }

  /**
   * A person and a camera's place in one statement: what a view decision reads when neither is
   * cached (one round trip instead of two in parallel, whose slower one set the tail).
   */
  async subjectAndPlace(userId: string, cameraId: string): Promise<{ subject: Subject | undefined; place: Place | undefined }> {
    if (!UUID.test(userId) || !UUID.test(cameraId)) return { subject: await this.subject(userId), place: await this.placeOfCamera(cameraId) };
    const rows = await this.#reader.rows<{ subject: RawSubject | null; place: RawPlace | null }>(`SELECT ${SUBJECT_SQL(1)} AS subject, ${PLACE_SQL(2)} AS place`, [userId, cameraId]);
    const r = rows[0];
    return { subject: r?.subject ? toSubject(r.subject) : undefined, place: r?.place ? toPlace(r.place) : undefined };
  }

  /** Every camera's place, in one round trip: the set decisions' index. */
  async cameraPlaces(): Promise<Map<string, Place>> {
    const rows = await this.#reader.rows<RawPlace>(`
      SELECT c.id, f.id AS "facilityId", f.kind::text AS kind, u.path::text[] AS path
      FROM "Camera" c LEFT JOIN "Facility" f ON f.id = c."facilityId" LEFT JOIN "AdminUnit" u ON u.id = f."unitId"`, []);
    return new Map(rows.map((r) => [r.id, toPlace(r)]));
  }

  /** The place a scope denotes; undefined when the id does not exist. */
  async placeOfScope(scopeType: ScopeType, scopeId: string | null): Promise<Place | undefined> {
    if (scopeType === 'NATION') return {};
    if (!scopeId) return undefined;
    switch (scopeType) {
      case 'UNIT': {
        const u = await this.#prisma.adminUnit.findUnique({ where: { id: scopeId }, select: { path: true } });
        return u ? { units: u.path } : undefined;
      }
      case 'FACILITY': {
        const f = await this.#prisma.facility.findUnique({ where: { id: scopeId }, select: { id: true, kind: true, unit: { select: { path: true } } } });
        return f ? { units: f.unit.path, facilityId: f.id, facilityKind: f.kind } : undefined;
      }
      case 'CAMERA':
        return this.placeOfCamera(scopeId);
    }
  }

  /** A facility's place, and whether it is retired; undefined when the id does not exist. */
  async placeOfFacility(id: string): Promise<(Place & { retired: boolean }) | undefined> {
    const f = await this.#prisma.facility.findUnique({ where: { id }, select: { id: true, kind: true, retiredAt: true, unit: { select: { path: true } } } });
    return f ? { units: f.unit.path, facilityId: f.id, facilityKind: f.kind, retired: f.retiredAt !== null } : undefined;
  }

  createAssignment(data: { userId: string; role: Role; scopeType: ScopeType; scopeId: string | null; effect: 'ALLOW' | 'DENY'; grantedById: string; expiresAt: Date | null }) {
    return this.#prisma.roleAssignment.create({ data });
  }

  assignment(id: string) {
    return this.#prisma.roleAssignment.findUnique({ where: { id } });
  }

  revokeAssignment(id: string, by: string) {
    return this.#prisma.roleAssignment.update({ where: { id }, data: { revokedAt: new Date(), revokedById: by } });
  }

  setStatus(userId: string, status: UserStatus) {
    return this.#prisma.user.update({ where: { id: userId }, data: { status } });
  }

  createSpotCheck(data: { inspectorId: string; facilityId: string | null; cameraIds: string[]; startsAt: Date; endsAt: Date; reason: string; createdById: string }) {
    return this.#prisma.spotCheck.create({ data });
  }

  storeRefresh(userId: string, tokenHash: string, expiresAt: Date, familyId: string) {
    return this.#prisma.refreshToken.create({ data: { userId, tokenHash, expiresAt, familyId } });
  }

  /** Revokes the refresh token (sign-out); returns its row if it was valid until now. */
  async consumeRefresh(tokenHash: string) {
    const now = new Date();
    const { count } = await this.#prisma.refreshToken.updateMany({ where: { tokenHash, revokedAt: null, expiresAt: { gt: now } }, data: { revokedAt: now } });
    return count === 1 ? this.#prisma.refreshToken.findUnique({ where: { tokenHash } }) : null;
  }

  /**
   * Exchanges a refresh token (marks it used). `valid`: it was good until now. `reused`: it had
   * been exchanged before, so someone holds a copy. Null: unknown, expired or revoked.
   */
  async rotateRefresh(tokenHash: string): Promise<{ valid: { userId: string; familyId: string } } | { reused: { userId: string; familyId: string } } | null> {
    const now = new Date();
    const { count } = await this.#prisma.refreshToken.updateMany({ where: { tokenHash, revokedAt: null, expiresAt: { gt: now } }, data: { revokedAt: now, usedAt: now } });
    const row = await this.#prisma.refreshToken.findUnique({ where: { tokenHash }, select: { userId: true, familyId: true, usedAt: true } });
    if (!row) return null;
    if (count === 1) return { valid: row };
    return row.usedAt ? { reused: row } : null;
  }

  /** Revokes every live token of a family; answers how many were live. */
  async revokeFamily(familyId: string): Promise<number> {
    return (await this.#prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } })).count;
  }

  /** Of these sign-ins (refresh-token families), those holding a live token (not used, revoked or expired). */
  async liveFamilies(familyIds: string[]): Promise<Set<string>> {
    if (!familyIds.length) return new Set();
    const rows = await this.#prisma.refreshToken.findMany({
      where: { familyId: { in: [...new Set(familyIds)] }, revokedAt: null, expiresAt: { gt: new Date() } },
      select: { familyId: true },
      distinct: ['familyId'],
    });
    return new Set(rows.map((r) => r.familyId));
  }

  /** The family of a live refresh token of this person. */
  async refreshFamily(tokenHash: string, userId: string): Promise<string | undefined> {
    const row = await this.#prisma.refreshToken.findFirst({ where: { tokenHash, userId, revokedAt: null }, select: { familyId: true } });
    return row?.familyId;
  }

  /** Replaces a password; every other session of the person ends (their refresh tokens but `keepFamily`'s). */
  async setPassword(userId: string, passwordHash: string, keepFamily: string | undefined) {
    await this.#prisma.$transaction([
      this.#prisma.user.update({ where: { id: userId }, data: { passwordHash } }),
      this.#prisma.refreshToken.updateMany({ where: { userId, revokedAt: null, ...(keepFamily ? { NOT: { familyId: keepFamily } } : {}) }, data: { revokedAt: new Date() } }),
    ]);
  }

  revokeAllRefresh(userId: string) {
    return this.#prisma.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  startView(data: { userId: string; cameraId: string; stream: string; address: string; userAgent: string }) {
    return this.#prisma.viewSession.create({ data: { ...data, nodeId: this.#nodeId }, select: { id: true } });
  }

  endView(id: string, reason: string) {
    return this.#prisma.viewSession.updateMany({ where: { id, endedAt: null }, data: { endedAt: new Date(), endReason: reason } });
  }

  /** The active national scope administrators (live role, active account). */
  nationalAdmins(now: Date) {
    return this.#prisma.user.findMany({
      where: {
        status: 'ACTIVE',
        assignments: { some: { role: 'SCOPE_ADMIN', scopeType: 'NATION', effect: 'ALLOW', revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } },
      },
      select: { id: true, username: true, fullName: true },
    });
  }

  /**
   * Creates a national scope administrator with a one-time activation token and no password,
   * in one transaction; the organization is found by name or created. Undefined when the
   * username is taken (an existing account is never touched).
   */
  async createNationalAdmin(person: { username: string; fullName: string; position: string; phone: string; email: string; organization: string }, activation: { hash: string; expiresAt: Date }) {
    return this.#prisma.$transaction(async (tx) => {
      if (await tx.user.findUnique({ where: { username: person.username }, select: { id: true } })) return undefined;
      const org = await tx.organization.findUnique({ where: { name: person.organization } })
        ?? await tx.organization.create({ data: { name: person.organization, kind: 'MOH_IT_DEPARTMENT' } });
      const { organization: _, ...fields } = person;
      const user = await tx.user.create({
        data: { ...fields, organizationId: org.id, status: 'ACTIVE', activationHash: activation.hash, activationExpiresAt: activation.expiresAt },
      });
      await tx.roleAssignment.create({ data: { userId: user.id, role: 'SCOPE_ADMIN', scopeType: 'NATION', scopeId: null } });
      return user;
    });
  }

  /** Records a TOTP step as used; false if it (or a later one) was used already (replay). */
  async useTotpStep(userId: string, step: number, secretEnc?: string): Promise<boolean> {
    const { count } = await this.#prisma.user.updateMany({
      where: { id: userId, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
      data: { totpLastStep: step, ...(secretEnc ? { totpSecretEnc: secretEnc } : {}) },
    });
    return count === 1;
  }

  /**
   * What the places tree shows of `ids`: each camera with its facility (by camera name), and
   * every unit on those facilities' paths. One statement (the tree is asked for on every page
   * open of the wall, the recordings and the incidents).
   */
  async treeRows(ids: string[]): Promise<{ cameras: TreeCamera[]; units: Array<{ id: string; name: string; level: string; parentId: string | null }> }> {
    if (!ids.length) return { cameras: [], units: [] };
    const [row] = await this.#reader.rows<{ cameras: Array<{ id: string; name: string; facilityId: string | null; facilityName: string | null; kind: FacilityKind | null; siteType: string | null; path: string[] | null }> | null; units: Array<{ id: string; name: string; level: string; parentId: string | null }> | null }>(`
      WITH cams AS (
        SELECT c.id, c.name, f.id AS "facilityId", f.name AS "facilityName", f.kind::text AS kind, f."siteType"::text AS "siteType", u.path
        FROM "Camera" c LEFT JOIN "Facility" f ON f.id = c."facilityId" LEFT JOIN "AdminUnit" u ON u.id = f."unitId"
        WHERE c.id = ANY($1::uuid[]))
      SELECT (SELECT json_agg(cams ORDER BY cams.name) FROM cams) AS cameras,
        (SELECT json_agg(json_build_object('id', a.id, 'name', a.name, 'level', a.level, 'parentId', a."parentId"))
          FROM "AdminUnit" a WHERE a.id IN (SELECT unnest(path) FROM cams)) AS units`, [ids]);
    return {
      cameras: (row?.cameras ?? []).map((r) => ({
        id: r.id, name: r.name,
        facility: r.facilityId ? { id: r.facilityId, name: r.facilityName!, kind: r.kind!, siteType: r.siteType, unit: { path: r.path ?? [] } } : null,
      })),
      units: row?.units ?? [],
    };
  }

  /** Cameras that are in one of `facilityIds` or listed in `cameraIds`, by name. */
  camerasIn(facilityIds: string[], cameraIds: string[]) {
    return this.#prisma.camera.findMany({
      where: { OR: [{ facilityId: { in: facilityIds } }, { id: { in: cameraIds } }] },
      select: { id: true, facilityId: true },
      orderBy: { name: 'asc' },
    });
  }

  cancelSpotCheck(id: string) {
    return this.#prisma.spotCheck.updateMany({ where: { id, cancelledAt: null }, data: { cancelledAt: new Date() } });
  }

  spotCheck(id: string) {
    return this.#prisma.spotCheck.findUnique({ where: { id } });
  }

  organizationKind(id: string) {
    return this.#prisma.organization.findUnique({ where: { id }, select: { kind: true } });
  }

  /** The place of a person's organization: its unit, or the nation for national bodies. */
  async organizationPlace(userId: string): Promise<Place> {
    const u = await this.#prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { organization: { select: { unit: { select: { path: true } } } } } });
    return u.organization.unit ? { units: u.organization.unit.path } : {};
  }

  /** Names, levels and parents of the given units (for drawing the places tree). */
  units(ids: string[]) {
    return this.#prisma.adminUnit.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, level: true, depth: true, parentId: true } });
  }

  /** A person's saved video wall, if any. */
  wall(userId: string) {
    return this.#prisma.wallLayout.findUnique({ where: { userId }, select: { layout: true, tiles: true, updatedAt: true } });
  }

  saveWall(userId: string, layout: number, tiles: Array<string | null>) {
    return this.#prisma.wallLayout.upsert({
      where: { userId },
      create: { userId, layout, tiles },
      update: { layout, tiles },
      select: { layout: true, tiles: true, updatedAt: true },
    });
  }

  /** Spot checks of an inspector that have not ended (running or still to come), soonest first. */
  openSpotChecks(inspectorId: string, now: Date) {
    return this.#prisma.spotCheck.findMany({
      where: { inspectorId, cancelledAt: null, endsAt: { gt: now } },
      orderBy: { startsAt: 'asc' },
      take: 100,
      select: { id: true, facilityId: true, cameraIds: true, startsAt: true, endsAt: true, reason: true, facility: { select: { name: true } } },
    });
  }

  /** A person's own record: their roles newest first (revoked ones too), each with who granted it. */
  profile(userId: string) {
    return this.#prisma.user.findUniqueOrThrow({
      where: { id: userId },
      select: {
        id: true, username: true, fullName: true, position: true, phone: true, email: true, status: true,
        organization: { select: { id: true, name: true, kind: true } },
        assignments: {
          orderBy: { grantedAt: 'desc' },
          take: 100,
          select: {
            id: true, role: true, scopeType: true, scopeId: true, effect: true, expiresAt: true, revokedAt: true, grantedAt: true,
            grantedBy: { select: { fullName: true, position: true, phone: true, email: true, organization: { select: { name: true } } } },
          },
        },
      },
    });
  }

  /** Display names of scopes (administrative units, facilities, cameras) by id. */
  async scopeNames(ids: string[]): Promise<Map<string, string>> {
    const where = { id: { in: [...new Set(ids)] } };
    const select = { id: true, name: true } as const;
    const rows = ids.length === 0 ? [] : (await Promise.all([
      this.#prisma.adminUnit.findMany({ where, select }),
      this.#prisma.facility.findMany({ where, select }),
      this.#prisma.camera.findMany({ where, select }),
    ])).flat();
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface RawAssignment { id: string; role: Role; scopeType: ScopeType; scopeId: string | null; effect: 'ALLOW' | 'DENY'; expiresAt: string | null }
interface RawSpotCheck { id: string; facilityId: string | null; cameraIds: string[]; startsAt: string; endsAt: string }
interface RawPlace { id: string; facilityId: string | null; kind: FacilityKind | null; path: string[] | null }

/** A camera as the places tree shows it: with its facility, or none (the nation's). */
export interface TreeCamera {
  id: string;
  name: string;
  facility: { id: string; name: string; kind: FacilityKind; siteType: string | null; unit: { path: string[] } } | null;
}

interface RawSubject { id: string; status: Subject['status']; assignments: RawAssignment[]; spotChecks: RawSpotCheck[] }

/** A person (the uuid parameter $n) as one JSON value: status, live (unrevoked) assignments, spot checks not yet over. */
const SUBJECT_SQL = (n: number) => `(
  SELECT json_build_object('id', u.id, 'status', u.status::text,
    'assignments', COALESCE((SELECT json_agg(json_build_object('id', a.id, 'role', a.role, 'scopeType', a."scopeType", 'scopeId', a."scopeId", 'effect', a.effect, 'expiresAt', a."expiresAt"))
      FROM "RoleAssignment" a WHERE a."userId" = u.id AND a."revokedAt" IS NULL), '[]'::json),
    'spotChecks', COALESCE((SELECT json_agg(json_build_object('id', s.id, 'facilityId', s."facilityId", 'cameraIds', s."cameraIds", 'startsAt', s."startsAt", 'endsAt', s."endsAt"))
      FROM "SpotCheck" s WHERE s."inspectorId" = u.id AND s."cancelledAt" IS NULL AND s."endsAt" > now()), '[]'::json))
  FROM "User" u WHERE u.id = $${n}::uuid)`;

/** A camera's place (the uuid parameter $n) as one JSON value (null for an unknown camera). */
const PLACE_SQL = (n: number) => `(
  SELECT json_build_object('id', c.id, 'facilityId', f.id, 'kind', f.kind::text, 'path', u.path)
  FROM "Camera" c LEFT JOIN "Facility" f ON f.id = c."facilityId" LEFT JOIN "AdminUnit" u ON u.id = f."unitId"
  WHERE c.id = $${n}::uuid)`;

function toSubject(u: RawSubject): Subject {
  return {
    userId: u.id,
    status: u.status,
    assignments: u.assignments.map((a) => ({ ...a, expiresAt: a.expiresAt === null ? null : new Date(a.expiresAt), revokedAt: null })),
    spotChecks: u.spotChecks.map((c) => ({ ...c, startsAt: new Date(c.startsAt), endsAt: new Date(c.endsAt), cancelledAt: null })),
  };
}

function toPlace(r: RawPlace): Place {
  return r.facilityId ? { cameraId: r.id, facilityId: r.facilityId, facilityKind: r.kind!, units: r.path ?? [] } : { cameraId: r.id };
}
