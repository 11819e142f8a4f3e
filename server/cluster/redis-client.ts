// One way to open a connection to the cluster's Redis: named after the cluster and the node (an
// operator's CLIENT LIST tells the nodes apart), no offline queue (a command made while Redis is
// away fails at once rather than piling up in memory), reconnecting with a backoff of at most 2 s.
import { createClient } from 'redis';
import { moduleLogger } from '../logger.js';

const log = moduleLogger('cluster');

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisClientOptions {
  url: string;
  /** The cluster's name. */
  name: string;
  nodeId: string;
  /** What the connection is for, in its logs. */
  role: string;
  connectTimeoutMs?: number;
  /** Whether errors are still worth logging (false once the owner closes). */
  live?: () => boolean;
}

export function clusterRedisClient(o: RedisClientOptions): RedisClient {
  const client = createClient({
    url: o.url,
    name: `${o.name}:${o.nodeId}`.replace(/[^A-Za-z0-9._:-]/g, '-'),
    disableOfflineQueue: true,
    socket: { connectTimeout: o.connectTimeoutMs ?? 5000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000) },
  });
  client.on('error', (err: Error) => {
    if (o.live?.() ?? true) log.warn({ role: o.role, err: err.message }, 'Redis connection failed; retrying');
  });
  return client;
}

/**
 * Connects within `timeoutMs`, or fails saying why: the client retries on its own, so a refusal
 * (a wrong password, protected mode's DENIED) would otherwise read as mere silence.
 */
export async function connectWithin(clients: RedisClient[], timeoutMs: number): Promise<void> {
  let lastError: string | undefined;
  const heard = (err: Error) => (lastError = err.message);
  for (const c of clients) c.on('error', heard);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(clients.map((c) => c.connect())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`)), timeoutMs);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
    for (const c of clients) c.off('error', heard);
  }
}

/**
 * Pings the client's Redis every `everyMs` and starts its connection afresh when a ping has no
 * answer within `deadlineMs`. A network that drops packets without a reset leaves every command
 * waiting for as long as TCP retransmits (many minutes; node-redis's command timeout covers
 * only commands not yet written): a node cut off that way would never notice its leases
 * lapsing. Reconnecting fails the commands in flight, and new ones fail at once until Redis
 * answers again. Returns the stop.
 */
export function keepAnswering(client: RedisClient, o: { everyMs: number; deadlineMs: number; role: string }): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !client.isReady) return;
    busy = true;
    let deadline: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (deadline = setTimeout(() => resolve('late'), o.deadlineMs)));
    void Promise.race([client.ping().then(() => 'answered' as const, () => 'failed' as const), late]).then((r) => {
      clearTimeout(deadline);
      if (r !== 'late' || !client.isOpen) return;
      log.warn({ role: o.role, deadlineMs: o.deadlineMs }, 'Redis does not answer; connecting afresh');
      client.destroy();
      client.connect().catch(() => undefined); // the reconnect strategy goes on trying
    }).finally(() => (busy = false));
  }, o.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Quits a client, or cuts it off if it is still trying to reach Redis (a quit would wait for it). */
export async function closeRedisClient(c: RedisClient): Promise<void> {
  try {
    if (c.isReady) await c.quit();
    else if (c.isOpen) c.destroy();
  } catch {
    try {
      c.destroy();
    } catch {
      // already closed
    }
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'an invalid URL';
  }
}
