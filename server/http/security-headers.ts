// Headers every response carries. The pages load only their own scripts and styles (no inline
// script anywhere), so the policy can forbid everything else: an injected string can neither
// run script nor frame a page to trick a supervisor into clicks. Video comes over WebRTC and
// signaling over a same-origin WebSocket, neither of which needs more than 'self'.
import type { NextFunction, Request, Response } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Camera test frames arrive as data: URLs; downloads are blob: URLs.
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders() {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Older browsers that ignore frame-ancestors.
    res.setHeader('X-Frame-Options', 'DENY');
    // Links never tell other sites which page (or which camera) a supervisor was on.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    next();
  };
}
