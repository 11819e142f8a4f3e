// RTSP authentication (RFC 2617 as RTSP cameras use it): Basic, and Digest with MD5 or
// MD5-sess, with or without qop=auth.
import { createHash, randomBytes } from 'node:crypto';

export interface Challenge {
  scheme: 'basic' | 'digest';
  params: Record<string, string>;
}

/** Parses WWW-Authenticate header values (one challenge per value, as cameras send them). */
export function parseChallenges(values: string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(value);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'basic' && scheme !== 'digest') continue;
    const params: Record<string, string> = {};
    const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
    for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
    out.push({ scheme, params });
  }
  return out;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The Authorization header value for one request. `nc` counts uses of the nonce (from 1). */
export function authorizationFor(c: Challenge, method: string, uri: string, username: string, password: string, nc: number, cnonce = randomBytes(8).toString('hex')): string {
  if (c.scheme === 'basic') return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const { realm = '', nonce = '', opaque, algorithm } = c.params;
  const qop = c.params.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  let ha1 = md5(`${username}:${realm}:${password}`);
  if (algorithm?.toLowerCase() === 'md5-sess') ha1 = md5(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = md5(`${method}:${uri}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = qop ? md5(`${ha1}:${nonce}:${ncHex}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
  const parts = [`username=${q(username)}`, `realm=${q(realm)}`, `nonce=${q(nonce)}`, `uri=${q(uri)}`, `response=${q(response)}`];
  if (algorithm) parts.push(`algorithm=${algorithm}`);
  if (opaque !== undefined) parts.push(`opaque=${q(opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${ncHex}`, `cnonce=${q(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}
