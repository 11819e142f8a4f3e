// Reads on the view decision's hot path, past the ORM: the person and the camera's place that
// every consume is decided on. Through Prisma's query pipeline the same statement took p50
// 0.52 / p99 1.5-3.4 ms on this machine; straight through the driver, 0.25 / 0.6 ms
// (docs/performance.md). Everything else goes through Prisma, as before.
import pg from 'pg';
import type { PrismaClient } from './generated/client.js';
import { moduleLogger } from '../logger.js';

const log = moduleLogger('db');

export interface SqlReader {
  /** The rows of one read-only statement with $1… placeholders. */
  rows<T>(text: string, values: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * On PostgreSQL: a small pool of its own. Its idle connections dropped by the server (a
 * restart, an administrator's terminate) are an error event, never an exception.
 */
export function poolReader(url: string, max = 4): SqlReader {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => log.warn({ err: err.message }, 'an idle read connection was dropped'));
  return {
    rows: async <T>(text: string, values: readonly unknown[]) => (await pool.query(text, values as unknown[])).rows as T[],
    close: () => pool.end(),
  };
}

/**
 * On the embedded database: through Prisma's one connection. PGlite is one session; a second
 * connection would interleave with a transaction of the first (see Database.open).
 */
export function prismaReader(prisma: PrismaClient): SqlReader {
  return {
    rows: <T>(text: string, values: readonly unknown[]) => prisma.$queryRawUnsafe<T[]>(text, ...values),
    close: async () => undefined,
  };
}
