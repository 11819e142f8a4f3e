// Helpers every route module shares: the bearer token of a request, the signed-in caller
// behind it, and async handlers whose rejections reach the error middleware.
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Caller } from '../access/AccessService.js';
import type { AccessRoom } from '../access/access-room.js';
import { Permission } from '../access/permissions.js';
import { AppError, ErrorCode } from '../errors.js';

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

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A route as declared: what the OpenAPI document and the permission tests check against. */
export interface DeclaredRoute {
  readonly method: Method;
  /** As mounted under /api (or at the root for `root` routers). */
  readonly path: string;
  readonly permission: Permission;
}

type OpenHandler = (req: Request, res: Response) => Promise<void>;
type CallerHandler = (req: Request, res: Response, caller: Caller) => Promise<void>;

interface RouteOptions {
  /** Runs after the guard and before the handler: a body parser for an upload, so a stranger's body is never read. */
  body?: RequestHandler;
}

interface Declare {
  (path: string, permission: Permission.Public, handler: OpenHandler, options?: RouteOptions): void;
  (path: string, permission: Exclude<Permission, Permission.Public>, handler: CallerHandler, options?: RouteOptions): void;
}

/**
 * A router whose every route names the permission it needs. The permission is checked here and
 * nowhere else, before anything of the route runs: an unknown or inactive caller is
 * Unauthenticated, a caller without the permission gets "no such route" (as for a route that
 * does not exist) and the refusal is recorded. Which places inside the person's scopes the
 * route may touch stays the decision of the service it calls.
 */
export class Api {
  readonly router = express.Router();
  readonly declared: DeclaredRoute[] = [];
  readonly #access: AccessRoom;
  readonly #prefix: string;

  /** `prefix`: where the router is mounted ('/api'), for the names routes are recorded under. */
  constructor(access: AccessRoom, prefix = '/api') {
    this.#access = access;
    this.#prefix = prefix;
  }

  readonly get: Declare = (path: string, permission: Permission, handler: OpenHandler | CallerHandler, options?: RouteOptions) => this.#declare('get', path, permission, handler, options);
  readonly post: Declare = (path: string, permission: Permission, handler: OpenHandler | CallerHandler, options?: RouteOptions) => this.#declare('post', path, permission, handler, options);
  readonly put: Declare = (path: string, permission: Permission, handler: OpenHandler | CallerHandler, options?: RouteOptions) => this.#declare('put', path, permission, handler, options);
  readonly patch: Declare = (path: string, permission: Permission, handler: OpenHandler | CallerHandler, options?: RouteOptions) => this.#declare('patch', path, permission, handler, options);
  readonly delete: Declare = (path: string, permission: Permission, handler: OpenHandler | CallerHandler, options?: RouteOptions) => this.#declare('delete', path, permission, handler, options);

  #declare(method: Method, path: string, permission: Permission, handler: OpenHandler | CallerHandler, options?: RouteOptions): void {
    const name = `${method.toUpperCase()} ${this.#prefix}${path}`;
    this.declared.push({ method, path: `${this.#prefix}${path}`, permission });
    const guard = (req: Request, res: Response, next: NextFunction) => {
      if (permission === Permission.Public) return next();
      callerOf(this.#access, req).then(async (caller) => {
        if (!(await this.#access.decisions.permits(caller, permission, { name, path: req.originalUrl.split('?')[0]! }))) throw new AppError(ErrorCode.NotFound, 'no such route');
        res.locals.caller = caller;
        next();
      }).catch(next);
    };
    const run = wrap((req, res) => handler(req, res, res.locals.caller as Caller));
    this.router[method](path, ...(options?.body ? [guard, options.body, run] : [guard, run]));
  }
}
