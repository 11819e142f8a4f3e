// Worker threads for CPU-heavy plugin work (analytics on frames), written in TypeScript like
// the rest: the server runs through tsx, whose loader a worker does not inherit, so the
// thread registers it before importing the plugin's worker module.
import { Worker } from 'node:worker_threads';

/** Starts `moduleUrl` (e.g. new URL('./my-worker.ts', import.meta.url)) in a worker thread. */
export function startWorker(moduleUrl: URL): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl);
  const loader = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); })`, { eval: true });
}
