// POST /api/cameras/probe: "test this camera" for the people who register cameras (scope
// administrators, installers). The address is probed from the server, within 10 s; the answer
// never carries the credentials, and the probe is audited by host.
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import type { AuditLog } from '../audit/AuditLog.js';
import { probeCamera } from '../cameras/camera-probe.js';
import { AppError, ErrorCode } from '../errors.js';
import { GateFullError } from '../util/Gate.js';
import { Api } from './handler.js';
import { Permission } from '../access/permissions.js';
import { parse } from './validate.js';

export const probeBody = z.object({
  url: z.string().trim().max(2000).refine((u) => {
    try {
      const p = new URL(u);
      return (p.protocol === 'rtsp:' || p.protocol === 'rtsps:') && p.hostname !== '';
    } catch {
      return false;
    }
  }, 'an rtsp:// or rtsps:// address with a host'),
  rtspTransport: z.enum(['tcp', 'udp']).default('tcp'),
  /** The camera's setting: answer a Basic challenge over plain rtsp://. */
  rtspBasicAuth: z.boolean().default(false),
}).strict();

export function cameraProbeRoute(access: AccessRoom, audit: AuditLog, ffmpegPath: string): Api {
  const api = new Api(access);
  api.post('/cameras/probe', Permission.Registry, async (req, res, who) => {
    const body = parse(probeBody, req.body);
    let result;
    try {
      result = await probeCamera(ffmpegPath, body.url, body.rtspTransport, body.rtspBasicAuth);
    } catch (err) {
      if (err instanceof GateFullError) throw new AppError(ErrorCode.TooManyRequests, 'too many camera tests are running; try again in a few seconds');
      throw err;
    }
    const host = new URL(body.url).host;
    await audit.append({ actorId: who.userId, action: 'camera.probe', target: null, address: who.address, details: { host, reachable: result.reachable, failure: result.failure?.kind ?? null } });
    res.json(result);
  });
  return api;
}
