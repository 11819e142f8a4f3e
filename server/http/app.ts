// The express application: health, the API's routers, the OpenAPI document and the static web client.
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError, ErrorCode, toErrorBody } from '../errors.js';
import { moduleLogger } from '../logger.js';
import type { Api, DeclaredRoute } from './handler.js';
import { openApiDocument } from './openapi.js';
import { requestLogger } from './request-logger.js';
import { securityHeaders } from './security-headers.js';
import { staticFiles } from './static-files.js';

const log = moduleLogger('http');

export interface HttpDeps {
  /** Account routes (what a page says before sign-in, login, grants), mounted under /api. */
  accessRoutes: Api;
  /** Directory of the built web client. */
  clientDir: string;
  /** /readyz and /metrics at the root. */
  probeRoutes: Api;
  /** The supervision page's saved wall and the media capabilities, under /api. */
  wallRoutes: Api;
  /** The ops overview and the connection report, under /api. */
  opsRoutes: Api;
  /** Incidents, under /api. */
  incidentRoutes: Api;
  /** The places registry (administrative units, facilities, organizations), under /api. */
  placesRoutes: Api;
  /** People administered by scope administrators (members, new accounts, role holders), under /api. */
  peopleRoutes: Api;
  /** Account requests, their decisions and activation, under /api. */
  requestRoutes: Api;
  /** The leak investigation (who watched what) and the audit chain's state, under /api. */
  investigationRoutes: Api;
  /** "Test this camera", under /api (before the camera routes, whose /cameras/:id would take it). */
  cameraProbeRoute: Api;
  /** Camera administration by scope administrators and installers, under /api. */
  cameraRoutes: Api;
  /** What the nodes of a cluster ask each other (pipes), under /internal/cluster; absent alone. */
  clusterRoutes?: express.Router;
  /** Routes plugins declared, under /plugins/<name>. */
  pluginRoutes: express.Router;
  /** Other origins pages may connect to (the cluster's nodes' public URLs, for reconnecting). */
  connectTo?: () => readonly string[];
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs or 'loopback'); default loopback. */
  trustProxy?: string[];
}


/** The application, and every route it serves with the permission the route declared (plugins' routes aside: they declare their own auth). */
export function createApp(deps: HttpDeps): { app: express.Express; routes: DeclaredRoute[] } {
  const app = express();
  app.disable('x-powered-by');
  // Which proxies' X-Forwarded-For to believe (sign-in throttling and the audit trail key on the
  // client's address): loopback by default; behind a load balancer, its addresses.
  app.set('trust proxy', deps.trustProxy ?? ['loopback']);

  app.use(securityHeaders(deps.connectTo));
  app.use(requestLogger());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(deps.probeRoutes.router);
  if (deps.clusterRoutes) app.use(deps.clusterRoutes);

  const api = express.Router();
  api.use(express.json({ limit: '32kb' }));
  const apis = [deps.probeRoutes, deps.accessRoutes, deps.wallRoutes, deps.opsRoutes, deps.incidentRoutes, deps.placesRoutes, deps.peopleRoutes, deps.requestRoutes, deps.investigationRoutes, deps.cameraProbeRoute, deps.cameraRoutes];
  const routes = apis.flatMap((a) => a.declared);
  const document = openApiDocument(routes);
  api.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  api.use(deps.accessRoutes.router);
  api.use(deps.wallRoutes.router);
  api.use(deps.opsRoutes.router);
  api.use(deps.incidentRoutes.router);
  api.use(deps.placesRoutes.router);
  api.use(deps.peopleRoutes.router);
  api.use(deps.requestRoutes.router);
  api.use(deps.investigationRoutes.router);
  api.use(deps.cameraProbeRoute.router);
  api.use(deps.cameraRoutes.router);
  api.use((_req, _res, next) => next(new AppError(ErrorCode.NotFound, 'no such route')));
  app.use('/api', api);
  app.use(deps.pluginRoutes);

  app.use(staticFiles(deps.clientDir));

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
  return { app, routes };
}

export const CLIENT_DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'client', 'dist');
