// Signed checkpoints of the audit chain's head, kept outside the database: appended to a
// file (one JSON line each) and, where configured, sent to a remote syslog (RFC 5424 over UDP
// or TCP, RFC 6587 octet counting), which an operator can make append-only elsewhere.
// Verification compares the chain with the latest checkpoint: a chain shorter than a
// checkpoint was truncated; a different seal at the checkpoint's row was rewritten.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { canonical } from './audit-chain.js';
import { signatureValid, type AuditKey } from './AuditKey.js';
import type { KeyObject } from 'node:crypto';

export interface Checkpoint {
  /** The head's sequence number (= entries in the chain). */
  seq: string;
  /** The head's seal. */
  hash: string;
  /** The first row sealed with the audit key; rows before it predate the keyed chain. */
  keyedFrom: string;
  at: string;
  node: string;
}

export interface SignedCheckpoint extends Checkpoint {
  sig: string;
}

const TAIL_BYTES = 64 * 1024;

function message(c: Checkpoint): string {
  return canonical({ v: 1, seq: c.seq, hash: c.hash, keyedFrom: c.keyedFrom, at: c.at, node: c.node });
}

export function signCheckpoint(key: AuditKey, c: Checkpoint): SignedCheckpoint {
  return { seq: c.seq, hash: c.hash, keyedFrom: c.keyedFrom, at: c.at, node: c.node, sig: key.sign(message(c)) };
}

export function checkpointValid(publicKey: KeyObject, c: SignedCheckpoint): boolean {
  return signatureValid(publicKey, message(c), c.sig);
}

function parseLine(line: string): SignedCheckpoint | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    const fields = ['seq', 'hash', 'keyedFrom', 'at', 'node', 'sig'] as const;
    if (!fields.every((f) => typeof v[f] === 'string') || !/^\d+$/.test(v.seq as string) || !/^\d+$/.test(v.keyedFrom as string)) return undefined;
    return Object.fromEntries(fields.map((f) => [f, v[f]])) as unknown as SignedCheckpoint;
  } catch {
    return undefined;
  }
}

export type LatestCheckpoint =
  | { kind: 'none' }
  | { kind: 'valid'; checkpoint: SignedCheckpoint }
  /** The last line is not a checkpoint this key signed (edited, forged, or written with another key). */
  | { kind: 'invalid'; line: string };

/** The checkpoint file: appended to, and read from its end. */
export class CheckpointFile {
  readonly path: string;

  constructor(file: string) {
    this.path = file;
  }

  append(c: SignedCheckpoint): void {
    fs.mkdirSync(path.dirname(this.path), { recursive: true });
    // One write of a whole line on an O_APPEND descriptor: lines never interleave.
    fs.appendFileSync(this.path, `${JSON.stringify(c)}\n`, { mode: 0o600 });
  }

  /** The last complete line of the file, checked against the public key. */
  latest(publicKey: KeyObject): LatestCheckpoint {
    let fd: number;
    try {
      fd = fs.openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
      throw err;
    }
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, size - length);
      const lines = buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
      const last = lines.at(-1);
      if (last === undefined) return { kind: 'none' };
      const c = parseLine(last);
      return c && checkpointValid(publicKey, c) ? { kind: 'valid', checkpoint: c } : { kind: 'invalid', line: last.slice(0, 200) };
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A remote syslog receiver: udp://host:port or tcp://host:port. */
export class SyslogTarget {
  readonly #url: URL;

  constructor(url: string) {
    this.#url = new URL(url);
    if (!['udp:', 'tcp:'].includes(this.#url.protocol) || !this.#url.hostname || !this.#url.port) {
      throw new Error(`audit syslog target ${url}: expected udp://host:port or tcp://host:port`);
    }
  }

  /** Sends one checkpoint as an RFC 5424 message (facility log audit, severity notice). */
  async send(c: SignedCheckpoint, timeoutMs = 3000): Promise<void> {
    const pri = 13 * 8 + 5;
    const msg = `<${pri}>1 ${c.at} ${os.hostname()} giamsat ${process.pid} audit-checkpoint - ${JSON.stringify(c)}`;
    const host = this.#url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.#url.port);
    if (this.#url.protocol === 'udp:') {
      const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => socket.send(msg, port, host, (err) => (err ? reject(err) : resolve())));
      } finally {
        socket.close();
      }
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
      socket.once('error', reject);
      socket.once('connect', () => {
        const frame = Buffer.from(msg);
        socket.end(Buffer.concat([Buffer.from(`${frame.length} `), frame]));
      });
      socket.once('close', (hadError) => { if (!hadError) resolve(); });
    });
  }
}
