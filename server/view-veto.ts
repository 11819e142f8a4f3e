// Composition, beside server.ts: the access port signaling uses, with the plugins' veto after
// the access policy. A view the policy allows is still refused when an active plugin denies it
// (any deny wins). The veto runs when a subscription is made, not on the once-a-second
// re-checks of open views. It joins three rooms, so it lives outside them.
import type { AuditLog } from './audit/AuditLog.js';
import { AppError, ErrorCode } from './errors.js';
import type { ViewAccess } from './signaling/access-port.js';
import type { PluginHost } from './plugin-host/PluginHost.js';

export function withPluginVeto(access: ViewAccess, plugins: PluginHost, audit: AuditLog): ViewAccess {
  return {
    authenticate: (h) => access.authenticate(h),
    renew: (viewer, token) => access.renew(viewer, token),
    liveSessions: (ids) => access.liveSessions(ids),
    mayStillView: (viewer, cameraId) => access.mayStillView(viewer, cameraId),
    isActive: (viewer) => access.isActive(viewer),
    visibleCameras: (viewer, cameras) => access.visibleCameras(viewer, cameras),
    mayWatchAnything: (viewer) => access.mayWatchAnything(viewer),
    async authorizeView(viewer, cameraId, stream = 'main') {
      await access.authorizeView(viewer, cameraId, stream);
      const plugin = await plugins.vetoView({ cameraId, stream, userId: viewer.id, address: viewer.address });
      if (!plugin) return;
      audit.record({ actorId: viewer.id, action: 'access.denied', target: `camera:${cameraId}`, address: viewer.address, details: { reason: 'plugin-veto', plugin } });
      throw new AppError(ErrorCode.NotFound, 'no such camera');
    },
  };
}
