// The monitoring node's heartbeat row, and the 'unknown' health rows written for the time a
// node was dead. Only this file touches MonitorHeartbeat.
import type { PrismaClient } from '../db/generated/client.js';

export const CRASH_REASON = 'server stopped unexpectedly';

export class HeartbeatRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /**
   * Starts this node's run. When its previous run ended without a clean stop, every stream
   * whose last recorded state is not 'unknown' gets an 'unknown' row at the last beat (or at
   * its own last row, if that is later): the time the node was dead is then unmonitored in
   * the 24/7 report, not the camera's last state. Returns how many rows that wrote and the
   * last beat of the dead run, if there was one.
   */
  async begin(nodeId: string, now: Date): Promise<{ recovered: number; lastBeat?: Date }> {
    return this.#prisma.$transaction(async (tx) => {
      const previous = await tx.monitorHeartbeat.findUnique({ where: { nodeId } });
      let recovered = 0;
      if (previous && !previous.stopped) {
        const last = await tx.$queryRaw<Array<{ cameraId: string; stream: string; state: string; at: Date }>>`
          SELECT DISTINCT ON ("cameraId", "stream") "cameraId"::text AS "cameraId", "stream", "state", "at"
          FROM "CameraHealthEvent"
          ORDER BY "cameraId", "stream", "at" DESC, "id" DESC`;
        const open = last.filter((r) => r.state !== 'unknown');
        if (open.length > 0) {
          ({ count: recovered } = await tx.cameraHealthEvent.createMany({
            data: open.map((r) => ({
              cameraId: r.cameraId, stream: r.stream, state: 'unknown', reason: CRASH_REASON,
              at: r.at > previous.beatAt ? r.at : previous.beatAt,
            })),
          }));
        }
      }
      await tx.monitorHeartbeat.upsert({
        where: { nodeId },
        create: { nodeId, startedAt: now, beatAt: now, stopped: false },
        update: { startedAt: now, beatAt: now, stopped: false },
      });
      return previous && !previous.stopped ? { recovered, lastBeat: previous.beatAt } : { recovered };
    });
  }

  async beat(nodeId: string, now: Date): Promise<void> {
    await this.#prisma.monitorHeartbeat.update({ where: { nodeId }, data: { beatAt: now } });
  }

  /** A clean stop: the next start has nothing to recover. */
  async end(nodeId: string, now: Date): Promise<void> {
    await this.#prisma.monitorHeartbeat.update({ where: { nodeId }, data: { beatAt: now, stopped: true } });
  }
}
