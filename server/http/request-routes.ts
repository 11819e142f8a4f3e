// Account requests: a focal point submits named people, the authority over each requested
// scope approves or rejects, and an approved person activates their account with the
// one-time link. Bodies are validated by schema; "not allowed" answers like "not found".
import express, { type Request } from 'express';
import { z } from 'zod';
import type { AccessService, Caller } from '../access/AccessService.js';
import type { AccountRequests } from '../access/AccountRequests.js';
import { requestBody } from './access-routes.js';
import { callerOf, wrap } from './handler.js';
import { parse, pathId } from './validate.js';

export const decisionBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();
export const activateBody = z.object({ token: z.string().min(16).max(200), password: z.string().min(10).max(200) }).strict();

export function requestRoutes(access: AccessService, requests: AccountRequests): express.Router {
  const r = express.Router();
  const caller = (req: Request): Promise<Caller> => callerOf(access, req);

  r.post('/account-requests', wrap(async (req, res) => {
    res.status(201).json(await requests.submitRequest(await caller(req), parse(requestBody, req.body)));
  }));
  r.get('/account-requests', wrap(async (req, res) => {
    res.json(await requests.decidableRequests(await caller(req)));
  }));
  r.post('/account-requests/:id/approve', wrap(async (req, res) => {
    const id = pathId(req, 'no such pending request');
    const body = parse(decisionBody.partial(), req.body ?? {});
    res.json(await requests.approveRequest(await caller(req), id, body.reason ?? null));
  }));
  r.post('/account-requests/:id/reject', wrap(async (req, res) => {
    const id = pathId(req, 'no such pending request');
    await requests.rejectRequest(await caller(req), id, parse(decisionBody, req.body).reason);
    res.status(204).end();
  }));
  r.post('/auth/activate', wrap(async (req, res) => {
    const { token, password } = parse(activateBody, req.body);
    await requests.activate(token, password, req.ip ?? '');
    res.status(204).end();
  }));
  return r;
}
