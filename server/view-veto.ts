// Composition, beside server.ts: the access port signaling uses (signaling/access-port.ts),
// made of the access room's sign-in (who connects, for how long) and decisions (what they may
// see), with the plugins' veto after the access policy. A view the policy allows is still
// refused when an active plugin denies it (any deny wins). The veto runs when a subscription
// is made, not on the once-a-second re-checks of open views. It joins three rooms, so it
// lives outside them; access itself knows nothing of signaling.
import type { AccessRoom } from './access/access-room.js';
import type { AuditLog } from './audit/AuditLog.js';
import { AppError, ErrorCode } from './errors.js';
import type { ViewAccess } from './signaling/access-port.js';
import type { PluginHost } from './plugin-host/PluginHost.js';

export function viewAccess(access: AccessRoom, plugins: PluginHost, audit: AuditLog): ViewAccess {
  const { signIn, decisions } = access;
  return {
    async authenticate(h) {
      const c = await signIn.connection(h.token);
      return { id: c.userId, displayName: c.fullName, address: h.address, userAgent: h.userAgent, ...(c.sessionId ? { sessionId: c.sessionId } : {}), validUntil: c.validUntil };
    },
    renew: (viewer, token) => signIn.renewConnection(viewer.id, viewer.sessionId, token),
    liveSessions: (ids) => signIn.liveSessions(ids),
    mayStillView: (viewer, cameraId) => decisions.mayStillView(viewer, cameraId),
    isActive: (viewer) => decisions.isActive(viewer),
    visibleCameras: (viewer, cameras) => decisions.visibleCameras(viewer, cameras),
    mayWatchAnything: (viewer) => decisions.mayWatchAnything(viewer),
    async authorizeView(viewer, cameraId, stream = 'main') {
      await decisions.authorizeView(viewer, cameraId, stream);
      const plugin = await plugins.vetoView({ cameraId, stream, userId: viewer.id, address: viewer.address });
      if (!plugin) return;
      audit.record({ actorId: viewer.id, action: 'access.denied', target: `camera:${cameraId}`, address: viewer.address, details: { reason: 'plugin-veto', plugin } });
      throw new AppError(ErrorCode.NotFound, 'no such camera');
    },
  };
}
