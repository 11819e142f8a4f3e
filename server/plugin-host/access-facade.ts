// What plugin routes may ask of access control: may this person see this camera now (a
// refusal is audited like a refused live view), and the record that material was served.
import type { AccessService } from '../access/AccessService.js';
import type { AuditLog } from '../audit/AuditLog.js';
import { AppError, ErrorCode } from '../errors.js';
import type { AccessFacade } from '../../plugins/sdk/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function pluginAccess(access: AccessService, audit: AuditLog): AccessFacade {
  return {
    async mayView(caller, cameraId, purpose) {
      if (!UUID.test(cameraId)) return false; // cannot exist: no such camera
      const viewer = { id: caller.userId, displayName: caller.fullName, address: caller.address, userAgent: '' };
      try {
        await access.authorizeView(viewer, cameraId, undefined, purpose);
        return true;
      } catch (err) {
        if (err instanceof AppError && err.code === ErrorCode.NotFound) return false;
        throw err;
      }
    },
    async visible(caller, cameraIds) {
      const allowed = await access.visibleSet(caller.userId, cameraIds.filter((id) => UUID.test(id)));
      return cameraIds.filter((id) => allowed.has(id));
    },
    recordAccess(caller, cameraId, purpose, details = {}) {
      audit.record({ actorId: caller.userId, action: 'media.access', target: `camera:${cameraId}`, address: caller.address, details: { purpose, ...details } });
    },
  };
}
