// A free TCP port on 127.0.0.1 (for servers the tests and benchmarks start themselves).
import net from 'node:net';

// Below the kernel's ephemeral range (32768-60999 here) and mediasoup's (40000-49999): a port
// handed out here is not taken a moment later by another process's outgoing connection or
// listener on port 0, which matters when test files run side by side and when a test stops a
// server and starts it again on the same port.
const FIRST = 20_000;
const COUNT = 10_000;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err)));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = FIRST + Math.floor(Math.random() * COUNT);
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port in ${FIRST}-${FIRST + COUNT - 1} after 50 tries`);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once something listens on the TCP port of 127.0.0.1; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await pause(100)) {
    const listening = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (listening) return;
  }
  throw new Error(`nothing listens on port ${port}`);
}

/**
 * Resolves once an RTSP server answers DESCRIBE for `url` with 200 (a mount of a server fed
 * by a publisher appears only once the publisher has announced it); rejects after `timeoutMs`.
 */
export async function untilDescribable(url: string, timeoutMs = 10_000): Promise<void> {
  const u = new URL(url);
  for (const end = Date.now() + timeoutMs; Date.now() < end; await pause(100)) {
    const status = await new Promise<string>((resolve) => {
      const s = net.connect(Number(u.port), u.hostname, () => s.write(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n`));
      s.setTimeout(2000, () => { s.destroy(); resolve('timeout'); });
      s.on('error', () => resolve('error'));
      s.once('data', (d) => { resolve(d.toString().split(' ')[1] ?? ''); s.destroy(); });
    });
    if (status === '200') return;
  }
  throw new Error(`${url} never became describable`);
}
