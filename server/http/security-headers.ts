// Headers every response carries. The pages load only their own scripts and styles (no inline
// script anywhere), so the policy can forbid everything else: an injected string can neither
// run script nor frame a page to trick a supervisor into clicks. Video comes over WebRTC and
// signaling over a WebSocket: to this origin, or in a cluster to the other nodes' public origins
// (a page reconnects through one of them when its own node stops answering).
import type { NextFunction, Request, Response } from 'express';
import { withWebSocket } from '../util/origins.js';

/** The policy, with the other origins (http(s), checked by PUBLIC_ORIGIN) a page may connect to. */
export function contentSecurityPolicy(connectTo: readonly string[] = []): string {
  const connect = ["'self'", ...connectTo.flatMap(withWebSocket)].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // Camera test frames arrive as data: URLs; downloads are blob: URLs.
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(connectTo: () => readonly string[] = () => []) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(connectTo()));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Older browsers that ignore frame-ancestors.
    res.setHeader('X-Frame-Options', 'DENY');
    // Links never tell other sites which page (or which camera) a supervisor was on.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    next();
  };
}
