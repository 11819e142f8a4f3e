import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { coalesce } from '../../server/util/coalesce.js';
import { publicUrl, redactCredentials, redactUrl } from '../../server/util/redact.js';
import { SecretBox } from '../../server/util/SecretBox.js';
import { LocalRepeatThrottle } from '../../server/util/repeat-throttle.js';
import { TokenBucket } from '../../server/util/TokenBucket.js';

test('credentials are removed from URLs in any text', () => {
  assert.equal(redactCredentials('open rtsp://admin:s3cret@10.0.0.5:554/ch1 failed'), 'open rtsp://***@10.0.0.5:554/ch1 failed');
  assert.equal(redactCredentials('rtsp://10.0.0.5/ch1'), 'rtsp://10.0.0.5/ch1');
  // ffmpeg sometimes echoes the password alone (e.g. in digest auth errors).
  assert.equal(redactUrl('auth failed for s3cret', 'rtsp://admin:s3cret@10.0.0.5/ch1'), 'auth failed for ***');
  assert.equal(redactUrl('p%40ss and p@ss', 'rtsp://u:p%40ss@h/x'), '*** and ***');
  assert.equal(publicUrl('rtsp://admin:s3cret@10.0.0.5:554/ch1?x=1'), 'rtsp://10.0.0.5:554/ch1?x=1');
});

test('SecretBox round-trips, uses a fresh IV each time and rejects tampering and wrong keys', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));
  const a = box.seal('rtsp://admin:s3cret@cam/1');
  const b = box.seal('rtsp://admin:s3cret@cam/1');
  assert.notEqual(a, b);
  assert.doesNotMatch(a, /s3cret|admin/);
  assert.equal(box.open(a), 'rtsp://admin:s3cret@cam/1');
  const parts = a.split('.');
  const body = Buffer.from(parts[3]!, 'base64url');
  body[0]! ^= 1;
  assert.throws(() => box.open([parts[0], parts[1], parts[2], body.toString('base64url')].join('.')));
  assert.throws(() => new SecretBox(Buffer.alloc(32, 8)).open(a));
  assert.throws(() => box.open('plain text'), /not a sealed secret/);
  assert.throws(() => new SecretBox(Buffer.alloc(16)), /32 bytes/);
});

test('SecretBox.load creates a private key file once and reuses it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-key-'));
  try {
    const sealed = SecretBox.load(undefined, dir).seal('x');
    const file = path.join(dir, 'credentials.key');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(SecretBox.load(undefined, dir).open(sealed), 'x');
    assert.throws(() => SecretBox.load(Buffer.alloc(8).toString('base64'), dir), /32 bytes/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('LocalRepeatThrottle: the first of a key in a window is recorded, repeats are counted into the next record, and keys are bounded', () => {
  const t = new LocalRepeatThrottle(60_000, 3);
  assert.equal(t.noteAt('a', 0), 0, 'first: record');
  assert.equal(t.noteAt('a', 1000), undefined, 'a repeat inside the minute');
  assert.equal(t.noteAt('a', 59_999), undefined);
  assert.equal(t.noteAt('a', 60_000), 2, 'the next record carries the two unrecorded repeats');
  assert.equal(t.noteAt('a', 60_001), undefined);
  // At most three keys: the oldest is forgotten, so it records again at once.
  for (const k of ['b', 'c', 'd']) assert.equal(t.noteAt(k, 61_000), 0);
  assert.equal(t.noteAt('a', 61_001), 0, 'a was forgotten (with its repeat)');
  assert.equal(t.noteAt('d', 61_002), undefined, 'd is still tracked');
});

test('TokenBucket: a burst, then the refill rate', () => {
  const b = new TokenBucket(3, 10, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  assert.equal(b.take(50), false, 'half a token after 50 ms');
  assert.equal(b.take(100), true, 'one token after 100 ms');
  assert.equal(b.take(100), false);
  assert.deepEqual([b.take(10_000), b.take(10_000), b.take(10_000), b.take(10_000)], [true, true, true, false], 'never more than the burst');
});

test('coalesce: lookups of one turn go out as one batch (in chunks), each key once; a failure reaches every asker of its chunk', async () => {
  const batches: string[][] = [];
  const lookup = coalesce(async (keys: string[]) => {
    batches.push(keys);
    if (keys.includes('bad')) throw new Error('store unreachable');
    return keys.map((k) => k.toUpperCase());
  }, 3);
  const answers = await Promise.all(['a', 'b', 'a', 'c', 'd'].map((k) => lookup(k)));
  assert.deepEqual(answers, ['A', 'B', 'A', 'C', 'D']);
  assert.deepEqual(batches, [['a', 'b', 'c'], ['d']]);
  const failed = await Promise.allSettled([lookup('bad'), lookup('bad'), lookup('x')]);
  assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  assert.equal(await lookup('later'), 'LATER', 'a new turn, a new batch');
  assert.deepEqual(batches.slice(2), [['bad', 'x'], ['later']]);
});
