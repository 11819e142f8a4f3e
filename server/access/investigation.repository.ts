// What a leak investigation reads: live view sessions, the audit's record of camera material
// served (recordings, snapshots), and the people and cameras they name. Read-only.
import type { PrismaClient } from '../db/generated/client.js';
import type { UserRecord } from './access.repository.js';

/** At most this many rows of each kind per question: a question wider than that is narrowed. */
export const INVESTIGATION_ROW_CAP = 10_000;

/** A person as an investigation names them: who, how to reach them, and their organization's name. */
export type PersonContact = Pick<UserRecord, 'id' | 'username' | 'fullName' | 'position' | 'phone' | 'email' | 'organizationId'> & {
  status: string;
  organization: string;
};

export interface CameraLabel {
  id: string;
  name: string;
  facility: string | null;
}

export interface LiveViewRow {
  userId: string;
  cameraId: string;
  stream: string;
  startedAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  address: string;
  userAgent: string;
}

/** A `media.access` audit entry: material other than live video served to a person. */
export interface ServedRow {
  seq: bigint;
  at: Date;
  actorId: string | null;
  target: string | null;
  address: string | null;
  details: unknown;
}

export class InvestigationRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /** Live view sessions (of one camera or one person) that overlap [from, to]. */
  liveViews(filter: { cameraId?: string; userId?: string; from: Date; to: Date }): Promise<LiveViewRow[]> {
    return this.#prisma.viewSession.findMany({
      where: {
        ...(filter.cameraId ? { cameraId: filter.cameraId } : {}),
        ...(filter.userId ? { userId: filter.userId } : {}),
        startedAt: { lte: filter.to },
        OR: [{ endedAt: null }, { endedAt: { gte: filter.from } }],
      },
      orderBy: { startedAt: 'asc' },
      take: INVESTIGATION_ROW_CAP,
      select: { userId: true, cameraId: true, stream: true, startedAt: true, endedAt: true, endReason: true, address: true, userAgent: true },
    });
  }

  /**
   * Did this person watch this camera at `at`: a live view open then, or a recording holding
   * that moment served to them (within `slackMs` either side: client clocks drift)?
   */
  async watched(userId: string, cameraId: string, at: Date, slackMs: number): Promise<boolean> {
    const early = new Date(at.getTime() - slackMs);
    const late = new Date(at.getTime() + slackMs);
    const live = await this.#prisma.viewSession.findFirst({
      where: { userId, cameraId, startedAt: { lte: late }, OR: [{ endedAt: null }, { endedAt: { gte: early } }] },
      select: { id: true },
    });
    if (live) return true;
    // A recording is played after it was made: servings from the moment on, newest first.
    const served = await this.#prisma.auditEntry.findMany({
      where: { action: 'media.access', actorId: userId, target: `camera:${cameraId}`, at: { gte: early } },
      orderBy: { seq: 'desc' },
      take: 1000,
      select: { details: true },
    });
    return served.some(({ details }) => {
      const d = details as { recordedFrom?: unknown; recordedTo?: unknown } | null;
      const from = typeof d?.recordedFrom === 'string' ? Date.parse(d.recordedFrom) : NaN;
      const to = typeof d?.recordedTo === 'string' ? Date.parse(d.recordedTo) : NaN;
      return from <= late.getTime() && to >= early.getTime();
    });
  }

  /**
   * Camera material served since `from` (and, for a person, until `to`): for a camera, every
   * serving from `from` on, since a recording of the moment can be played back any time later.
   */
  served(filter: { cameraId?: string; userId?: string; from: Date; to?: Date }): Promise<ServedRow[]> {
    return this.#prisma.auditEntry.findMany({
      where: {
        action: 'media.access',
        ...(filter.cameraId ? { target: `camera:${filter.cameraId}` } : {}),
        ...(filter.userId ? { actorId: filter.userId } : {}),
        at: { gte: filter.from, ...(filter.to ? { lte: filter.to } : {}) },
      },
      orderBy: { seq: 'asc' },
      take: INVESTIGATION_ROW_CAP,
      select: { seq: true, at: true, actorId: true, target: true, address: true, details: true },
    });
  }

  async people(ids: readonly string[]): Promise<Map<string, PersonContact>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#prisma.user.findMany({
      where: { id: { in: [...ids] } },
      select: { id: true, username: true, fullName: true, position: true, phone: true, email: true, status: true, organizationId: true, organization: { select: { name: true } } },
    });
    return new Map(rows.map(({ organization, ...u }) => [u.id, { ...u, organization: organization.name }]));
  }

  async cameras(ids: readonly string[]): Promise<Map<string, CameraLabel>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#prisma.camera.findMany({ where: { id: { in: [...ids] } }, select: { id: true, name: true, facility: { select: { name: true } } } });
    return new Map(rows.map((c) => [c.id, { id: c.id, name: c.name, facility: c.facility?.name ?? null }]));
  }

  /** The place of a person's organization, for "is this person inside the caller's scope". */
  async organizationUnits(userId: string): Promise<readonly string[] | null | undefined> {
    const u = await this.#prisma.user.findUnique({ where: { id: userId }, select: { organization: { select: { unit: { select: { path: true } } } } } });
    if (!u) return undefined;
    return u.organization.unit?.path ?? null;
  }
}
