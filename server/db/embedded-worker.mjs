// The embedded database's thread (server/db/embedded.ts): PGlite runs each query to its end in
// WebAssembly without yielding, so on the server's thread it held up the camera relays, the
// signaling and every other request for as long as any query ran. Here it has a thread of its
// own, serving the PostgreSQL protocol on a loopback port as before. Plain JavaScript so the
// thread needs no loader.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

let db;
try {
  db = await PGlite.create(workerData.dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections });
  await server.start();
  parentPort.once('message', async () => {
    // The one message the thread is sent: close.
    try {
      await server.stop();
      await db.close();
      parentPort.postMessage({ closed: true });
    } catch (err) {
      parentPort.postMessage({ closed: false, error: err instanceof Error ? err.message : String(err) });
    }
    parentPort.close();
  });
  parentPort.postMessage({ started: server.getServerConn() });
} catch (err) {
  await db?.close().catch(() => undefined);
  parentPort.postMessage({ failed: err instanceof Error ? err.message : String(err) });
  parentPort.close();
}
