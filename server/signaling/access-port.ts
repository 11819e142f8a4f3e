// What signaling needs from access control: who is connecting, may they watch a camera now,
// which cameras may they see. The access room implements it; signaling never reads the
// database itself.
import type { CameraSummary } from '../cameras/CameraRegistry.js';

export interface Viewer {
  /** Account id. */
  id: string;
  displayName: string;
  /** Client address and user agent, for the audit trail. */
  address: string;
  userAgent: string;
}

export interface HandshakeInfo {
  token: string | undefined;
  address: string;
  userAgent: string;
}

export interface ViewAccess {
  /** Identifies the connecting client; throws (Unauthenticated) to refuse the connection. */
  authenticate(handshake: HandshakeInfo): Promise<Viewer>;
  /** Throws (NotFound, which also stands for "not allowed") unless the viewer may watch the camera now. */
  authorizeView(viewer: Viewer, cameraId: string, stream?: 'main' | 'sub'): Promise<void>;
  /** Re-check of an open view (no audit entry of its own): false ends the view. */
  mayStillView(viewer: Viewer, cameraId: string): Promise<boolean>;
  /** False once the viewer's account is no longer active (suspended, revoked): the session ends. */
  isActive(viewer: Viewer): Promise<boolean>;
  /** The subset of cameras the viewer may see. */
  visibleCameras(viewer: Viewer, cameras: CameraSummary[]): Promise<CameraSummary[]>;
  /** Does the viewer hold anything that lets them watch video now (a media transport is for that only)? */
  mayWatchAnything(viewer: Viewer): Promise<boolean>;
}
