// The places registry API: administrative units (browse, search, import the official list,
// export it again), facilities and organizations. Reading needs a signed-in person (unit
// names are public data, but the API is not); changes need authority over the place.
import express from 'express';
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import { AppError, ErrorCode } from '../errors.js';
import type { FacilityRegistry } from '../places/FacilityRegistry.js';
import { facilitiesQuery, facilityBody, facilityPatch, organizationBody, organizationPatch, siteTypeFits, surveyBody } from '../places/facility.schema.js';
import type { UnitRegistry } from '../places/UnitRegistry.js';
import { MAX_LIST_BYTES } from '../places/unit-list.js';
import { toCsv } from '../util/csv.js';
import { Api } from './handler.js';
import { Permission } from '../access/permissions.js';
import { parse, pathId, uuid } from './validate.js';

export const unitsQuery = z.object({ parentId: uuid.optional() }).strict();
export const unitSearchQuery = z.object({ q: z.string().trim().min(1).max(100), within: uuid.optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();
export const importQuery = z.object({ dryRun: z.enum(['0', '1', 'true', 'false']).optional() }).strict();

export function placesRoutes(access: AccessRoom, units: UnitRegistry, facilities: FacilityRegistry): Api {
  const api = new Api(access);

  api.get('/units', Permission.SignedIn, async (req, res, caller) => {
    caller;
    res.json(await units.children(parse(unitsQuery, req.query).parentId ?? null));
  });
  api.get('/units/search', Permission.SignedIn, async (req, res, caller) => {
    caller;
    const q = parse(unitSearchQuery, req.query);
    res.json(await units.search(q.q, q.limit, q.within));
  });
  api.get('/units/export', Permission.SignedIn, async (req, res, caller) => {
    caller;
    const rows = await units.list();
    res.type('text/csv; charset=utf-8').attachment('units.csv').send(toCsv([['code', 'name', 'parent_code', 'level'], ...rows.map((u) => [u.code, u.name, u.parentCode, u.level])]));
  });
  api.get('/units/:id', Permission.SignedIn, async (req, res, caller) => {
    caller;
    res.json(await units.unit(pathId(req, 'no such unit')));
  });
  // The list as the body (text/csv), all or nothing; ?dryRun=1 says what it would change.
  api.post('/units/import', Permission.Registry, async (req, res, who) => {
    const q = parse(importQuery, req.query);
    if (typeof req.body !== 'string') throw new AppError(ErrorCode.BadRequest, 'send the unit list as text/csv (columns: code, name, parent_code, level)');
    const dryRun = q.dryRun === '1' || q.dryRun === 'true';
    res.json({ dryRun, ...(await units.import({ csv: req.body, dryRun, source: 'page', actorId: who.userId, address: who.address })) });
  }, { body: express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit: MAX_LIST_BYTES }) });

  api.get('/facilities', Permission.Registry, async (req, res, who) => {
    const q = parse(facilitiesQuery, req.query);
    res.json(await facilities.list(who.userId, { within: q.within, includeRetired: q.retired === '1' }));
  });
  api.get('/facilities/:id', Permission.Registry, async (req, res, who) => {
    res.json(await facilities.get(who.userId, pathId(req, 'no such facility')));
  });
  api.post('/facilities', Permission.Registry, async (req, res, who) => {
    res.status(201).json(await facilities.create(who, parse(facilityBody, req.body)));
  });
  api.patch('/facilities/:id', Permission.Registry, async (req, res, who) => {
    const id = pathId(req, 'no such facility');
    const patch = parse(facilityPatch, req.body);
    if (patch.kind !== undefined || patch.siteType !== undefined) {
      // The kind and the site type are judged together, against what is stored.
      const stored = await facilities.get(who.userId, id);
      const kind = patch.kind ?? stored.kind;
      const siteType = patch.siteType !== undefined ? patch.siteType : stored.siteType;
      if (!siteTypeFits({ kind, siteType })) throw new AppError(ErrorCode.BadRequest, 'siteType: required for a civilian quarantine site, absent for the other kinds');
    }
    res.json(await facilities.update(who, id, patch));
  });
  api.put('/facilities/:id/survey', Permission.Registry, async (req, res, who) => {
    res.json(await facilities.setSurvey(who, pathId(req, 'no such facility'), parse(surveyBody, req.body)));
  });
  api.post('/facilities/:id/retire', Permission.Registry, async (req, res, who) => {
    res.json(await facilities.retire(who, pathId(req, 'no such facility')));
  });

  api.get('/organizations', Permission.Registry, async (req, res, who) => {
    res.json(await facilities.organizations(who.userId, req.query.retired === '1'));
  });
  api.post('/organizations', Permission.Registry, async (req, res, who) => {
    res.status(201).json(await facilities.createOrganization(who, parse(organizationBody, req.body)));
  });
  api.patch('/organizations/:id', Permission.Registry, async (req, res, who) => {
    res.json(await facilities.updateOrganization(who, pathId(req, 'no such organization'), parse(organizationPatch, req.body)));
  });
  api.post('/organizations/:id/retire', Permission.Registry, async (req, res, who) => {
    res.json(await facilities.retireOrganization(who, pathId(req, 'no such organization')));
  });
  return api;
}
