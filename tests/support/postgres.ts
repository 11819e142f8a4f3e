// A fresh PostgreSQL database per test file on the machine's server (CI runs one on
// 127.0.0.1:5432), dropped afterwards. TEST_POSTGRES_URL points elsewhere.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestPostgres {
  url: string;
  drop(): Promise<void>;
  /** An outage: the database stops taking connections (superusers included) and drops the open ones. */
  refuseConnections(): Promise<void>;
  allowConnections(): Promise<void>;
}

/** Runs one statement as the server's administrator. */
export async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(): Promise<TestPostgres> {
  const name = `giamsat_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    async refuseConnections() {
      await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
    },
    async allowConnections() {
      await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    },
  };
}
