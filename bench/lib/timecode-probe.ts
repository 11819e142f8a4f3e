// Page-side probe for the time-coded camera (tests/support/rtsp-camera.py --pattern
// timecode): on every rendered frame (requestVideoFrameCallback) it reads the 32 blocks that
// carry the capture wall-clock, and records capture, receive and display times (ms since
// epoch). A string, installed with page.addInitScript, so no bundler helper leaks in.
export const TIMECODE_PROBE = `
(() => {
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
      if (!(id in firstFrame)) firstFrame[id] = performance.timeOrigin + now;
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
      // What the tile's overlay shows (camera-to-screen latency from RTP timing), to compare
      // with the time code's truth.
      const shown = Number(video.closest('[data-camera-id]')?.dataset.latencyMs);
      samples.push({ id, capture, received, displayed, overlay: Number.isFinite(shown) ? shown : undefined });
    };
    video.requestVideoFrameCallback(onFrame);
  };
  new MutationObserver(() => document.querySelectorAll('video').forEach(attach))
    .observe(document, { childList: true, subtree: true });
})();
`;

export interface TimecodeSample {
  id: string;
  capture: number;
  received?: number;
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
