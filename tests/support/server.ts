// Starts the whole server in-process on port 0 with a throw-away data directory.
import fs from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { totpCode } from '../../server/access/totp.js';
import { demoTotpSecret } from '../../server/demo/demo-province.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** Closes the server and removes its data directory. */
  stop(): Promise<void>;
}

/** `overrides.dataDir` names the data folder (removed at stop); otherwise a temporary one. */
export async function startTestServer(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const dataDir = typeof overrides.dataDir === 'string' ? overrides.dataDir : fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-test-'));
  const config = loadConfig({
    port: 0,
    host: '127.0.0.1',
    demo: false,
    // The demo province and its named accounts (server/demo/demo-province.ts) in every test.
    demoAccounts: true,
    ...overrides,
    dataDir,
    media: { workers: 2, logLevel: 'error', ...(overrides.media as object | undefined) },
    ingest: { graceMs: 2000, ...(overrides.ingest as object | undefined) },
    // The second factor has its own tests (tests/integration/totp.test.ts); elsewhere it is off.
    auth: { totp: 'off', ...(overrides.auth as object | undefined) },
  });
  const server = await startServer(config);
  return {
    ...server,
    dataDir,
    async stop() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const adminSessions = new WeakMap<RunningServer, { token: string; at: number }>();

/**
 * An access token of the demo's national administrator (quantri-tw), who administers every
 * camera: what the tests register cameras with, as a person would. Renewed well before the
 * token's 10 minutes run out.
 */
export async function adminBearer(server: RunningServer): Promise<string> {
  const held = adminSessions.get(server);
  if (held && Date.now() - held.at < 5 * 60_000) return held.token;
  const token = (await login(server, 'quantri-tw')).accessToken;
  adminSessions.set(server, { token, at: Date.now() });
  return token;
}

/** Adds a camera through the HTTP API, as the national administrator would. */
export async function addCamera(server: RunningServer, body: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.url}/api/cameras`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminBearer(server)}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Resolves when `predicate` holds for the camera's main-stream health (event-driven). */
export function waitForHealth(server: RunningServer, cameraId: string, predicate: (h: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const now = server.cameras.get(cameraId).health;
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.cameras.off('health', on);
      reject(new Error(`camera health did not reach the expected state; last: ${JSON.stringify(server.cameras.get(cameraId).health)}`));
    }, timeoutMs);
    const on = (id: string, stream: string, h: any) => {
      if (id !== cameraId || stream !== 'main' || !predicate(h)) return;
      clearTimeout(timer);
      server.cameras.off('health', on);
      resolve(h);
    };
    server.cameras.on('health', on);
  });
}

/** A signed-in demo person, shaped like the web client's stored session (plus the id). */
export interface TestSession {
  accessToken: string;
  refreshToken: string;
  fullName: string;
  username: string;
  userId: string;
}

/** Signs a demo person in through the API (password: DEMO_PASSWORD); `server` may be a server process's `{ url }`. */
export async function login(server: { url: string }, username: string, password = 'giamsat-demo-2021'): Promise<TestSession> {
  const attempt = (totp?: string) => fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, ...(totp ? { totp } : {}) }),
  });
  let res = await attempt();
  let json = await res.json();
  // Where the second factor is on, the demo account's published secret gives the code.
  if (res.status === 401 && json.error?.code === 'TOTP_REQUIRED') {
    res = await attempt(totpCode(demoTotpSecret(username)));
    json = await res.json();
  }
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(json)}`);
  return { accessToken: json.accessToken, refreshToken: json.refreshToken, fullName: json.user.fullName, username: json.user.username, userId: json.user.id };
}

/** A JSON API call with `token` as the bearer (none when undefined): the status and the parsed body (undefined for 204). */
export async function apiCall(server: { url: string }, token: string | undefined, method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: res.status === 204 ? undefined : await res.json() };
}

/** A connected signaling socket for `token` (no reconnection: a test sees every drop). */
export async function openSocket(server: { url: string }, token: string): Promise<Socket> {
  const s = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token } });
  await new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('connect_error', reject));
  return s;
}
