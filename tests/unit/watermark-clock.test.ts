// The watermark's clock (client/src/Watermark.ts): written without Intl, so its format is
// checked here for the cases a hand-written one gets wrong (padding, the month's offset); the
// mark itself, over a live tile in Chromium, is tests/e2e/grid-watermark.test.ts's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clockText } from '../../client/src/Watermark.js';

test('the watermark reads the time as Vietnamese write it, hours padded, day and month not', () => {
  assert.equal(clockText(new Date(2026, 11, 3, 4, 5, 6)), '04:05:06 3/12/2026');
  assert.equal(clockText(new Date(2021, 0, 31, 23, 59, 59)), '23:59:59 31/1/2021');
  assert.equal(clockText(new Date(2021, 6, 9, 0, 0, 0)), '00:00:00 9/7/2021');
});
