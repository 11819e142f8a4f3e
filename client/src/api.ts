// Authenticated HTTP calls for pages that read the API: the access token as a bearer, and
// one silent renewal when it has expired.
import { currentSession, renew } from './auth.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, message: string) {
    super(message);
  }
}

async function send(path: string, token: string | undefined): Promise<Response> {
  return fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** GET `path`; a 401 renews the session once and retries. Throws ApiError for any failure. */
export async function apiGet(path: string): Promise<Response> {
  let res = await send(path, currentSession()?.accessToken);
  if (res.status === 401 && (await renew())) res = await send(path, currentSession()?.accessToken);
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { error?: { code?: string; message?: string } };
    throw new ApiError(res.status, body.error?.code, body.error?.message ?? res.statusText);
  }
  return res;
}
