// The express application: health, the camera API and the static web client.
import path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import { cameraInputSchema } from '../cameras/camera.schema.js';
import { AppError, ErrorCode, toErrorBody } from '../errors.js';
import { moduleLogger } from '../logger.js';
import { openApiDocument } from './openapi.js';
import { requestLogger } from './request-logger.js';
import { parse, pathId } from './validate.js';
import type { AuditLog } from '../audit/AuditLog.js';

const log = moduleLogger('http');

export interface HttpDeps {
  cameras: CameraRegistry;
  /** Account routes (login, grants, audit), mounted under /api. */
  accessRoutes: express.Router;
  /** Camera configuration changes are audited. */
  audit: AuditLog;
  /** Bearer token that may change cameras (until account-based roles guard these routes). */
  adminToken: string;
  /** Directory of the built web client. */
  clientDir: string;
  /** Accounts with published passwords exist (the demo): every page says so. */
  demo: boolean;
  /** /readyz and /metrics at the root. */
  probeRoutes: express.Router;
  /** The ops overview and the connection report, under /api. */
  opsRoutes: express.Router;
  /** Incidents, under /api. */
  incidentRoutes: express.Router;
  /** The places registry (administrative units, facilities, organizations), under /api. */
  placesRoutes: express.Router;
  /** Routes plugins declared, under /plugins/<name>. */
  pluginRoutes: express.Router;
}


function requireAdmin(token: string) {
  const expected = Buffer.from(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      next(new AppError(ErrorCode.Unauthenticated, 'a valid administrator token is required'));
      return;
    }
    next();
  };
}


export function createApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(requestLogger());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(deps.probeRoutes);

  const api = express.Router();
  api.use(express.json({ limit: '32kb' }));
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  // Public, before sign-in: what every page must say about this deployment.
  api.get('/info', (_req, res) => {
    res.json({ demo: deps.demo });
  });
  api.use(deps.accessRoutes);
  api.use(deps.opsRoutes);
  api.use(deps.incidentRoutes);
  api.use(deps.placesRoutes);
  const admin = requireAdmin(deps.adminToken);

  // Reads are administrative too: camera names and locations describe sensitive sites. The
  // web client gets its (filtered) list over signaling instead.
  api.get('/cameras', admin, (_req, res) => {
    res.json(deps.cameras.list());
  });
  api.get('/cameras/:id', admin, (req, res) => {
    const id = pathId(req, 'no such camera');
    res.json(deps.cameras.get(id));
  });
  api.post('/cameras', admin, async (req, res) => {
    const input = parse(cameraInputSchema.strict(), req.body);
    const camera = await deps.cameras.add(input);
    await deps.audit.append({ action: 'camera.create', target: `camera:${camera.id}`, address: req.ip ?? null, details: { name: camera.name, facilityId: input.facilityId ?? null } });
    res.status(201).json(camera);
  });
  api.patch('/cameras/:id', admin, async (req, res) => {
    const id = pathId(req, 'no such camera');
    const patch = parse(cameraInputSchema.partial().strict(), req.body);
    const camera = await deps.cameras.update(id, patch);
    // Which fields changed, never their values (URLs carry credentials).
    await deps.audit.append({ action: 'camera.update', target: `camera:${camera.id}`, address: req.ip ?? null, details: { fields: Object.keys(patch).sort() } });
    res.json(camera);
  });
  api.delete('/cameras/:id', admin, async (req, res) => {
    const id = pathId(req, 'no such camera');
    await deps.cameras.remove(id);
    await deps.audit.append({ action: 'camera.delete', target: `camera:${id}`, address: req.ip ?? null });
    res.status(204).end();
  });
  api.use((_req, _res, next) => next(new AppError(ErrorCode.NotFound, 'no such route')));
  app.use('/api', api);
  app.use(deps.pluginRoutes);

  app.use(express.static(deps.clientDir, { index: 'index.html', maxAge: 0 }));

  // Errors: a stable code and a safe message; bodies that are not JSON are a 400.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let error = err;
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.parse.failed') error = new AppError(ErrorCode.BadRequest, 'request body is not valid JSON');
    else if (e?.type === 'entity.too.large') error = new AppError(ErrorCode.BadRequest, 'request body is too large');
    const body = toErrorBody(error);
    const status = error instanceof AppError ? error.status : 500;
    if (status >= 500) (req.log ?? log).error({ err, path: req.path }, 'request failed');
    res.status(status === 404 && body.code === ErrorCode.Forbidden ? 404 : status).json({ error: body });
  });
  return app;
}

export const CLIENT_DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'client', 'dist');
