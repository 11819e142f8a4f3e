// The express application: health, the API's routers, the OpenAPI document and the static web client.
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError, ErrorCode, toErrorBody } from '../errors.js';
import { moduleLogger } from '../logger.js';
import { openApiDocument } from './openapi.js';
import { requestLogger } from './request-logger.js';
import { securityHeaders } from './security-headers.js';

const log = moduleLogger('http');

export interface HttpDeps {
  /** Account routes (login, grants, audit), mounted under /api. */
  accessRoutes: express.Router;
  /** Directory of the built web client. */
  clientDir: string;
  /** Accounts with published passwords exist (the demo): every page says so. */
  demo: boolean;
  /** /readyz and /metrics at the root. */
  probeRoutes: express.Router;
  /** The supervision page's saved wall and the media capabilities, under /api. */
  wallRoutes: express.Router;
  /** The ops overview and the connection report, under /api. */
  opsRoutes: express.Router;
  /** Incidents, under /api. */
  incidentRoutes: express.Router;
  /** The places registry (administrative units, facilities, organizations), under /api. */
  placesRoutes: express.Router;
  /** People administered by scope administrators (members, new accounts, role holders), under /api. */
  peopleRoutes: express.Router;
  /** Account requests, their decisions and activation, under /api. */
  requestRoutes: express.Router;
  /** The leak investigation (who watched what) and the audit chain's state, under /api. */
  investigationRoutes: express.Router;
  /** "Test this camera", under /api (before the camera routes, whose /cameras/:id would take it). */
  cameraProbeRoute: express.Router;
  /** Camera administration by scope administrators and installers, under /api. */
  cameraRoutes: express.Router;
  /** Routes plugins declared, under /plugins/<name>. */
  pluginRoutes: express.Router;
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs or 'loopback'); default loopback. */
  trustProxy?: string[];
}


export function createApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Which proxies' X-Forwarded-For to believe (sign-in throttling and the audit trail key on the
  // client's address): loopback by default; behind a load balancer, its addresses.
  app.set('trust proxy', deps.trustProxy ?? ['loopback']);

  app.use(securityHeaders());
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
  api.use(deps.wallRoutes);
  api.use(deps.opsRoutes);
  api.use(deps.incidentRoutes);
  api.use(deps.placesRoutes);
  api.use(deps.peopleRoutes);
  api.use(deps.requestRoutes);
  api.use(deps.investigationRoutes);
  api.use(deps.cameraProbeRoute);
  api.use(deps.cameraRoutes);
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
