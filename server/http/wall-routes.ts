// The supervision page's own reads over HTTP: the saved wall with the summaries of the cameras
// on it, and the media routers' RTP capabilities. The page asks for both as it starts, beside
// the signaling socket rather than after it, so its first picture waits on neither the
// socket's handshake nor the whole camera list (docs/performance.md, page open).
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import type { CameraSummary } from '../cameras/CameraRegistry.js';
import { Api } from './handler.js';
import { Permission } from '../access/permissions.js';
import { parse, uuid } from './validate.js';

/** The layouts the client offers; a saved wall holds at most one camera per tile of the largest. */
export const wallBody = z.object({
  layout: z.union([z.literal(1), z.literal(4), z.literal(9), z.literal(16)]),
  tiles: z.array(uuid.nullable()).max(16),
}).strict();

export interface WallRouteDeps {
  access: AccessRoom;
  /** A camera's summary as signaling lists it (name, health, sub stream); undefined if unknown here. */
  camera(id: string): CameraSummary | undefined;
  /** An image to show while a camera connects (from plugins), if any. */
  posterFor?(id: string): Promise<string | undefined>;
  /**
   * The media routers' RTP capabilities: what the browser's mediasoup Device loads. Every
   * router is made from the same codec list, so one answer holds for all of them.
   */
  rtpCapabilities(): object;
}

export function wallRoutes(deps: WallRouteDeps): Api {
  const api = new Api(deps.access);
  const { access } = deps;

  api.get('/me/wall', Permission.SignedIn, async (req, res, caller) => {
    const wall = await access.screens.wall(caller);
    // Tiles the caller may not watch are already empty: only their own cameras are described.
    const cameras = wall.tiles.flatMap((id) => {
      const c = id ? deps.camera(id) : undefined;
      return c ? [{ ...c }] : [];
    });
    if (deps.posterFor) {
      await Promise.all(cameras.map(async (c) => {
        const poster = await deps.posterFor!(c.id);
        if (poster) c.poster = poster;
      }));
    }
    res.json({ ...wall, cameras });
  });
  api.put('/me/wall', Permission.SignedIn, async (req, res, caller) => {
    res.json(await access.screens.saveWall(caller, parse(wallBody, req.body)));
  });
  // Public: codecs and header extensions, which any WebRTC offer of the server shows as well.
  api.get('/media/capabilities', Permission.Public, async (_req, res) => {
    res.json(deps.rtpCapabilities());
  });
  return api;
}
