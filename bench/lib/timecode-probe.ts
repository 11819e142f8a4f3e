// Page-side probe for the time-coded camera (tests/support/rtsp-camera.py --pattern
// timecode): on every rendered frame (requestVideoFrameCallback) it reads the 32 blocks that
// carry the capture wall-clock, and records capture, receive and display times (ms since
// epoch). A string, installed with page.addInitScript, so no bundler helper leaks in.
import type { BrowserContext, ConsoleMessage } from 'playwright-core';

/** What the probe writes on the page's console at a tile's first frame (then the tile's camera id). */
const FIRST_FRAME_SIGNAL = 'timecode:first-frame';

/**
 * The next first frame of tile `id` on a page of `context`, as the probe tells it on the
 * console; ask before the page opens. Read this way rather than by polling the page
 * (page.waitForFunction): Playwright's polling first puts its own script (~330 KB) into the
 * page, and a trace showed its evaluation taking 35-70 ms of the page's main thread in the
 * middle of the page's opening (the socket's handshake waited behind it), which no viewer's
 * browser does.
 */
export function firstFrameSeen(context: BrowserContext, id: string, timeoutMs = 20_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => { clearTimeout(timer); context.off('console', listener); };
    const listener = (m: ConsoleMessage) => {
      if (m.text() !== `${FIRST_FRAME_SIGNAL} ${id}`) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => { done(); reject(new Error(`no first frame of ${id} within ${timeoutMs} ms`)); }, timeoutMs);
    context.on('console', listener);
  });
}

export const TIMECODE_PROBE = `
(() => {
  const FIRST_FRAME_SIGNAL = ${JSON.stringify(FIRST_FRAME_SIGNAL)};
  const BITS = 32, BLOCK = 32;
  const samples = [];
  const firstFrame = {};
  window.__timecode = { samples, firstFrame, decodeErrors: 0 };
  const attach = (video) => {
    if (video.__timecode) return;
    video.__timecode = true;
    const canvas = new OffscreenCanvas(BITS * BLOCK, BLOCK);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const onFrame = (now, meta) => {
      video.requestVideoFrameCallback(onFrame);
      const id = (video.closest('[data-camera-id]') || {}).dataset?.cameraId || '';
      if (!(id in firstFrame)) {
        firstFrame[id] = performance.timeOrigin + now;
        // Told on the console, read by the bench without polling the page (firstFrameSeen, above).
        console.debug(FIRST_FRAME_SIGNAL, id);
      }
      if (video.videoWidth < BITS * BLOCK) return;
      ctx.drawImage(video, 0, 0, BITS * BLOCK, BLOCK, 0, 0, BITS * BLOCK, BLOCK);
      const px = ctx.getImageData(0, 0, BITS * BLOCK, BLOCK).data;
      let code = 0;
      for (let i = 0; i < BITS; i++) {
        const x = i * BLOCK + BLOCK / 2, y = BLOCK / 2;
        code = code * 2 + (px[(y * BITS * BLOCK + x) * 4] > 128 ? 1 : 0);
      }
      const displayed = performance.timeOrigin + (meta.expectedDisplayTime ?? now);
      // The camera sends the low 32 bits of the epoch milliseconds.
      const high = Math.floor(displayed / 4294967296) * 4294967296;
      let capture = high + code;
      if (capture > displayed + 60000) capture -= 4294967296;
      const latency = displayed - capture;
      if (latency < 0 || latency > 10000) { window.__timecode.decodeErrors++; return; }
      const received = meta.receiveTime !== undefined ? performance.timeOrigin + meta.receiveTime : undefined;
      // When the page's player handed the frame to the compositor: received -> presented is
      // the receiver and the player's frame queue, presented -> displayed the compositor.
      const presented = performance.timeOrigin + meta.presentationTime;
      // What the tile's overlay shows (camera-to-screen latency from RTP timing), to compare
      // with the time code's truth.
      const shown = Number(video.closest('[data-camera-id]')?.dataset.latencyMs);
      samples.push({ id, capture, received, presented, displayed, overlay: Number.isFinite(shown) ? shown : undefined });
    };
    video.requestVideoFrameCallback(onFrame);
  };
  new MutationObserver(() => document.querySelectorAll('video').forEach(attach))
    .observe(document, { childList: true, subtree: true });
  // Every peer connection the page makes, for its receiver's own figures (receiverTotals).
  const pcs = [];
  window.__peerConnections = pcs;
  window.RTCPeerConnection = new Proxy(window.RTCPeerConnection, { construct(target, args) { const pc = Reflect.construct(target, args); pcs.push(pc); return pc; } });
})();
`;

/**
 * The page's video receiver's running totals (the inbound-rtp statistics of the open peer
 * connection that decoded most frames): where Chromium spends received -> displayed, read as
 * the difference of two readings.
 */
export const RECEIVER_TOTALS = `(async () => {
  let best;
  for (const pc of window.__peerConnections ?? []) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && (!best || s.framesDecoded > best.framesDecoded)) best = s;
    });
  }
  return best ? {
    framesDecoded: best.framesDecoded ?? 0, jitterBufferDelay: best.jitterBufferDelay ?? 0, jitterBufferTargetDelay: best.jitterBufferTargetDelay ?? 0,
    jitterBufferMinimumDelay: best.jitterBufferMinimumDelay ?? 0, jitterBufferEmittedCount: best.jitterBufferEmittedCount ?? 0,
    totalDecodeTime: best.totalDecodeTime ?? 0, totalProcessingDelay: best.totalProcessingDelay ?? 0, jitter: best.jitter ?? 0,
    framesDropped: best.framesDropped ?? 0,
  } : undefined;
})()`;

export type ReceiverTotals = {
  framesDecoded: number; jitterBufferDelay: number; jitterBufferTargetDelay: number; jitterBufferMinimumDelay: number;
  jitterBufferEmittedCount: number; totalDecodeTime: number; totalProcessingDelay: number; jitter: number; framesDropped: number;
};

/** Per-frame means (ms) between two readings of RECEIVER_TOTALS. */
export function receiverMeans(a: ReceiverTotals | undefined, b: ReceiverTotals | undefined): { jitterBufferMs: number; jitterBufferTargetMs: number; decodeMs: number; processingMs: number; rtpJitterMs: number; framesDropped: number } | undefined {
  if (!a || !b) return undefined;
  const emitted = b.jitterBufferEmittedCount - a.jitterBufferEmittedCount;
  const decoded = b.framesDecoded - a.framesDecoded;
  if (emitted <= 0 || decoded <= 0) return undefined;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    jitterBufferMs: r(((b.jitterBufferDelay - a.jitterBufferDelay) * 1000) / emitted),
    jitterBufferTargetMs: r(((b.jitterBufferTargetDelay - a.jitterBufferTargetDelay) * 1000) / emitted),
    decodeMs: r(((b.totalDecodeTime - a.totalDecodeTime) * 1000) / decoded),
    processingMs: r(((b.totalProcessingDelay - a.totalProcessingDelay) * 1000) / decoded),
    rtpJitterMs: r(b.jitter * 1000),
    framesDropped: b.framesDropped - a.framesDropped,
  };
}

export interface TimecodeSample {
  id: string;
  capture: number;
  received?: number;
  presented: number;
  displayed: number;
  /** The tile overlay's camera-to-screen latency at that frame (ms). */
  overlay?: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summarize(xs: number[]): { p50: number; p95: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), max: r(s.at(-1) ?? NaN), n: s.length };
}
