// Uptime arithmetic over health transitions (pure; the report's end-to-end numbers are in
// tests/integration/observability.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildUptimeReport } from '../../server/observability/uptime-report.js';
import type { UptimeRepository } from '../../server/observability/uptime.repository.js';
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

test('a report asks the database for the history of its scope\'s cameras only (a facility leader\'s: one facility)', async () => {
  const asked: Array<[string, unknown]> = [];
  const facility = (id: string, province: string, cameras: string[]) => ({ id, name: id, kind: 'CIVILIAN_QUARANTINE' as const, unit: { path: [province] }, cameras: cameras.map((c) => ({ id: c, name: c })) });
  const repo = {
    facilities: async () => [facility('hotel', 'gialai', ['cam-h1', 'cam-h2']), facility('school', 'gialai', ['cam-s']), facility('far', 'kontum', ['cam-k'])],
    unplacedCameras: async () => [{ id: 'cam-x', name: 'x' }],
    statesAt: async (_at: Date, cameras: unknown) => (asked.push(['statesAt', cameras]), new Map<string, string>()),
    transitions: async (_f: Date, _t: Date, cameras: unknown) => (asked.push(['transitions', cameras]), []),
    lastFailures: async (_at: Date, cameras: unknown) => (asked.push(['lastFailures', cameras]), []),
    units: async () => [],
  };
  const build = (covers: (p: { facilityId?: string; units?: readonly string[] }) => boolean) =>
    buildUptimeReport(repo as unknown as UptimeRepository, { from: T(0), to: T(60), threshold: 95, covers });
  const hotelOnly = await build((p) => p.facilityId === 'hotel');
  assert.deepEqual(hotelOnly.cameras.map((c) => c.id), ['cam-h1', 'cam-h2']);
  assert.deepEqual(asked, [['statesAt', ['cam-h1', 'cam-h2']], ['transitions', ['cam-h1', 'cam-h2']], ['lastFailures', ['cam-h1', 'cam-h2']]]);
  asked.length = 0;
  // The nation's report reads everything (no camera list to send), unplaced cameras included.
  const nation = await build(() => true);
  assert.equal(nation.cameras.length, 5);
  assert.deepEqual(asked.map(([, c]) => c), ['all', 'all', 'all']);
});
