// Mounts the routes plugins declared under /plugins/<name>: the caller is authenticated like
// the rest of the API (a bearer access token, or for `auth: 'ticket'` routes a signed
// ticket), the plugin's answer is turned into the response, files are served only from the
// plugin's own storage. A plugin that is not active answers 404.
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import type { AccessRoom } from '../access/access-room.js';
import type { TokenService } from '../access/tokens.js';
import { AppError, ErrorCode } from '../errors.js';
import type { MountedRoute, PluginHost } from '../plugin-host/PluginHost.js';
import { RouteInputError, type Caller, type RouteResponse } from '../../plugins/sdk/index.js';
import { z } from 'zod';
import { bearer, wrap } from './handler.js';

const HANDLER_BUDGET_MS = 10_000;

export interface PluginRouteDeps {
  plugins: PluginHost;
  access: AccessRoom;
  tokens: TokenService;
  /** The plugins' storage root (dataDir/plugins): files are served from <root>/<name> only. */
  storageRoot: string;
}

function query(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.query)) out[k] = typeof v === 'string' ? v : undefined;
  return out;
}

/** An error that says the caller's request was wrong: the plugin's own, a host call's, or a failed parse. */
function callerInputError(err: unknown): { status: number; code: string; message: string } | undefined {
  if (err instanceof RouteInputError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof AppError && err.status < 500) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof z.ZodError) return { status: 400, code: ErrorCode.BadRequest, message: z.prettifyError(err).slice(0, 500) };
  return undefined;
}

export function pluginRoutes(d: PluginRouteDeps): express.Router {
  const r = express.Router();
  r.use(express.json({ limit: '32kb' }));

  const callerOf = async (route: MountedRoute, req: Request): Promise<{ caller: Caller; ticket?: Record<string, string> }> => {
    if (route.auth === 'ticket') {
      const ticket = typeof req.query.ticket === 'string' ? d.tokens.verifyTicket(req.query.ticket) : undefined;
      if (!ticket?.sub) throw new AppError(ErrorCode.Unauthenticated, 'invalid or expired ticket');
      return { caller: { userId: ticket.sub, fullName: ticket.name ?? '', address: req.ip ?? '' }, ticket };
    }
    const who = await d.access.signIn.caller(bearer(req));
    return { caller: { userId: who.userId, fullName: who.fullName, address: req.ip ?? '' } };
  };

  const send = (plugin: string, res: Response, out: RouteResponse) => {
    if ('file' in out) {
      const root = path.resolve(d.storageRoot, plugin);
      const file = path.resolve(root, out.file);
      if (!file.startsWith(root + path.sep)) throw new Error(`plugin ${plugin} asked to serve a file outside its storage`);
      // Relative to the plugin's root: only the file's own path inside the storage is judged
      // for dot-names, not the folders above it (the default data folder is ./.data).
      res.set(out.headers ?? {}).type(out.type).sendFile(path.relative(root, file), { root, dotfiles: 'deny' });
      return;
    }
    if ('json' in out) {
      res.status(out.status ?? 200).json(out.json);
      return;
    }
    res.status(out.status ?? 200).set(out.headers ?? {}).type(out.type).send(out.body);
  };

  for (const route of d.plugins.routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'delete';
    r[method](`/plugins/${route.plugin}${route.path}`, wrap(async (req, res) => {
      if (!d.plugins.isActive(route.plugin)) throw new AppError(ErrorCode.NotFound, 'no such route');
      const { caller, ticket } = await callerOf(route, req);
      let timer: NodeJS.Timeout | undefined;
      const answer = Promise.race([
        route.handler({ params: { ...req.params } as Record<string, string>, query: query(req), caller, body: req.body, ...(ticket ? { ticket } : {}) }),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`plugin ${route.plugin} route did not answer within ${HANDLER_BUDGET_MS} ms`)), HANDLER_BUDGET_MS); }),
      ]).finally(() => clearTimeout(timer));
      try {
        send(route.plugin, res, await answer);
      } catch (err) {
        // The caller's input is not the plugin's fault: answered, not counted towards disabling it.
        const input = callerInputError(err);
        if (input) {
          res.status(input.status).json({ error: { code: input.code, message: input.message } });
          return;
        }
        d.plugins.routeFailed(route.plugin, `${route.method} ${route.path}`, err);
        throw err;
      }
    }));
  }
  r.use('/plugins', (_req, _res, next) => next(new AppError(ErrorCode.NotFound, 'no such route')));
  return r;
}
