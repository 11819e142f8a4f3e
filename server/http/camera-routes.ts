// The camera administration API, for people: scope administrators over the camera's facility
// and the installers assigned to it register, edit and remove cameras; a camera outside any
// facility is the nation's (national administrators). Each change is audited with the person
// and the names of the fields changed, never their values (URLs carry credentials). Anything
// outside the caller's standing is "not found". Reads never return URLs.
import type { Caller } from '../access/AccessService.js';
import type { AccessRoom } from '../access/access-room.js';
import type { Place } from '../places/place.js';
import type { AuditLog } from '../audit/AuditLog.js';
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import { cameraInputSchema, cameraPatchSchema } from '../cameras/camera.schema.js';
import { AppError, ErrorCode } from '../errors.js';
import { Api } from './handler.js';
import { Permission } from '../access/permissions.js';
import { parse, pathId } from './validate.js';

export function cameraRoutes(access: AccessRoom, cameras: CameraRegistry, audit: AuditLog): Api {
  const api = new Api(access);

  /** The caller and a judge of places: administers or installs there. */
  async function standing(who: Caller): Promise<{ who: Caller; may: (place: Place) => boolean }> {
    const authority = await access.decisions.authorityOf(who.userId);
    return { who, may: (place) => authority.administers(place) || authority.installs(place) };
  }

  /** Where a camera is to go: its facility (which must exist, live, in the caller's standing), or nowhere (the nation). */
  async function target(may: (place: Place) => boolean, facilityId: string | null | undefined): Promise<void> {
    const place: (Place & { retired?: boolean }) | undefined = facilityId ? await access.decisions.placeOfFacility(facilityId) : {};
    if (!place || !may(place)) throw new AppError(ErrorCode.NotFound, facilityId ? 'no such facility' : 'no such route');
    if (place.retired) throw new AppError(ErrorCode.BadRequest, 'facilityId: the facility is retired');
  }

  /** A camera the caller may administer (NotFound otherwise, also for unknown ids). */
  async function camera(may: (place: Place) => boolean, id: string) {
    const place = cameras.has(id) ? await access.decisions.placeOfCamera(id) : undefined;
    if (!place || !may(place)) throw new AppError(ErrorCode.NotFound, 'no such camera');
    return { summary: cameras.get(id), facilityId: cameras.record(id).facilityId };
  }

  /** What the administration pages see of a camera: its settings, never its URLs. */
  function adminView(id: string) {
    const record = cameras.record(id);
    return {
      ...cameras.get(id), facilityId: record.facilityId, transcode: record.transcode, ingest: record.ingest,
      rtspTransport: record.rtspTransport, rtspBasicAuth: record.rtspBasicAuth, hasOnvif: record.onvifUrl !== null,
    };
  }

  // Reads are administrative too: camera names and locations describe sensitive sites. The
  // web client's wall gets its (filtered) list over signaling instead.
  api.get('/cameras', Permission.Registry, async (req, res, caller) => {
    const { may } = await standing(caller);
    const places = await access.decisions.cameraPlaces();
    res.json(cameras.list().flatMap((c) => {
      const place = places.get(c.id);
      return place && may(place) ? [adminView(c.id)] : [];
    }));
  });
  api.get('/cameras/:id', Permission.Registry, async (req, res, caller) => {
    const { may } = await standing(caller);
    const id = pathId(req, 'no such camera');
    await camera(may, id);
    res.json(adminView(id));
  });
  api.post('/cameras', Permission.Registry, async (req, res, caller) => {
    const { who, may } = await standing(caller);
    const input = parse(cameraInputSchema.strict(), req.body);
    await target(may, input.facilityId);
    const created = await cameras.add(input);
    await audit.append({ actorId: who.userId, action: 'camera.create', target: `camera:${created.id}`, address: who.address, details: { name: created.name, facilityId: input.facilityId ?? null, fields: Object.keys(input).sort() } });
    res.status(201).json(adminView(created.id));
  });
  api.patch('/cameras/:id', Permission.Registry, async (req, res, caller) => {
    const { who, may } = await standing(caller);
    const id = pathId(req, 'no such camera');
    const patch = parse(cameraPatchSchema.strict(), req.body);
    const before = await camera(may, id);
    if (patch.facilityId !== undefined && patch.facilityId !== before.facilityId) await target(may, patch.facilityId);
    await cameras.update(id, patch);
    await audit.append({ actorId: who.userId, action: 'camera.update', target: `camera:${id}`, address: who.address, details: { fields: Object.keys(patch).sort() } });
    res.json(adminView(id));
  });
  api.post('/cameras/:id/restart', Permission.Registry, async (req, res, caller) => {
    const { who, may } = await standing(caller);
    const id = pathId(req, 'no such camera');
    await camera(may, id);
    cameras.restart(id);
    await audit.append({ actorId: who.userId, action: 'camera.restart', target: `camera:${id}`, address: who.address, details: {} });
    res.json(adminView(id));
  });
  api.delete('/cameras/:id', Permission.Registry, async (req, res, caller) => {
    const { who, may } = await standing(caller);
    const id = pathId(req, 'no such camera');
    const before = await camera(may, id);
    await cameras.remove(id);
    await audit.append({ actorId: who.userId, action: 'camera.delete', target: `camera:${id}`, address: who.address, details: { name: before.summary.name, facilityId: before.facilityId } });
    res.status(204).end();
  });
  return api;
}
