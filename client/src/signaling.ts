// A typed request/acknowledge wrapper over socket.io, derived from the server's protocol.
import { io, type Socket } from 'socket.io-client';
import type { Ack, RequestData, RequestName, ResponseMap, ServerEvents } from '../../server/signaling/protocol.js';

export class RequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export type ClientSocket = Socket<ServerEvents>;

/** Connects with the current access token, read again at every (re)connection. */
export function connect(token: () => string | undefined): ClientSocket {
  const socket = io({ transports: ['websocket'], auth: (cb) => cb({ token: token() }), reconnectionDelayMax: 3000 }) as ClientSocket;
  followCluster(socket);
  return socket;
}

/** What a node may offer as another way in: an http(s) origin, nothing more. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.:[\]-]+$/;

/**
 * In a cluster, the server names the nodes a page may reconnect through (their public origins).
 * When the page's node stops answering, the first retry goes to it again (a restart, a blip),
 * and each further one to the next node in turn: the same sign-in (tokens are valid on every
 * node) and the same page; the wall subscribes again on the new connection.
 */
function followCluster(socket: ClientSocket): void {
  // socket.io's manager opens each attempt at its `uri` (typed private, read at every attempt).
  const manager = socket.io as unknown as { uri: string };
  let nodes: string[] = [];
  socket.on('nodes', ({ urls }) => {
    if (Array.isArray(urls)) nodes = urls.filter((u) => typeof u === 'string' && ORIGIN.test(u)).slice(0, 100);
  });
  socket.io.on('reconnect_attempt', (attempt) => {
    if (attempt < 2) return;
    const ways = [...new Set([location.origin, ...nodes])];
    if (ways.length < 2) return;
    const here = ways.indexOf(new URL(manager.uri, location.href).origin);
    manager.uri = ways[(here + 1) % ways.length]!;
  });
}

/** Sends one request and resolves with its data, or rejects with the server's error. */
export async function request<K extends RequestName>(socket: ClientSocket, name: K, data: RequestData<K>, timeoutMs = 15_000): Promise<ResponseMap[K]> {
  const res = (await (socket as unknown as Socket).timeout(timeoutMs).emitWithAck(name, data)) as Ack<ResponseMap[K]>;
  if (!res.ok) throw new RequestError(res.error.code, res.error.message);
  return res.data;
}
