// The rows the 24/7 connection report reads: the places tree with its cameras, and the
// main-stream health transitions of a period (with the state each camera was in when the
// period began).
import { Prisma, type PrismaClient } from '../db/generated/client.js';
import type { Transition } from './uptime.js';

export interface ReportFacility {
  id: string;
  name: string;
  kind: 'MILITARY_QUARANTINE' | 'CIVILIAN_QUARANTINE' | 'CHECKPOINT';
  /** The units containing it, top level first. */
  unit: { path: string[] };
  cameras: Array<{ id: string; name: string }>;
}

/** Cameras a query is about: every camera (nation scope), or these. */
export type CameraSet = 'all' | readonly string[];

/** The SQL condition on "cameraId" for a camera set (a national report adds none). */
function cameraCondition(cameras: CameraSet): Prisma.Sql {
  if (cameras === 'all') return Prisma.sql``;
  if (cameras.length === 0) return Prisma.sql`AND false`;
  return Prisma.sql`AND "cameraId"::text IN (${Prisma.join(cameras)})`;
}

export class UptimeRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /** Every facility with its units and cameras (facilities without cameras too). */
  facilities(): Promise<ReportFacility[]> {
    return this.#prisma.facility.findMany({
      select: {
        id: true, name: true, kind: true,
        unit: { select: { path: true } },
        cameras: { select: { id: true, name: true }, orderBy: { name: 'asc' } },
      },
    });
  }

  /** Names, levels and parents of units. */
  units(ids: string[]): Promise<Array<{ id: string; name: string; level: string; depth: number; parentId: string | null }>> {
    return ids.length === 0 ? Promise.resolve([]) : this.#prisma.adminUnit.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, level: true, depth: true, parentId: true } });
  }

  /** Cameras not placed in any facility (visible at nation scope only). */
  unplacedCameras(): Promise<Array<{ id: string; name: string }>> {
    return this.#prisma.camera.findMany({ where: { facilityId: null }, select: { id: true, name: true }, orderBy: { name: 'asc' } });
  }

  /** Each camera's last main-stream state at or before `at`. */
  async statesAt(at: Date, cameras: CameraSet): Promise<Map<string, string>> {
    const rows = await this.#prisma.$queryRaw<Array<{ cameraId: string; state: string }>>`
      SELECT DISTINCT ON ("cameraId") "cameraId"::text AS "cameraId", "state"
      FROM "CameraHealthEvent"
      WHERE "stream" = 'main' AND "at" <= ${at} ${cameraCondition(cameras)}
      ORDER BY "cameraId", "at" DESC, "id" DESC`;
    return new Map(rows.map((r) => [r.cameraId, r.state]));
  }

  /** Each camera's last main-stream failure with a reason at or before `at`. */
  lastFailures(at: Date, cameras: CameraSet): Promise<Transition[]> {
    return this.#prisma.$queryRaw<Transition[]>`
      SELECT DISTINCT ON ("cameraId") "cameraId"::text AS "cameraId", "state", "at", "reason"
      FROM "CameraHealthEvent"
      WHERE "stream" = 'main' AND "at" <= ${at} AND "reason" IS NOT NULL AND "state" IN ('stalled', 'offline') ${cameraCondition(cameras)}
      ORDER BY "cameraId", "at" DESC, "id" DESC`;
  }

  /** Facilities with what the connection drive tracks: expected cameras, deadline, survey. */
  driveFacilities() {
    return this.#prisma.facility.findMany({
      where: { retiredAt: null },
      select: {
        id: true, name: true, kind: true, camerasExpected: true, connectBy: true, surveyStatus: true, surveyNote: true, surveySetAt: true,
        unit: { select: { path: true } },
        cameras: { select: { id: true } },
      },
      orderBy: { name: 'asc' },
    });
  }

  /** Live installer roles (who connects which facility or unit), with the person's name and phone. */
  installers() {
    return this.#prisma.roleAssignment.findMany({
      where: { role: 'INSTALLER', effect: 'ALLOW', revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }], user: { status: 'ACTIVE' } },
      select: { scopeType: true, scopeId: true, user: { select: { fullName: true, phone: true, organization: { select: { name: true } } } } },
    });
  }

  /** When each camera first went live (main stream), for the drive's progress per day. */
  async firstLive(): Promise<Map<string, Date>> {
    const rows = await this.#prisma.$queryRaw<Array<{ cameraId: string; at: Date }>>`
      SELECT "cameraId"::text AS "cameraId", min("at") AS "at" FROM "CameraHealthEvent"
      WHERE "stream" = 'main' AND "state" = 'live' GROUP BY "cameraId"`;
    return new Map(rows.map((r) => [r.cameraId, r.at]));
  }

  /** Main-stream transitions of these cameras in (from, to), in time order. */
  transitions(from: Date, to: Date, cameras: CameraSet): Promise<Transition[]> {
    return this.#prisma.cameraHealthEvent.findMany({
      where: { stream: 'main', at: { gt: from, lt: to }, ...(cameras === 'all' ? {} : { cameraId: { in: [...cameras] } }) },
      select: { cameraId: true, state: true, at: true, reason: true },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
  }
}
