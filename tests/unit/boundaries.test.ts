// The rooms of server/ and their doors (docs/architecture.md), checked on every import
// statement: a change that reaches through a wall fails here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const server = path.resolve(import.meta.dirname, '../../server');

/** Room -> what its files must not import (room folders, or package names). */
const FORBIDDEN: Record<string, string[]> = {
  media: ['cameras', 'access', 'audit', 'signaling', 'http', 'db', 'demo', 'express', 'socket.io'],
  cameras: ['access', 'audit', 'signaling', 'http', 'demo'],
  // Access knows nothing of signaling or cameras: the ports' adapter is composition (view-veto.ts).
  access: ['media', 'cameras', 'signaling', 'http', 'demo', 'mediasoup', 'express', 'socket.io'],
  audit: ['media', 'cameras', 'access', 'signaling', 'http', 'demo'],
  signaling: ['db', 'http', 'demo', 'express', '@prisma/client'],
  http: ['media', 'signaling', 'db', 'demo', 'mediasoup', 'socket.io'],
  db: ['media', 'cameras', 'access', 'audit', 'signaling', 'http', 'demo'],
  util: ['media', 'cameras', 'access', 'audit', 'signaling', 'http', 'db', 'demo'],
  // Read-only views of the others: their types and public getters, never their routes or sessions.
  observability: ['access', 'signaling', 'http', 'demo', 'express', 'socket.io'],
  // The host hands plugins facades; it never serves HTTP or sockets itself.
  'plugin-host': ['http', 'signaling', 'demo', 'express', 'socket.io'],
  // The places registry (units, facilities, organizations) asks access through its port.
  places: ['media', 'cameras', 'access', 'signaling', 'http', 'demo', 'mediasoup', 'express', 'socket.io'],
  // Incidents ask access through their port (IncidentAccess); they never touch media or HTTP.
  incidents: ['media', 'cameras', 'access', 'signaling', 'http', 'demo', 'mediasoup', 'express', 'socket.io'],
  // The cluster carries changes between the rooms of several nodes, places cameras on nodes and
  // pipes their media through media's door (never mediasoup itself); it serves nothing itself.
  cluster: ['signaling', 'http', 'db', 'demo', 'mediasoup', 'express', 'socket.io'],
};
/** Packages one room alone may import. */
const OWNED: Record<string, string> = { redis: 'cluster' };

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  // Type-only imports count too: a room that needs another's types depends on its design,
  // and is where forbidden arrows used to slip in. Shared vocabulary lives in its own module
  // (places/place.ts), a port in the room that uses it (signaling/access-port.ts).
  return [...text.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

test('each server room imports only through its doors', () => {
  const violations: string[] = [];
  for (const [room, forbidden] of Object.entries(FORBIDDEN)) {
    const dir = path.join(server, room);
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.parentPath.includes('generated')) continue;
      const file = path.join(entry.parentPath, entry.name);
      for (const spec of importsOf(file)) {
        const target = spec.startsWith('.') ? path.relative(server, path.resolve(path.dirname(file), spec)).split(path.sep)[0]! : spec.split('/')[0]!.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (forbidden.includes(target) || (OWNED[target] !== undefined && OWNED[target] !== room)) violations.push(`${path.relative(server, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('plugins import only the SDK and their own files, never the server', () => {
  const plugins = path.resolve(import.meta.dirname, '../../plugins');
  const violations: string[] = [];
  for (const entry of fs.readdirSync(plugins, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      if (path.relative(plugins, path.resolve(path.dirname(file), spec)).startsWith('..')) violations.push(`${path.relative(plugins, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});
