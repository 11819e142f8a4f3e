// People administered by scope administrators: an organization's members and a new account
// for one of them, who holds a role over a place, and who could be given it there.
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import type { PeopleAdmin } from '../access/PeopleAdmin.js';
import { Api } from './handler.js';
import { Permission } from '../access/permissions.js';
import { requestBody, role, scopeType } from './access-routes.js';
import { parse, pathId, uuid } from './validate.js';

export const holdersQuery = z.object({ scopeType, scopeId: uuid.optional(), role: role.optional() }).strict();
export const candidatesQuery = z.object({ scopeType, scopeId: uuid.optional(), role }).strict();
export const searchQuery = z.object({ q: z.string().max(100) }).strict();
/** Why an administrator acts on a person: recorded with the action. */
export const reasonBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

export function peopleRoutes(access: AccessRoom, people: PeopleAdmin): Api {
  const api = new Api(access);

  api.get('/organizations/:id/people', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such organization');
    res.json(await people.members(caller, id));
  });
  // The same fields as an account request: a person, their first role and its scope.
  api.post('/organizations/:id/people', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such organization');
    res.status(201).json(await people.create(caller, id, parse(requestBody, req.body)));
  });
  api.get('/assignments', Permission.AdministerPeople, async (req, res, caller) => {
    const q = parse(holdersQuery, req.query);
    res.json(await people.holders(caller, { ...q, scopeId: q.scopeId ?? null }));
  });
  api.get('/people/candidates', Permission.AdministerPeople, async (req, res, caller) => {
    const q = parse(candidatesQuery, req.query);
    res.json(await people.candidates(caller, { ...q, scopeId: q.scopeId ?? null }));
  });
  // The directory: search inside the caller's scope, one person, and resetting their second factor.
  api.get('/people', Permission.AdministerPeople, async (req, res, caller) => {
    res.json(await people.search(caller, parse(searchQuery, req.query).q));
  });
  api.get('/people/:id', Permission.AdministerPeople, async (req, res, caller) => {
    res.json(await people.person(caller, pathId(req, 'no such person')));
  });
  api.post('/people/:id/second-factor/reset', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such person');
    await people.resetSecondFactor(caller, id, parse(reasonBody, req.body).reason);
    res.status(204).end();
  });
  return api;
}
