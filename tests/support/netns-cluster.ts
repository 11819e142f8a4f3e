// A cluster as on separate hosts: scripts/cluster-netns.sh puts each node in a network namespace
// of its own with its own address on a bridge; PostgreSQL (the machine's, forwarded onto the
// bridge), a Redis of the cluster's own (listening on the bridge) and the cameras stay on this
// host, as do the browsers. Nodes are server processes, as an operator runs them.
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from './redis-server.js';
import { startServerProcess } from './server-process.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/cluster-netns.sh');
const PORT = 8080;

export interface NetnsNode {
  readonly id: string;
  readonly role: 'media' | 'edge' | 'both';
  readonly address: string;
  readonly url: string;
  readonly output: string[];
  /** The node's current process. */
  readonly proc: ChildProcess;
  readonly alive: boolean;
  /** Kills the node's process (SIGKILL by default: no shutdown code runs) and waits for it. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again (same namespace, address, data). */
  restart(): Promise<void>;
}

export interface NetnsCluster {
  /** This host's address on the bridge (cameras should listen there). */
  readonly gateway: string;
  readonly nodes: readonly NetnsNode[];
  node(id: string): NetnsNode;
  /** Kills the cluster's Redis (SIGKILL: nothing saved) and starts an empty one at the same address. */
  restartRedis(): Promise<void>;
  stop(): Promise<void>;
}

export interface NetnsClusterOptions {
  /** 1-6 lowercase letters or digits: the namespaces' and interfaces' prefix. */
  name: string;
  /** The bridge's network is 10.<subnet>.0.0/24. */
  subnet: number;
  nodes: Array<{ id: string; role: 'media' | 'edge' | 'both' }>;
  /** The machine's PostgreSQL URL of the cluster's database (on 127.0.0.1). */
  databaseUrl: string;
  /** Environment every node shares (keys, the cluster's settings). */
  env: Record<string, string>;
  /** A configuration file's content every node reads (GIAMSAT_CONFIG). */
  config: Record<string, unknown>;
}

/** Forwards `listen` (the bridge's address) to a service on 127.0.0.1. */
function forward(host: string, port: number, to: number): Promise<net.Server> {
  const server = net.createServer((inbound) => {
    const outbound = net.connect(to, '127.0.0.1');
    inbound.pipe(outbound).pipe(inbound);
    const end = () => { inbound.destroy(); outbound.destroy(); };
    inbound.on('error', end);
    outbound.on('error', end);
    inbound.on('close', end);
    outbound.on('close', end);
  });
  return new Promise((resolve, reject) => server.listen(port, host, () => resolve(server)).once('error', reject));
}

const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

export async function startNetnsCluster(o: NetnsClusterOptions): Promise<NetnsCluster> {
  const ids = o.nodes.map((n) => n.id);
  const script = (...args: string[]) => execFileSync(SCRIPT, args, { encoding: 'utf8' });
  // A previous run killed midway may have left its namespaces behind.
  script('down', o.name, ...ids);
  const lines = script('up', o.name, String(o.subnet), ...ids).trim().split('\n');
  const addresses = new Map(lines.map((l) => l.split(' ')).map(([id, , address]) => [id!, address!]));
  const gateway = `10.${o.subnet}.0.1`;
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  let pg: net.Server | undefined;
  let redis: ChildProcess | undefined;
  const stop = async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map(exited));
    redis?.kill('SIGKILL');
    if (redis) await exited(redis);
    await new Promise((r) => (pg ? pg.close(r) : r(undefined)));
    script('down', o.name, ...ids);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  };
  try {
    const pgPort = Number(new URL(o.databaseUrl).port || 5432);
    pg = await forward(gateway, pgPort, pgPort);
    redis = await startRedisServer(gateway, 6379);
    const databaseUrl = new URL(o.databaseUrl);
    databaseUrl.hostname = gateway;
    const nodes: NetnsNode[] = [];
    for (const n of o.nodes) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `giamsat-${o.name}-${n.id}-`));
      dirs.push(dir);
      const configFile = path.join(dir, 'config.json');
      fs.writeFileSync(configFile, JSON.stringify(o.config));
      const address = addresses.get(n.id)!;
      const output: string[] = [];
      const launch = async () => {
        const started = await startServerProcess({
          ...o.env,
          PORT: String(PORT), HOST: address, DATA_DIR: dir, GIAMSAT_CONFIG: configFile,
          DATABASE_URL: databaseUrl.toString(), REDIS_URL: `redis://${gateway}:6379`,
          NODE_ID: `node-${n.id}`, NODE_ROLE: n.role, MEDIA_ANNOUNCED_IP: address, NODE_PUBLIC_URL: `http://${address}:${PORT}`,
        }, output, ['ip', 'netns', 'exec', `${o.name}-${n.id}`]);
        procs.push(started.proc);
        return started.proc;
      };
      let proc = await launch();
      const isAlive = () => proc.exitCode === null && proc.signalCode === null;
      nodes.push({
        id: n.id, role: n.role, address, url: `http://${address}:${PORT}`, output,
        get proc() { return proc; },
        get alive() { return isAlive(); },
        async kill(signal: NodeJS.Signals = 'SIGKILL') {
          if (isAlive()) proc.kill(signal);
          await exited(proc);
        },
        async restart() {
          if (isAlive()) throw new Error(`node ${n.id} is running`);
          proc = await launch();
        },
      });
    }
    return {
      gateway,
      nodes,
      node: (id) => nodes.find((n) => n.id === id)!,
      async restartRedis() {
        const old = redis!;
        old.kill('SIGKILL');
        await exited(old);
        redis = await startRedisServer(gateway, 6379);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
