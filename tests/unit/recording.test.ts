// The recording plugin's pure parts: schedule windows and retention over segment files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { inSchedule } from '../../plugins/recording/index.js';
import { applyRetention, retentionPass, segmentsBetween, segmentsOf, startOf } from '../../plugins/recording/segments.js';

const at = (day: number, hh: number, mm: number) => new Date(2021, 7, day, hh, mm); // 1 Aug 2021 is a Sunday

test('schedule windows: days, a window across midnight belongs to the day it starts', () => {
  assert.equal(inSchedule(undefined, at(1, 3, 0)), true, 'no schedule: always');
  const office = [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '17:30' }];
  assert.equal(inSchedule(office, at(2, 8, 0)), true, 'Monday 08:00');
  assert.equal(inSchedule(office, at(2, 17, 30)), false, 'the end is exclusive');
  assert.equal(inSchedule(office, at(1, 10, 0)), false, 'Sunday');
  const night = [{ days: [5], from: '22:00', to: '06:00' }]; // Friday night
  assert.equal(inSchedule(night, at(6, 23, 0)), true, 'Friday 23:00');
  assert.equal(inSchedule(night, at(7, 5, 59)), true, 'Saturday 05:59 is still Friday night');
  assert.equal(inSchedule(night, at(7, 23, 0)), false, 'Saturday night is not');
  assert.equal(inSchedule(night, at(6, 5, 0)), false, 'Friday early morning belongs to Thursday night');
});

test('retention removes by age, then the oldest until within budget, and keeps segments in use', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-'));
  try {
    const cam = 'c1';
    fs.mkdirSync(path.join(root, cam));
    const names = ['20210801T000000Z.mp4', '20210801T000100Z.mp4', '20210801T000200Z.mp4', '20210801T000300Z.mp4'];
    for (const n of names) {
      const file = path.join(root, cam, n);
      fs.writeFileSync(file, Buffer.alloc(1000));
      const end = new Date(startOf(n)!.getTime() + 60_000);
      fs.utimesSync(file, end, end);
    }
    fs.writeFileSync(path.join(root, cam, 'notes.txt'), 'not a segment');
    const now = new Date('2021-08-01T00:10:00Z');
    // Age: segments that ended more than 8 minutes ago (the first, ending 00:01).
    let removed = applyRetention(root, now, 8.5 * 60_000, 1e9, () => false);
    assert.deepEqual(removed.map((s) => s.name), [names[0]]);
    // Budget 1.5 KB: the oldest go until two segments' worth fits… keeping the one in use.
    removed = applyRetention(root, now, 1e9, 1500, (s) => s.name === names[1]);
    assert.deepEqual(removed.map((s) => s.name), [names[2], names[3]], 'the in-use oldest is skipped');
    assert.deepEqual(segmentsOf(root, cam).map((s) => s.name), [names[1]]);
    assert.ok(fs.existsSync(path.join(root, cam, 'notes.txt')), 'other files are left alone');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a retention pass over a day of 60-second segments lists each folder once, keeping what is being written', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-'));
  const readdir = fs.readdirSync;
  try {
    const day = Date.UTC(2021, 7, 1);
    const name = (i: number) => `${new Date(day + i * 60_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.mp4`;
    for (const cam of ['c1', 'c2']) {
      fs.mkdirSync(path.join(root, cam));
      for (let i = 0; i < 1440; i++) {
        const file = path.join(root, cam, name(i));
        fs.writeFileSync(file, Buffer.alloc(10));
        const end = new Date(day + (i + 1) * 60_000);
        fs.utimesSync(file, end, end);
      }
    }
    assert.equal(segmentsBetween(root, 'c1', new Date(day), new Date(day + 86_400_000)).length, 1440);
    // Count the listings a pass makes (the module calls fs.readdirSync through the shared fs object).
    let listings = 0;
    (fs as { readdirSync: unknown }).readdirSync = (...args: Parameters<typeof readdir>) => {
      listings++;
      return (readdir as (...a: unknown[]) => unknown)(...args);
    };
    // Budget: nothing may stay but c1's segment in writing.
    const removed = retentionPass(root, ['c1'], new Date(day + 86_400_000), 1e12, 0);
    (fs as { readdirSync: unknown }).readdirSync = readdir;
    assert.equal(removed.length, 2 * 1440 - 1);
    assert.deepEqual(segmentsOf(root, 'c1').map((s) => s.name), [name(1439)], 'the segment being written stays');
    assert.ok(listings <= 4, `${listings} directory listings for 2880 segments`);
  } finally {
    (fs as { readdirSync: unknown }).readdirSync = readdir;
    fs.rmSync(root, { recursive: true, force: true });
  }
});
