// Incidents and their comments in the database. Lists never carry the snapshot bytes.
import type { PrismaClient } from '../db/generated/client.js';
import type { IncidentCategory } from '../db/generated/enums.js';

const summary = {
  id: true, cameraId: true, cameraName: true, facilityId: true, category: true, note: true, occurredAt: true,
  createdAt: true, status: true, resolvedAt: true, resolution: true,
  facility: { select: { name: true, unit: { select: { path: true } } } },
  createdBy: { select: { id: true, fullName: true } },
  resolvedBy: { select: { fullName: true } },
  _count: { select: { comments: true } },
} as const;

export class IncidentRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  create(data: { cameraId: string; cameraName: string; facilityId: string | null; category: IncidentCategory; note: string; occurredAt: Date; createdById: string }) {
    return this.#prisma.incident.create({ data, select: summary });
  }

  /** Stores the snapshot once; false when the incident already has one (or is gone). */
  async attachSnapshot(id: string, jpeg: Uint8Array): Promise<boolean> {
    // A copy on its own ArrayBuffer (a Buffer may be a view into a shared pool).
    const { count } = await this.#prisma.incident.updateMany({ where: { id, snapshot: null }, data: { snapshot: new Uint8Array(jpeg) } });
    return count === 1;
  }

  get(id: string) {
    return this.#prisma.incident.findUnique({ where: { id }, select: summary });
  }

  async hasSnapshot(id: string): Promise<boolean> {
    return (await this.#prisma.incident.count({ where: { id, NOT: { snapshot: null } } })) === 1;
  }

  snapshot(id: string) {
    return this.#prisma.incident.findUnique({ where: { id }, select: { snapshot: true, cameraId: true, createdById: true } });
  }

  comments(incidentId: string) {
    return this.#prisma.incidentComment.findMany({
      where: { incidentId },
      orderBy: { createdAt: 'asc' },
      select: { id: true, body: true, createdAt: true, author: { select: { id: true, fullName: true } } },
    });
  }

  /**
   * Incidents that happened in [from, to) on one of `visibleTo.cameraIds` or filed by
   * `visibleTo.userId`, newest first, optionally of one facility and status.
   */
  list(q: { from: Date; to: Date; facilityId?: string; status?: 'OPEN' | 'RESOLVED'; visibleTo: { userId: string; cameraIds: string[] }; limit: number }) {
    return this.#prisma.incident.findMany({
      where: {
        occurredAt: { gte: q.from, lt: q.to },
        OR: [{ cameraId: { in: q.visibleTo.cameraIds } }, { createdById: q.visibleTo.userId }],
        ...(q.facilityId ? { facilityId: q.facilityId } : {}),
        ...(q.status ? { status: q.status } : {}),
      },
      orderBy: { occurredAt: 'desc' },
      take: q.limit,
      select: summary,
    });
  }

  /** Names of administrative units by id (the places incidents lie in). */
  async unitNames(ids: string[]): Promise<Map<string, string>> {
    const rows = ids.length ? await this.#prisma.adminUnit.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true } }) : [];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** With the snapshots (for the PDF export). */
  snapshots(ids: string[]) {
    return this.#prisma.incident.findMany({ where: { id: { in: ids }, NOT: { snapshot: null } }, select: { id: true, snapshot: true } });
  }

  addComment(incidentId: string, authorId: string, body: string) {
    return this.#prisma.incidentComment.create({
      data: { incidentId, authorId, body },
      select: { id: true, body: true, createdAt: true, author: { select: { id: true, fullName: true } } },
    });
  }

  /** Resolves an open incident; false when it was resolved meanwhile. */
  async resolve(id: string, resolvedById: string, resolution: string): Promise<boolean> {
    const { count } = await this.#prisma.incident.updateMany({ where: { id, status: 'OPEN' }, data: { status: 'RESOLVED', resolvedById, resolvedAt: new Date(), resolution } });
    return count === 1;
  }
}

export type IncidentSummary = NonNullable<Awaited<ReturnType<IncidentRepository['get']>>>;
