// What the nodes of one test cluster share: the database, the three keys, and a cluster name
// of its own on the machine's Redis (so that no test ever sees another test's nodes).
import { randomBytes, randomUUID } from 'node:crypto';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface ClusterSettings {
  databaseUrl: string;
  credentialsKey: string;
  tokenSecret: string;
  audit: { key: string };
  cluster: { redisUrl: string; name: string } & Record<string, unknown>;
}

/** Settings for startTestServer that every node of one cluster shares; `cluster` adds to (or overrides) the cluster's. */
export function clusterSettings(databaseUrl: string, cluster: Record<string, unknown> = {}): ClusterSettings {
  const key = () => randomBytes(32).toString('base64');
  return {
    databaseUrl,
    credentialsKey: key(),
    tokenSecret: key(),
    audit: { key: key() },
    cluster: { redisUrl: REDIS_URL, name: `test-${randomUUID().slice(0, 8)}`, ...cluster },
  };
}
