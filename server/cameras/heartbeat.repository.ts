// The monitoring nodes' heartbeat rows, and what a dead node leaves to others: 'unknown' health
// rows for the streams it ingested, and its open view sessions closed, both at its last beat.
// Only this file touches MonitorHeartbeat.
import type { PrismaClient } from '../db/generated/client.js';

export const CRASH_REASON = 'server stopped unexpectedly';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface Recovery {
  /** 'unknown' rows written. */
  recovered: number;
  /** Open view sessions closed. */
  viewsClosed: number;
  lastBeat: Date;
}

export class HeartbeatRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /**
   * Starts this node's run. When its previous run ended without a clean stop (and no other node
   * has recovered it yet), it is recovered now: see #recover. Rows recorded before nodes were
   * named count as this node's (a single node's history).
   */
  async begin(nodeId: string, now: Date): Promise<Partial<Recovery>> {
    return this.#prisma.$transaction(async (tx) => {
      const previous = await tx.monitorHeartbeat.findUnique({ where: { nodeId } });
      const recovery = previous && !previous.stopped ? await this.#recover(tx, nodeId, previous.beatAt, true) : undefined;
      await tx.monitorHeartbeat.upsert({
        where: { nodeId },
        create: { nodeId, startedAt: now, beatAt: now, stopped: false },
        update: { startedAt: now, beatAt: now, stopped: false },
      });
      return recovery ?? {};
    });
  }

  /**
   * Other nodes silent since before `cutoff` without a clean stop are dead: each is recovered
   * once, by whichever live node gets to it first (the row is claimed by a conditional update).
   */
  async recoverDead(selfId: string, cutoff: Date): Promise<Array<Recovery & { nodeId: string }>> {
    const dead = await this.#prisma.monitorHeartbeat.findMany({ where: { stopped: false, beatAt: { lt: cutoff }, nodeId: { not: selfId } }, select: { nodeId: true } });
    const out: Array<Recovery & { nodeId: string }> = [];
    for (const { nodeId } of dead) {
      const recovery = await this.#prisma.$transaction(async (tx) => {
        const claimed = await tx.$queryRaw<Array<{ beatAt: Date }>>`
          UPDATE "MonitorHeartbeat" SET "stopped" = true
          WHERE "nodeId" = ${nodeId} AND "stopped" = false AND "beatAt" < ${cutoff}
          RETURNING "beatAt"`;
        return claimed[0] ? this.#recover(tx, nodeId, claimed[0].beatAt, false) : undefined;
      });
      if (recovery) out.push({ nodeId, ...recovery });
    }
    return out;
  }

  /**
   * What a dead node leaves: every stream whose last recorded state at the node's death is the
   * node's (and not 'unknown') gets an 'unknown' row at the node's last beat (or at its own last row, if that is
   * later), so the dead time is unmonitored in the 24/7 report rather than the camera's last
   * state, and only for the cameras that node ingested; its open view sessions end there too.
   */
  async #recover(tx: Tx, nodeId: string, lastBeat: Date, legacy: boolean): Promise<Recovery> {
    // Each stream's last row as of the node's death: rows other nodes wrote since (a camera
    // taken over) come after the 'unknown' written here, and do not hide that it was this node's.
    const last = await tx.$queryRaw<Array<{ cameraId: string; stream: string; state: string; at: Date; nodeId: string | null }>>`
      SELECT DISTINCT ON ("cameraId", "stream") "cameraId"::text AS "cameraId", "stream", "state", "at", "nodeId"
      FROM "CameraHealthEvent"
      WHERE "at" <= ${lastBeat} OR "nodeId" = ${nodeId}
      ORDER BY "cameraId", "stream", "at" DESC, "id" DESC`;
    const open = last.filter((r) => r.state !== 'unknown' && (r.nodeId === nodeId || (legacy && r.nodeId === null)));
    let recovered = 0;
    if (open.length > 0) {
      ({ count: recovered } = await tx.cameraHealthEvent.createMany({
        data: open.map((r) => ({
          cameraId: r.cameraId, stream: r.stream, state: 'unknown', reason: CRASH_REASON, nodeId,
          at: r.at > lastBeat ? r.at : lastBeat,
        })),
      }));
    }
    const viewsClosed = legacy
      ? await tx.$executeRaw`
          UPDATE "ViewSession" SET "endedAt" = GREATEST("startedAt", ${lastBeat}), "endReason" = ${CRASH_REASON}
          WHERE ("nodeId" = ${nodeId} OR "nodeId" IS NULL) AND "endedAt" IS NULL`
      : await tx.$executeRaw`
          UPDATE "ViewSession" SET "endedAt" = GREATEST("startedAt", ${lastBeat}), "endReason" = ${CRASH_REASON}
          WHERE "nodeId" = ${nodeId} AND "endedAt" IS NULL`;
    return { recovered, viewsClosed, lastBeat };
  }

  async beat(nodeId: string, now: Date): Promise<void> {
    await this.#prisma.monitorHeartbeat.update({ where: { nodeId }, data: { beatAt: now } });
  }

  /** A clean stop: the next start has nothing to recover. */
  async end(nodeId: string, now: Date): Promise<void> {
    await this.#prisma.monitorHeartbeat.update({ where: { nodeId }, data: { beatAt: now, stopped: true } });
  }
}
