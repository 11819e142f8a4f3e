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
  return io({ transports: ['websocket'], auth: (cb) => cb({ token: token() }), reconnectionDelayMax: 3000 }) as ClientSocket;
}

/** Sends one request and resolves with its data, or rejects with the server's error. */
export async function request<K extends RequestName>(socket: ClientSocket, name: K, data: RequestData<K>, timeoutMs = 15_000): Promise<ResponseMap[K]> {
  const res = (await (socket as unknown as Socket).timeout(timeoutMs).emitWithAck(name, data)) as Ack<ResponseMap[K]>;
  if (!res.ok) throw new RequestError(res.error.code, res.error.message);
  return res.data;
}
