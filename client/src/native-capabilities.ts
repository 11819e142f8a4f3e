// mediasoup-client learns what the browser can send and receive by building two
// RTCPeerConnections and reading their offers (Device.load): on a busy two-core machine
// ~100 ms of every page open, on the main thread and WebRTC's. The answer changes only
// with the browser build, so it is kept in localStorage per user agent and handler, and a
// returning page builds no probe connections at all.
import { detectDevice, type types } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { Chrome74 } from 'mediasoup-client/handlers/Chrome74';
import { Firefox120 } from 'mediasoup-client/handlers/Firefox120';
import { Safari12 } from 'mediasoup-client/handlers/Safari12';
import type { HandlerFactory } from 'mediasoup-client/handlers/HandlerInterface';

const KEY = 'giamsat.nativeRtpCapabilities';
const VERSION = 1;

const FACTORIES: Record<string, () => HandlerFactory> = {
  Chrome111: () => Chrome111.createFactory(),
  Chrome74: () => Chrome74.createFactory(),
  Firefox120: () => Firefox120.createFactory(),
  Safari12: () => Safari12.createFactory(),
};

type Direction = 'sendonly' | 'recvonly';
interface Stored {
  v: number;
  key: string;
  caps: Partial<Record<Direction, types.RtpCapabilities>>;
}

function read(key: string): Stored['caps'] {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Stored | null;
    return stored && stored.v === VERSION && stored.key === key && typeof stored.caps === 'object' && stored.caps ? stored.caps : {};
  } catch {
    return {};
  }
}

function write(key: string, caps: Stored['caps']): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ v: VERSION, key, caps } satisfies Stored));
  } catch {
    // Storage full or refused (private mode): the next page probes again.
  }
}

/**
 * Only an answer that can receive H.264 (what cameras send) is kept: Firefox without its
 * OpenH264 plugin yet (it downloads on first use) must not be remembered as unable forever.
 */
const worthKeeping = (caps: types.RtpCapabilities) => (caps.codecs ?? []).some((c) => c.mimeType.toLowerCase() === 'video/h264');

/**
 * The handler factory of this browser with its native capabilities remembered, or undefined
 * when the browser is not one mediasoup-client knows (Device then reports it).
 */
export function rememberingHandlerFactory(): HandlerFactory | undefined {
  const name = detectDevice();
  const make = name ? FACTORIES[name] : undefined;
  if (!make) return undefined;
  const base = make();
  const key = `${base.name} ${navigator.userAgent}`;
  return {
    ...base,
    async getNativeRtpCapabilities(options) {
      const direction = options.direction as Direction;
      const known = read(key)[direction];
      if (known) return known;
      const caps = await base.getNativeRtpCapabilities(options);
      if (worthKeeping(caps)) write(key, { ...read(key), [direction]: caps });
      return caps;
    },
  };
}

/** Forgets the remembered capabilities (a consume they could not serve). */
export function forgetNativeCapabilities(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing to forget.
  }
}
