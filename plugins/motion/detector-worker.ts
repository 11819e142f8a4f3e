// The motion detector in a worker thread, so per-frame arithmetic never runs on the server's
// event loop: it receives frames, answers with the changed share against the previous one.
import { parentPort } from 'node:worker_threads';
import { changedShare } from './detector.js';

const previous = new Map<string, Uint8Array>();

parentPort!.on('message', (m: { cameraId: string; frame: Uint8Array } | { forget: string }) => {
  if ('forget' in m) {
    previous.delete(m.forget);
    return;
  }
  const prev = previous.get(m.cameraId);
  previous.set(m.cameraId, m.frame);
  if (prev && prev.length === m.frame.length) parentPort!.postMessage({ cameraId: m.cameraId, share: changedShare(prev, m.frame) });
});
