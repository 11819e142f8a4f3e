// The signed-in person's tokens, kept in sessionStorage (gone when the tab closes): a
// short-lived access token for the signaling handshake and a refresh token to renew it.
import { ApiError } from './api.js';

export interface Session {
  accessToken: string;
  refreshToken: string;
  fullName: string;
  /** The account name (shown in the watermark with the full name). */
  username?: string;
}

const KEY = 'giamsat.session';

export function currentSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

function save(s: Session | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export type SignInResult =
  | { kind: 'session'; session: Session }
  | { kind: 'totp-required' }
  | { kind: 'enroll'; enrollmentToken: string; secret: string; uri: string };

function sessionFrom(json: { accessToken: string; refreshToken: string; user: { fullName: string; username: string } }): Session {
  const s = { accessToken: json.accessToken, refreshToken: json.refreshToken, fullName: json.user.fullName, username: json.user.username };
  save(s);
  return s;
}

/** Password (and, when asked for, the authenticator code) -> a session, or the next step. */
export async function signIn(username: string, password: string, totp?: string): Promise<SignInResult> {
  const res = await post('/api/auth/login', totp ? { username, password, totp } : { username, password });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (json.error?.code === 'TOTP_REQUIRED') return { kind: 'totp-required' };
    throw new ApiError(res.status, json.error?.code, json.error?.message ?? res.statusText);
  }
  if (json.totpEnrollment) return { kind: 'enroll', ...json.totpEnrollment };
  return { kind: 'session', session: sessionFrom(json) };
}

/** Completes the second-factor enrolment with the first code from the app. */
export async function enrollTotp(enrollmentToken: string, code: string): Promise<Session> {
  const res = await post('/api/auth/totp', { enrollmentToken, code });
  const json = await res.json();
  if (!res.ok) throw new ApiError(res.status, json.error?.code, json.error?.message ?? res.statusText);
  return sessionFrom(json);
}

/** Seconds until the access token expires (from its `exp` claim; the browser only reads it). */
export function accessTokenLifetime(s: Session | undefined = currentSession()): number | undefined {
  try {
    const payload = JSON.parse(atob(s!.accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    return payload.exp === undefined ? undefined : payload.exp - Date.now() / 1000;
  } catch {
    return undefined;
  }
}

let renewalTimer: number | undefined;
/**
 * Renews the access token a minute before it expires, again and again, so API calls and
 * socket reconnections never meet an expired token; `onEnded` runs when renewal is refused.
 */
export function keepSessionFresh(onEnded: () => void): void {
  window.clearTimeout(renewalTimer);
  const left = accessTokenLifetime();
  if (left === undefined) return;
  renewalTimer = window.setTimeout(() => {
    void renew().then((s) => (s ? keepSessionFresh(onEnded) : currentSession() ? keepSessionFresh(onEnded) : onEnded()));
  }, Math.max(5, left - 60) * 1000);
}

const renewedListeners = new Set<(s: Session) => void>();
/** Runs `listener` after every renewal (the signaling connection hands the new token on). */
export function onSessionRenewed(listener: (s: Session) => void): () => void {
  renewedListeners.add(listener);
  return () => renewedListeners.delete(listener);
}

let renewing: Promise<Session | undefined> | undefined;
/**
 * Renews the access token; undefined (and signed out) when the refresh token is no longer
 * valid. One renewal at a time: a refresh token works once, so a second concurrent use
 * would be refused and end the session.
 */
export function renew(): Promise<Session | undefined> {
  renewing ??= renewOnce().finally(() => (renewing = undefined));
  return renewing;
}

async function renewOnce(): Promise<Session | undefined> {
  const s = currentSession();
  if (!s) return undefined;
  const res = await post('/api/auth/refresh', { refreshToken: s.refreshToken }).catch(() => undefined);
  if (!res?.ok) {
    if (res && res.status === 401) save(undefined);
    return undefined;
  }
  const json = await res.json();
  const next = { ...s, accessToken: json.accessToken, refreshToken: json.refreshToken };
  save(next);
  for (const listener of renewedListeners) listener(next);
  return next;
}

export async function signOut(): Promise<void> {
  const s = currentSession();
  save(undefined);
  if (s) await post('/api/auth/logout', { refreshToken: s.refreshToken }).catch(() => undefined);
}
