// Frame-difference motion detection on small grayscale frames: the share of pixels whose
// brightness changed by more than a noise margin between two consecutive frames.

/** Brightness change (0-255) below which a pixel counts as unchanged (compression noise). */
export const PIXEL_MARGIN = 25;

/** Share (0..1) of pixels that changed between `a` and `b` (same size, 8-bit gray). */
export function changedShare(a: Uint8Array, b: Uint8Array, margin = PIXEL_MARGIN): number {
  if (a.length !== b.length || a.length === 0) throw new RangeError('frames differ in size');
  let changed = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > margin) changed++;
  return changed / a.length;
}

/**
 * The share of changed pixels that counts as motion, from a sensitivity of 0-100: 0 asks for
 * 10 % of the picture to change, 100 for a single pixel's worth.
 */
export function thresholdOf(sensitivity: number): number {
  return Math.max(0.0005, ((100 - sensitivity) / 100) * 0.1);
}
