// socket.io's Redis streams adapter: a push one node makes to a room (a camera's health and
// clock, from the node that ingests it) reaches that room's viewers on every node. Streams, not
// pub/sub: each node reads the stream from its last offset, so a Redis restart loses nothing
// that was added, and what a node pushes while Redis is away waits in the client's queue (at
// most MAX_QUEUED commands: past that a push is dropped, not memory).
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { moduleLogger } from '../logger.js';
import { closeRedisClient, connectWithin, redactUrl, type RedisClient } from './redis-client.js';
import { createClient } from 'redis';

const log = moduleLogger('cluster');

/** Commands one adapter connection holds while Redis is away. */
export const MAX_QUEUED = 10_000;

export interface SignalingAdapter {
  /** For socket.io's Server options. */
  readonly adapter: ReturnType<typeof createAdapter>;
  close(): Promise<void>;
}

export async function signalingAdapter(o: { url: string; name: string; nodeId: string }): Promise<SignalingAdapter> {
  let closed = false;
  // Unlike the bus's clients this one queues while Redis is away (bounded): the adapter's reader
  // would otherwise spin on refused reads, and pushes made meanwhile would be lost.
  const client: RedisClient = createClient({
    url: o.url,
    name: `${o.name}:${o.nodeId}:signaling`.replace(/[^A-Za-z0-9._:-]/g, '-'),
    commandsQueueMaxLength: MAX_QUEUED,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000) },
  });
  client.on('error', (err: Error) => {
    if (!closed) log.warn({ role: 'signaling', err: err.message }, 'Redis connection failed; retrying');
  });
  try {
    await connectWithin([client], 5000);
  } catch (err) {
    closed = true;
    await closeRedisClient(client);
    throw new Error(`cannot reach Redis for the cluster (${redactUrl(o.url)}): ${(err as Error).message}`);
  }
  const adapter = createAdapter(client, { streamName: `${o.name}:signaling`, maxLen: 10_000 });
  return {
    adapter,
    close: async () => {
      closed = true;
      await closeRedisClient(client);
    },
  };
}
