// The account API: login and tokens, the caller's own profile, grants and revocations,
// account status, spot checks, and the audit questions ("who watched camera X", "what did
// person U watch"). Bodies are validated by schema; "not allowed" answers like "not found".
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import { personFields } from '../access/person.schema.js';
import { ROLE_RULES, SCOPE_RANK } from '../access/roles.js';
import { Api } from './handler.js';
import { Permission } from '../access/permissions.js';
import { parse, pathId, uuid } from './validate.js';

// The roles and scope types as the access room defines them (one list, not a copy).
export const role = z.enum(Object.keys(ROLE_RULES) as [keyof typeof ROLE_RULES, ...Array<keyof typeof ROLE_RULES>]);
export const scopeType = z.enum(Object.keys(SCOPE_RANK) as [keyof typeof SCOPE_RANK, ...Array<keyof typeof SCOPE_RANK>]);
const isoDate = z.coerce.date();

export const loginBody = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200), totp: z.string().max(12).optional() }).strict();
export const enrollBody = z.object({ enrollmentToken: z.string().min(16).max(2000), code: z.string().max(12) }).strict();
export const passwordBody = z.object({ current: z.string().min(1).max(200), password: z.string().min(1).max(200), refreshToken: z.string().min(16).max(200).optional() }).strict();
export const refreshBody = z.object({ refreshToken: z.string().min(16).max(200) }).strict();
export const grantBody = z.object({
  userId: uuid, role, scopeType, scopeId: uuid.nullable().default(null),
  effect: z.enum(['ALLOW', 'DENY']).default('ALLOW'), expiresAt: isoDate.nullable().default(null),
  reason: z.string().trim().min(1).max(500).optional(),
}).strict();
export const statusBody = z.object({ status: z.enum(['ACTIVE', 'SUSPENDED', 'REVOKED']), reason: z.string().trim().min(1).max(500).optional() }).strict();
/** A revocation may say why (the directory asks for it); recorded with the action. */
export const revokeBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();
export const spotCheckBody = z.object({
  inspectorId: uuid, facilityId: uuid.nullable().default(null), cameraIds: z.array(uuid).max(64).default([]),
  startsAt: isoDate.optional(), endsAt: isoDate, reason: z.string().min(1).max(500),
}).strict();
export const requestBody = z.object({ ...personFields, role, scopeType, scopeId: uuid.nullable().default(null) }).strict();

/** `demo`: accounts with published passwords exist, which every page must say. */
export function accessRoutes(access: AccessRoom, demo: boolean): Api {
  const api = new Api(access);

  // Before sign-in: what every page must say about this deployment.
  api.get('/info', Permission.Public, async (_req, res) => {
    res.json({ demo });
  });

  api.post('/auth/login', Permission.Public, async (req, res) => {
    const { username, password, totp } = parse(loginBody, req.body);
    res.json(await access.signIn.login(username, password, req.ip ?? '', totp));
  });
  api.post('/auth/totp', Permission.Public, async (req, res) => {
    const { enrollmentToken, code } = parse(enrollBody, req.body);
    res.json(await access.signIn.enrollTotp(enrollmentToken, code, req.ip ?? ''));
  });
  api.post('/auth/refresh', Permission.Public, async (req, res) => {
    res.json(await access.signIn.refresh(parse(refreshBody, req.body).refreshToken, req.ip ?? ''));
  });
  api.post('/auth/logout', Permission.Public, async (req, res) => {
    await access.signIn.logout(parse(refreshBody, req.body).refreshToken, req.ip ?? '');
    res.status(204).end();
  });

  api.get('/me', Permission.SignedIn, async (req, res, caller) => {
    res.json(await access.screens.profile(caller));
  });

  api.post('/me/password', Permission.SignedIn, async (req, res, caller) => {
    const { current, password, refreshToken } = parse(passwordBody, req.body);
    await access.signIn.changePassword(caller, current, password, refreshToken);
    res.status(204).end();
  });

  api.get('/me/spot-checks', Permission.SignedIn, async (req, res, caller) => {
    res.json(await access.screens.spotChecks(caller));
  });

  api.post('/assignments', Permission.AdministerPeople, async (req, res, caller) => {
    res.status(201).json(await access.admin.grant(caller, parse(grantBody, req.body)));
  });
  api.delete('/assignments/:id', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such assignment');
    await access.admin.revoke(caller, id, parse(revokeBody, req.body ?? {}).reason);
    res.status(204).end();
  });
  api.patch('/users/:id/status', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such user');
    const { status, reason } = parse(statusBody, req.body);
    await access.admin.setStatus(caller, id, status, reason);
    res.status(204).end();
  });
  api.post('/spot-checks', Permission.AdministerPeople, async (req, res, caller) => {
    const body = parse(spotCheckBody, req.body);
    res.status(201).json(await access.admin.createSpotCheck(caller, { ...body, startsAt: body.startsAt ?? new Date() }));
  });

  api.delete('/spot-checks/:id', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such spot check');
    await access.admin.cancelSpotCheck(caller, id, parse(revokeBody, req.body ?? {}).reason);
    res.status(204).end();
  });
  api.get('/places', Permission.SignedIn, async (req, res, caller) => {
    res.json(await access.screens.placesTree(caller));
  });
  return api;
}
