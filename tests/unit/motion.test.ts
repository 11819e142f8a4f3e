// The motion detector's arithmetic (pure; the plugin end to end is in tests/integration).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedShare, PIXEL_MARGIN, thresholdOf } from '../../plugins/motion/detector.js';

test('the changed share counts pixels beyond the noise margin', () => {
  const a = new Uint8Array(100).fill(100);
  const b = Uint8Array.from(a);
  assert.equal(changedShare(a, b), 0);
  for (let i = 0; i < 10; i++) b[i] = 100 + PIXEL_MARGIN; // within the margin: noise
  assert.equal(changedShare(a, b), 0);
  for (let i = 0; i < 10; i++) b[i] = 100 + PIXEL_MARGIN + 1;
  for (let i = 10; i < 15; i++) b[i] = 0;
  assert.equal(changedShare(a, b), 0.15);
  assert.throws(() => changedShare(a, new Uint8Array(50)), RangeError);
});

test('sensitivity maps 0..100 to a falling threshold', () => {
  assert.equal(thresholdOf(0), 0.1);
  assert.equal(thresholdOf(50), 0.05);
  assert.ok(Math.abs(thresholdOf(95) - 0.005) < 1e-12);
  assert.equal(thresholdOf(100), 0.0005, 'never zero: compression noise alone is not motion');
  assert.ok(thresholdOf(60) < thresholdOf(40));
});
