// People administered by scope administrators: an organization's members and a new account
// for one of them, who holds a role over a place, and who could be given it there.
import express, { type Request } from 'express';
import { z } from 'zod';
import type { AccessService, Caller } from '../access/AccessService.js';
import type { PeopleAdmin } from '../access/PeopleAdmin.js';
import { callerOf, wrap } from './handler.js';
import { requestBody, role, scopeType } from './access-routes.js';
import { parse, pathId, uuid } from './validate.js';

export const holdersQuery = z.object({ scopeType, scopeId: uuid.optional(), role: role.optional() }).strict();
export const candidatesQuery = z.object({ scopeType, scopeId: uuid.optional(), role }).strict();

export function peopleRoutes(access: AccessService, people: PeopleAdmin): express.Router {
  const r = express.Router();
  const caller = (req: Request): Promise<Caller> => callerOf(access, req);

  r.get('/organizations/:id/people', wrap(async (req, res) => {
    const id = pathId(req, 'no such organization');
    res.json(await people.members(await caller(req), id));
  }));
  // The same fields as an account request: a person, their first role and its scope.
  r.post('/organizations/:id/people', wrap(async (req, res) => {
    const id = pathId(req, 'no such organization');
    res.status(201).json(await people.create(await caller(req), id, parse(requestBody, req.body)));
  }));
  r.get('/assignments', wrap(async (req, res) => {
    const q = parse(holdersQuery, req.query);
    res.json(await people.holders(await caller(req), { ...q, scopeId: q.scopeId ?? null }));
  }));
  r.get('/people/candidates', wrap(async (req, res) => {
    const q = parse(candidatesQuery, req.query);
    res.json(await people.candidates(await caller(req), { ...q, scopeId: q.scopeId ?? null }));
  }));
  return r;
}
