// Fixed-window counters in the database, shared by every node: sign-in attempts per account
// and per address, account requests per focal point. One atomic upsert counts a hit and
// answers the count, so a burst of parallel requests (on one node or several) cannot all
// read "under the limit" before any of them is counted.
import type { PrismaClient } from '../db/generated/client.js';

export class RateCounters {
  readonly #prisma: PrismaClient;
  #hits = 0;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /**
   * Counts one hit of `key` (or `by`: a list of many requests) and answers the count in its window, this hit included. A window
   * opens at a key's first hit and lasts `windowMs`; the next hit after it opens a new one.
   * Times are the database's (UTC), so nodes with drifting clocks agree.
   */
  async hit(key: string, windowMs: number, by = 1): Promise<number> {
    const seconds = windowMs / 1000;
    const rows = await this.#prisma.$queryRaw<Array<{ count: number }>>`
      INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES (${key}, now() AT TIME ZONE 'UTC', ${by}::int)
      ON CONFLICT ("key") DO UPDATE SET
        "count" = CASE WHEN "RateCounter"."windowStart" <= (now() AT TIME ZONE 'UTC') - make_interval(secs => ${seconds}::float8) THEN ${by}::int ELSE "RateCounter"."count" + ${by}::int END,
        "windowStart" = CASE WHEN "RateCounter"."windowStart" <= (now() AT TIME ZONE 'UTC') - make_interval(secs => ${seconds}::float8) THEN now() AT TIME ZONE 'UTC' ELSE "RateCounter"."windowStart" END
      RETURNING "count"`;
    // Now and then, forget keys whose window ended long ago (a day covers every window used).
    if (++this.#hits % 500 === 0) void this.prune(86_400_000).catch(() => undefined);
    return Number(rows[0]!.count);
  }

  /** Takes back one hit of `key` (the attempt turned out not to count: a right password). */
  async release(key: string): Promise<void> {
    await this.#prisma.$executeRaw`UPDATE "RateCounter" SET "count" = GREATEST("count" - 1, 0) WHERE "key" = ${key}`;
  }

  /** Removes counters whose window began more than `olderThanMs` ago. */
  async prune(olderThanMs: number): Promise<number> {
    return this.#prisma.$executeRaw`DELETE FROM "RateCounter" WHERE "windowStart" < (now() AT TIME ZONE 'UTC') - make_interval(secs => ${olderThanMs / 1000}::float8)`;
  }
}
