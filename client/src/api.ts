// Authenticated HTTP calls for pages that read the API: the access token as a bearer, and
// one silent renewal when it has expired.
import { currentSession, renew } from './auth.js';

export class ApiError extends Error {
  /** `details`: what the server added to its error (the problems of a refused list). */
  constructor(readonly status: number, readonly code: string | undefined, message: string, readonly details?: unknown) {
    super(message);
  }
}

async function send(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body === undefined) return fetch(path, { method, headers });
  // A Blob goes as itself (an image), anything else as JSON.
  headers['content-type'] = body instanceof Blob ? body.type : 'application/json';
  return fetch(path, { method, headers, body: body instanceof Blob ? body : JSON.stringify(body) });
}

/** One call; a 401 renews the session once and retries. Throws ApiError for any failure. */
async function call(method: string, path: string, body?: unknown): Promise<Response> {
  let res = await send(method, path, currentSession()?.accessToken, body);
  if (res.status === 401 && (await renew())) res = await send(method, path, currentSession()?.accessToken, body);
  if (!res.ok) {
    const err = await res.json().catch(() => ({})) as { error?: { code?: string; message?: string; details?: unknown } };
    throw new ApiError(res.status, err.error?.code, err.error?.message ?? res.statusText, err.error?.details);
  }
  return res;
}

/** GET `path`. */
export function apiGet(path: string): Promise<Response> {
  return call('GET', path);
}

/** GET `path` as JSON of the given type (the server's answer, trusted as typed). */
export async function apiJson<T>(path: string): Promise<T> {
  return (await call('GET', path)).json() as Promise<T>;
}

/** PUT (or POST, PATCH) a JSON body; answers the JSON reply, if any. */
export async function apiSend<T>(method: 'PUT' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
  const res = await call(method, path, body);
  return res.status === 204 ? undefined : (res.json() as Promise<T>);
}

/**
 * Downloads a file the API makes (an export): fetched with the session's token, saved under
 * the name the server gives (Content-Disposition), or `fallbackName`.
 */
export async function apiDownload(path: string, fallbackName: string): Promise<void> {
  const res = await call('GET', path);
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(await res.blob()), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  // Some browsers read the object URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
