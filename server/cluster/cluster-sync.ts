// What a node tells the cluster, and what it does with what it hears: access, place and camera
// changes made here are announced; announced ones drop this node's caches and re-check its open
// views, and its camera registry follows the stored row, exactly as for a change made here (a
// revocation on one node ends the person's views on every node at once; a camera added on one
// node is listed and served by every node).
import type { AccessService } from '../access/AccessService.js';
import type { CameraRegistry, CameraSummary } from '../cameras/CameraRegistry.js';
import type { ChangeOrigin } from '../util/change-origin.js';
import { moduleLogger } from '../logger.js';
import { wire } from '../util/wire.js';
import type { ClusterBus, ClusterEvent } from './ClusterBus.js';

const log = moduleLogger('cluster');

/** Wires `bus` to the node's decisions and cameras; returns the unwiring. */
export function syncOverBus(bus: ClusterBus, node: { decisions: AccessService; cameras: CameraRegistry }): () => void {
  const { decisions, cameras } = node;
  const announceAccess = (userId: string, origin: ChangeOrigin) => {
    if (origin === 'local') bus.publish(userId === '*' ? { kind: 'places' } : { kind: 'access', userId });
  };
  const added = (c: CameraSummary, origin: ChangeOrigin) => {
    if (origin === 'local') bus.publish({ kind: 'camera', cameraId: c.id, change: 'added' });
  };
  const updated = (c: CameraSummary, origin: ChangeOrigin) => {
    if (origin === 'local') bus.publish({ kind: 'camera', cameraId: c.id, change: 'updated' });
  };
  const removed = (id: string, origin: ChangeOrigin) => {
    if (origin === 'local') bus.publish({ kind: 'camera', cameraId: id, change: 'removed' });
  };
  const heard = (e: ClusterEvent) => {
    switch (e.kind) {
      case 'access':
        if (e.userId === '*') decisions.placesChanged('remote');
        else decisions.invalidate(e.userId, 'remote');
        return;
      case 'places':
        decisions.placesChanged('remote');
        return;
      case 'resync':
        resync();
        return;
      case 'camera':
        // The registry follows the stored row (its events drop the camera's cached place).
        decisions.invalidateCamera(e.cameraId);
        cameras.reload(e.cameraId).catch((err: Error) => log.warn({ camera: e.cameraId, err: err.message }, 'cannot take over another node\'s camera change'));
        return;
    }
  };
  /** Announcements may have been lost: every cache goes, and every camera follows its stored row. */
  const resync = () => {
    decisions.placesChanged('remote');
    cameras.reloadAll().catch((err: Error) => log.warn({ err: err.message }, 'cannot reload the cameras after a resync'));
  };
  return wire([
    [decisions, 'changed', announceAccess], [cameras, 'added', added], [cameras, 'updated', updated], [cameras, 'removed', removed],
    [bus, 'event', heard], [bus, 'resync', resync],
  ]);
}
