// Access for a deployment without accounts: everyone who reaches the server sees every
// camera. Only the demo uses it; the account-based access control replaces it.
import { AppError, ErrorCode } from '../errors.js';
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import type { ViewAccess } from './access-port.js';

export function openAccess(cameras: CameraRegistry): ViewAccess {
  let n = 0;
  return {
    async authenticate(h) {
      n += 1;
      return { id: `anonymous-${n}`, displayName: 'anonymous', address: h.address, userAgent: h.userAgent };
    },
    async authorizeView(_viewer, cameraId) {
      if (!cameras.has(cameraId)) throw new AppError(ErrorCode.NotFound, 'no such camera');
    },
    async visibleCameras(_viewer, list) {
      return list;
    },
  };
}
