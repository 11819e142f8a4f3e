// The places registry API: administrative units (browse, search, import the official list,
// export it again). Reading needs a signed-in person (unit names are public data, but the
// API is not); importing needs a national administrator.
import express, { type Request } from 'express';
import { z } from 'zod';
import type { AccessService, Caller } from '../access/AccessService.js';
import { AppError, ErrorCode } from '../errors.js';
import type { UnitRegistry } from '../places/UnitRegistry.js';
import { MAX_LIST_BYTES } from '../places/unit-list.js';
import { toCsv } from '../util/csv.js';
import { callerOf, wrap } from './handler.js';
import { parse, pathId, uuid } from './validate.js';

export const unitsQuery = z.object({ parentId: uuid.optional() }).strict();
export const unitSearchQuery = z.object({ q: z.string().trim().min(1).max(100), within: uuid.optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();
export const importQuery = z.object({ dryRun: z.enum(['0', '1', 'true', 'false']).optional() }).strict();

export function placesRoutes(access: AccessService, units: UnitRegistry): express.Router {
  const r = express.Router();
  const caller = (req: Request): Promise<Caller> => callerOf(access, req);

  r.get('/units', wrap(async (req, res) => {
    await caller(req);
    res.json(await units.children(parse(unitsQuery, req.query).parentId ?? null));
  }));
  r.get('/units/search', wrap(async (req, res) => {
    await caller(req);
    const q = parse(unitSearchQuery, req.query);
    res.json(await units.search(q.q, q.limit, q.within));
  }));
  r.get('/units/export', wrap(async (req, res) => {
    await caller(req);
    const rows = await units.list();
    res.type('text/csv; charset=utf-8').attachment('units.csv').send(toCsv([['code', 'name', 'parent_code', 'level'], ...rows.map((u) => [u.code, u.name, u.parentCode, u.level])]));
  }));
  r.get('/units/:id', wrap(async (req, res) => {
    await caller(req);
    res.json(await units.unit(pathId(req, 'no such unit')));
  }));
  // The list as the body (text/csv), all or nothing; ?dryRun=1 says what it would change.
  r.post('/units/import', express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit: MAX_LIST_BYTES }), wrap(async (req, res) => {
    const who = await caller(req);
    const q = parse(importQuery, req.query);
    if (typeof req.body !== 'string') throw new AppError(ErrorCode.BadRequest, 'send the unit list as text/csv (columns: code, name, parent_code, level)');
    const dryRun = q.dryRun === '1' || q.dryRun === 'true';
    res.json({ dryRun, ...(await units.import({ csv: req.body, dryRun, source: 'page', actorId: who.userId, address: who.address })) });
  }));
  return r;
}
