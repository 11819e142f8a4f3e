// The web client's stand-in for `debug` (client/src/debug-lite.cjs): the shapes its users call
// (a function export with .default), and the same localStorage switch as the package.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, test } from 'node:test';

const require = createRequire(import.meta.url);
const modulePath = require.resolve('../../client/src/debug-lite.cjs');

type Debugger = ((...args: unknown[]) => void) & { enabled: boolean; namespace: string; log: (...args: unknown[]) => void; extend(sub: string): Debugger };
type CreateDebug = ((namespace: string) => Debugger) & { default: (namespace: string) => Debugger };

/** A fresh copy of the module with `localStorage.debug` set to `setting` (read once per load). */
function load(setting: string | null): CreateDebug {
  (globalThis as { localStorage?: unknown }).localStorage = { getItem: (k: string) => (k === 'debug' ? setting : null) };
  delete require.cache[modulePath];
  return require(modulePath) as CreateDebug;
}

afterEach(() => {
  delete (globalThis as { localStorage?: unknown }).localStorage;
});

test('silent unless localStorage.debug names the namespace', () => {
  const createDebug = load(null);
  assert.equal(typeof createDebug, 'function');
  assert.equal(createDebug.default, createDebug);
  const d = createDebug('mediasoup-client:Transport');
  assert.equal(d.enabled, false);
  const lines: unknown[][] = [];
  d.log = (...args) => lines.push(args);
  d('nothing %s', 'here');
  assert.deepEqual(lines, []);
});

test('patterns with wildcards and exclusions turn namespaces on, logging through .log', () => {
  const createDebug = load('mediasoup-client:*, -mediasoup-client:WARN*');
  const d = createDebug('mediasoup-client:Transport');
  assert.equal(d.enabled, true);
  assert.equal(createDebug('mediasoup-client:WARN:Transport').enabled, false);
  assert.equal(createDebug('awaitqueue').enabled, false);
  const lines: unknown[][] = [];
  d.log = (...args) => lines.push(args);
  d('consume() [id:%s]', 'abc');
  d({ a: 1 });
  assert.deepEqual(lines, [['mediasoup-client:Transport consume() [id:%s]', 'abc'], ['mediasoup-client:Transport', { a: 1 }]]);
  assert.equal(d.extend('sub').namespace, 'mediasoup-client:Transport:sub');
});

test('a refused storage (sandboxed frame) means silence, not an exception', () => {
  (globalThis as { localStorage?: unknown }).localStorage = { getItem: () => { throw new Error('SecurityError'); } };
  delete require.cache[modulePath];
  const createDebug = require(modulePath) as CreateDebug;
  assert.equal(createDebug('x').enabled, false);
});
