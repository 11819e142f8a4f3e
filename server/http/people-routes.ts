// People administered by scope administrators: an organization's members and a new account
// for one of them, who holds a role over a place, and who could be given it there.
import express, { type Request } from 'express';
import { z } from 'zod';
import type { Caller } from '../access/AccessService.js';
import type { AccessRoom } from '../access/access-room.js';
import type { PeopleAdmin } from '../access/PeopleAdmin.js';
import { callerOf, wrap } from './handler.js';
import { requestBody, role, scopeType } from './access-routes.js';
import { parse, pathId, uuid } from './validate.js';

export const holdersQuery = z.object({ scopeType, scopeId: uuid.optional(), role: role.optional() }).strict();
export const candidatesQuery = z.object({ scopeType, scopeId: uuid.optional(), role }).strict();
export const searchQuery = z.object({ q: z.string().max(100) }).strict();
/** Why an administrator acts on a person: recorded with the action. */
export const reasonBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

export function peopleRoutes(access: AccessRoom, people: PeopleAdmin): express.Router {
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
  // The directory: search inside the caller's scope, one person, and resetting their second factor.
  r.get('/people', wrap(async (req, res) => {
    res.json(await people.search(await caller(req), parse(searchQuery, req.query).q));
  }));
  r.get('/people/:id', wrap(async (req, res) => {
    res.json(await people.person(await caller(req), pathId(req, 'no such person')));
  }));
  r.post('/people/:id/second-factor/reset', wrap(async (req, res) => {
    const id = pathId(req, 'no such person');
    await people.resetSecondFactor(await caller(req), id, parse(reasonBody, req.body).reason);
    res.status(204).end();
  }));
  return r;
}
