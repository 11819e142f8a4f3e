// TURN credentials for one viewer (the TURN REST API that coturn implements with
// `use-auth-secret`): the username is "<expiry>:<account>", the password an HMAC-SHA1 of it
// under the secret this server shares with the TURN server. Nothing is stored: the TURN
// server checks the HMAC and refuses a credential past its expiry. The secret never leaves
// the server; the account in the username puts each relayed session in coturn's log.
import { createHmac } from 'node:crypto';

export interface TurnSettings {
  /** turn:/turns: URLs, in the order ICE should fall back to them. */
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

/** What RTCPeerConnection takes as one of its iceServers. */
export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

export function turnCredentials(turn: TurnSettings, accountId: string, now = Date.now()): IceServer[] {
  const expiry = Math.floor(now / 1000) + turn.ttlSeconds;
  const username = `${expiry}:${accountId}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return [{ urls: turn.urls, username, credential }];
}
