// A path with round trips for benches on one machine (this kernel has no netem): a TCP relay for
// the page's HTTP and socket, and a UDP relay for its WebRTC media, each holding every chunk or
// datagram for half the round trip in each direction. Runs as a process of its own, so that the
// server's event loop (the bench runs the server in-process) does not delay its timers.
//
//   node --import tsx bench/lib/delay-proxy.ts '{"oneWayMs":20,"tcp":{...},"udp":{...}}'
//
// prints one line of JSON with the TCP relay's port once both listen, and runs until killed.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

interface Endpoint { host: string; port: number }
interface ProxyOptions {
  oneWayMs: number;
  /** The page's HTTP and socket: a relay on 127.0.0.1 (a free port) to this address. */
  tcp: Endpoint;
  /** WebRTC media: a relay listening on `listen` (the address the server announces) to `target` (its WebRTC server). */
  udp?: { listen: Endpoint; target: Endpoint };
}

function relayTcp(target: Endpoint, oneWayMs: number): Promise<number> {
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pipe = (from: net.Socket, to: net.Socket) => {
      from.setNoDelay(true);
      // Equal delays keep the order: timers of one delay fire in the order they were set.
      from.on('data', (chunk) => setTimeout(() => { if (!to.destroyed) to.write(chunk); }, oneWayMs));
      from.on('end', () => setTimeout(() => to.end(), oneWayMs));
      from.on('error', () => to.destroy());
      from.on('close', () => setTimeout(() => to.destroy(), oneWayMs));
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function relayUdp(listen: Endpoint, target: Endpoint, oneWayMs: number): Promise<void> {
  const front = dgram.createSocket('udp4');
  // One upstream socket per browser socket: the server sees each as a peer of its own.
  const upstreams = new Map<string, dgram.Socket>();
  front.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let up = upstreams.get(key);
    if (!up) {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      socket.on('message', (back) => setTimeout(() => front.send(back, from.port, from.address), oneWayMs));
      upstreams.set(key, socket);
      up = socket;
    }
    const u = up;
    setTimeout(() => u.send(msg, target.port, target.host), oneWayMs);
  });
  return new Promise((resolve) => front.bind(listen.port, listen.host, () => resolve()));
}

/** Starts the relays in a process of their own; resolves with the TCP relay's port and a stop. */
export async function startDelayProxy(options: ProxyOptions): Promise<{ tcpPort: number; stop: () => void }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`delay proxy exited (${code})`)));
  });
  return { tcpPort: (JSON.parse(line) as { tcpPort: number }).tcpPort, stop: () => child.kill() };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = JSON.parse(process.argv[2] ?? '{}') as ProxyOptions;
  const tcpPort = await relayTcp(options.tcp, options.oneWayMs);
  if (options.udp) await relayUdp(options.udp.listen, options.udp.target, options.oneWayMs);
  process.stdout.write(`${JSON.stringify({ tcpPort })}\n`);
}
