// coturn (Debian's turnserver) as deployments run it for viewers behind firewalls: the TURN REST
// API (use-auth-secret), TURN over UDP and TCP on one port and TURN over TLS on another, with a
// self-signed certificate made for the test. Resolves once it listens on every port.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { until } from './until.js';

export interface TurnServerOptions {
  /** The address it listens on and relays from. */
  address: string;
  port: number;
  tlsPort: number;
  secret: string;
  /** The relay's UDP ports (each allocation takes one). */
  relayPorts?: [number, number];
  /** A command that runs it (e.g. `ip netns exec <namespace>`); its address must be reachable from here. */
  wrap?: string[];
}

export interface TurnServer {
  readonly proc: ChildProcess;
  readonly output: string[];
  /** turn:/turns: URLs in the order ICE falls back to them: UDP, TCP, TLS. */
  readonly urls: string[];
  stop(): Promise<void>;
}

export async function startTurnServer(o: TurnServerOptions): Promise<TurnServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-turn-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=turn.test', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const [minPort, maxPort] = o.relayPorts ?? [49160, 49200];
  const args = [
    '-n', '--no-cli', '--log-file=stdout', '--simple-log', '--fingerprint', '--no-multicast-peers',
    '--use-auth-secret', `--static-auth-secret=${o.secret}`, '--realm=giamsat.test',
    `--listening-ip=${o.address}`, `--relay-ip=${o.address}`, `--listening-port=${o.port}`, `--tls-listening-port=${o.tlsPort}`,
    `--min-port=${minPort}`, `--max-port=${maxPort}`, `--cert=${cert}`, `--pkey=${key}`, '--no-dtls',
    // The media server in these tests listens on a private or loopback address.
    ...(o.address.startsWith('127.') ? ['--allow-loopback-peers'] : []),
    `--pidfile=${path.join(dir, 'turn.pid')}`,
  ];
  const [command, ...rest] = [...(o.wrap ?? []), '/usr/bin/turnserver', ...args];
  const proc = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const listening = (port: number) => new Promise<boolean>((resolve) => {
    const c = net.connect(port, o.address);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  await until('turnserver to listen', async () => {
    if (proc.exitCode !== null) throw new Error(`turnserver exited: ${output.join('').slice(-2000)}`);
    return (await listening(o.port)) && (await listening(o.tlsPort));
  }, 10_000, 50);
  return {
    proc,
    output,
    urls: [`turn:${o.address}:${o.port}?transport=udp`, `turn:${o.address}:${o.port}?transport=tcp`, `turns:${o.address}:${o.tlsPort}?transport=tcp`],
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
