// What signaling needs from access control: who is connecting and for how long (their sign-in),
// may they watch a camera now, which cameras may they see. The access room implements it; signaling never reads the
// database itself.
import type { CameraSummary } from '../cameras/CameraRegistry.js';

export interface Viewer {
  /** Account id. */
  id: string;
  displayName: string;
  /** Client address and user agent, for the audit trail. */
  address: string;
  userAgent: string;
  /** The sign-in the connection belongs to (absent for tokens issued before sign-ins were named). */
  sessionId?: string;
  /** Connections: when the token that opened (or last renewed) it expires, ms since the epoch. */
  validUntil?: number;
}

export interface HandshakeInfo {
  token: string | undefined;
  address: string;
  userAgent: string;
}

export interface ViewAccess {
  /** Identifies the connecting client; throws (Unauthenticated) to refuse the connection. */
  authenticate(handshake: HandshakeInfo): Promise<Viewer>;
  /**
   * A fresh access token for an open connection (the page renewed its sign-in): the new
   * expiry; throws (Unauthenticated) unless it is valid and of the same person and sign-in.
   */
  renew(viewer: Viewer, token: string): Promise<number>;
  /** Of these sign-ins, the ones still live (not signed out, revoked or expired). */
  liveSessions(sessionIds: string[]): Promise<Set<string>>;
  /** Throws (NotFound, which also stands for "not allowed") unless the viewer may watch the camera now. */
  authorizeView(viewer: Viewer, cameraId: string, stream?: 'main' | 'sub'): Promise<void>;
  /** Re-check of an open view (no audit entry of its own): false ends the view. */
  mayStillView(viewer: Viewer, cameraId: string): Promise<boolean>;
  /** False once the viewer's account is no longer active (suspended, revoked): the session ends. */
  isActive(viewer: Viewer): Promise<boolean>;
  /** The subset of cameras the viewer may see (one set decision, however many). */
  visibleCameras<T extends { id: string }>(viewer: Viewer, cameras: T[]): Promise<T[]>;
  /** Does the viewer hold anything that lets them watch video now (a media transport is for that only)? */
  mayWatchAnything(viewer: Viewer): Promise<boolean>;
}
