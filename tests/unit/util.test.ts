import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { publicUrl, redactCredentials, redactUrl } from '../../server/util/redact.js';
import { SecretBox } from '../../server/util/SecretBox.js';

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
