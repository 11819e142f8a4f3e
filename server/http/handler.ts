// Helpers every route module shares: the bearer token of a request, the signed-in caller
// behind it, and async handlers whose rejections reach the error middleware.
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../access/AccessService.js';
import type { AccessRoom } from '../access/access-room.js';

export function bearer(req: Request): string | undefined {
  return /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
}

/** The active person behind the request's access token (Unauthenticated otherwise). */
export async function callerOf(access: AccessRoom, req: Request): Promise<Caller> {
  return { userId: (await access.signIn.caller(bearer(req))).userId, address: req.ip ?? '' };
}

export function wrap(fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}

/**
 * Resolves the caller before a large body is read (uploads): strangers cannot make the server
 * buffer files. The caller is left in `res.locals.caller`.
 */
export function callerFirst(access: AccessRoom) {
  return (req: Request, res: Response, next: NextFunction) => {
    callerOf(access, req).then((c) => {
      res.locals.caller = c;
      next();
    }, next);
  };
}
