// The database: PostgreSQL when a URL is configured, otherwise the embedded one
// (PGlite, PostgreSQL compiled to WASM, on a thread of its own and served on a loopback port so
// that Prisma's pg adapter and the migrations talk to it exactly as to a real server).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';
import { moduleLogger } from '../logger.js';
import { EmbeddedDatabase } from './embedded.js';
import { applyMigrations } from './migrations.js';
import { poolReader, prismaReader, type SqlReader } from './sql-reader.js';

const log = moduleLogger('db');

export interface DatabaseOptions {
  /** PostgreSQL URL; absent: embedded PGlite in `dataDir`. */
  url?: string;
  dataDir: string;
}

export class Database {
  readonly prisma: PrismaClient;
  readonly url: string;
  readonly embedded: boolean;
  /** The hot path's reads past the ORM (server/db/sql-reader.ts). */
  readonly reader: SqlReader;
  readonly #local?: EmbeddedDatabase;
  #closed = false;

  private constructor(prisma: PrismaClient, url: string, local?: EmbeddedDatabase) {
    this.prisma = prisma;
    this.url = url;
    this.embedded = local !== undefined;
    this.reader = local ? prismaReader(prisma) : poolReader(url);
    this.#local = local;
  }

  /** Opens (and for the embedded database, starts) the database and applies pending migrations. */
  static async open(options: DatabaseOptions): Promise<Database> {
    let url = options.url;
    let local: EmbeddedDatabase | undefined;
    if (!url) {
      const dir = path.join(options.dataDir, 'pglite');
      fs.mkdirSync(dir, { recursive: true });
      local = await EmbeddedDatabase.start(dir);
      url = `postgresql://postgres@${local.conn}/postgres?sslmode=disable`;
      log.info({ dir, conn: local.conn }, 'embedded database (PGlite) started');
    }
    try {
      await migrate(url);
    } catch (err) {
      await local?.close();
      throw err;
    }
    // PGlite is one session underneath: with several pooled connections, a transaction on one
    // interleaves with queries of another and answers get mixed up (seen: "portal does not
    // exist", empty results). One connection serializes them, as PGlite would anyway.
    const adapter = new PrismaPg({ connectionString: url, max: local ? 1 : 10 });
    const prisma = new PrismaClient({ adapter });
    await prisma.$connect();
    return new Database(prisma, url, local);
  }

  /**
   * Runs `fn` while holding a lock that every node on this database shares (a PostgreSQL advisory
   * lock named `name`): the start-up seeds are idempotent but not atomic, and nodes started
   * together would race them into unique-constraint failures. The embedded database has one node.
   */
  async exclusively<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.embedded) return fn();
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
      await client.end();
    }
  }

  /** Cheap liveness probe for /readyz. */
  async ping(): Promise<boolean> {
    try {
      await this.prisma.$queryRaw`SELECT 1`;
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.reader.close();
    await this.prisma.$disconnect();
    await this.#local?.close();
  }
}

/** Where the committed migrations are. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma', 'migrations');

async function migrate(url: string): Promise<void> {
  const t0 = Date.now();
  const applied = await applyMigrations(url, MIGRATIONS_DIR);
  log.info({ ms: Date.now() - t0, applied }, 'database migrations up to date');
}
