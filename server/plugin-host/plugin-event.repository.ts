// Plugins' recorded events (camera alerts, motion…): written by the host for a plugin with
// the notify capability. (No reader yet: the client's event list is issue 6's.)
import type { Prisma, PrismaClient } from '../db/generated/client.js';

export class PluginEventRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /** Stores one event; resolves with its time. */
  async record(e: { plugin: string; type: string; cameraId: string | null; details: Record<string, unknown> }): Promise<Date> {
    const row = await this.#prisma.pluginEvent.create({ data: { ...e, details: e.details as Prisma.InputJsonValue }, select: { at: true } });
    return row.at;
  }
}
