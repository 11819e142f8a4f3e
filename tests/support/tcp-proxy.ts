// A TCP relay in front of a service (Redis, PostgreSQL) that a test can partition: `blackhole()`
// stops carrying bytes both ways without closing anything, as a network that drops packets
// does (no reset: the client finds out only by its own timeouts); `heal()` carries on, with
// whatever was held delivered late, as TCP retransmission would.
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly url: (scheme: string) => string;
  blackhole(): void;
  heal(): void;
  /** Ends every connection through it (what was held is lost, as when TCP gives up) and carries new ones. */
  reset(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(to: { host: string; port: number }): Promise<TcpProxy> {
  let dropping = false;
  const pairs = new Set<{ inbound: net.Socket; outbound: net.Socket }>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(to.port, to.host);
    const pair = { inbound, outbound };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    for (const s of [inbound, outbound]) {
      s.on('error', end);
      s.on('close', end);
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    if (dropping) hold(pair);
  });
  // Held: nothing is read from either side, so nothing reaches the other (bytes wait in the
  // kernel's buffers, as they would in a retransmission queue).
  const hold = (p: { inbound: net.Socket; outbound: net.Socket }) => {
    p.inbound.unpipe(p.outbound);
    p.outbound.unpipe(p.inbound);
    p.inbound.pause();
    p.outbound.pause();
  };
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    blackhole() {
      dropping = true;
      for (const p of pairs) hold(p);
    },
    reset() {
      dropping = false;
      for (const p of pairs) {
        p.inbound.destroy();
        p.outbound.destroy();
      }
      pairs.clear();
    },
    heal() {
      dropping = false;
      for (const p of pairs) {
        p.inbound.pipe(p.outbound);
        p.outbound.pipe(p.inbound);
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const p of pairs) {
        p.inbound.destroy();
        p.outbound.destroy();
      }
      server.close(() => resolve());
    }),
  };
}
