// Uptime arithmetic over health transitions (pure; the report's end-to-end numbers are in
// tests/integration/observability.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamUptime, sumUptime } from '../../server/observability/uptime.js';

const T = (min: number) => new Date(Date.UTC(2021, 7, 1) + min * 60_000);
const M = 60_000;

test('time is split into up, down and unmonitored, starting from the state before the period', () => {
  const f = streamUptime('live', [{ state: 'offline', at: T(10) }, { state: 'live', at: T(15) }, { state: 'idle', at: T(40) }], T(0), T(60));
  assert.deepEqual(f, { upMs: 35 * M, downMs: 5 * M, unmonitoredMs: 20 * M, outages: 1, uptime: 35 / 40 });
});

test('no record before the period means unmonitored until the first one', () => {
  const f = streamUptime(undefined, [{ state: 'connecting', at: T(30) }, { state: 'live', at: T(31) }], T(0), T(60));
  assert.deepEqual(f, { upMs: 29 * M, downMs: 1 * M, unmonitoredMs: 30 * M, outages: 0, uptime: 29 / 30 });
});

test('a period with nothing monitored has no uptime figure, not 0 % or 100 %', () => {
  assert.equal(streamUptime('idle', [], T(0), T(60)).uptime, null);
  assert.equal(streamUptime(undefined, [], T(0), T(60)).uptime, null);
  assert.equal(sumUptime([]).uptime, null);
});

test('a server stop (unknown) is neither up nor down, and the camera coming back is not an outage', () => {
  const f = streamUptime('live', [{ state: 'unknown', at: T(10) }, { state: 'connecting', at: T(20) }, { state: 'live', at: T(21) }], T(0), T(30));
  assert.deepEqual(f, { upMs: 19 * M, downMs: 1 * M, unmonitoredMs: 10 * M, outages: 0, uptime: 19 / 20 });
});

test('transitions outside the period are clamped to it', () => {
  const f = streamUptime('offline', [{ state: 'live', at: T(-5) }, { state: 'offline', at: T(90) }], T(0), T(60));
  assert.deepEqual(f, { upMs: 60 * M, downMs: 0, unmonitoredMs: 0, outages: 0, uptime: 1 });
});

test('sums add time, not percentages', () => {
  const a = streamUptime('live', [], T(0), T(60));
  const b = streamUptime('offline', [{ state: 'live', at: T(30) }], T(0), T(60));
  assert.deepEqual(sumUptime([a, b]), { upMs: 90 * M, downMs: 30 * M, unmonitoredMs: 0, outages: 0, uptime: 0.75 });
});
