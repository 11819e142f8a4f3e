// The routes nodes of one cluster call on each other (never people): an edge asks a camera's
// owner for a pipe of its stream (and fast starts fed into it), and hangs it up. A node proves itself with a short-lived token
// signed with the cluster's shared TOKEN_SECRET; anything else gets the same 404 as an unknown
// route, before its body is read. Not in the OpenAPI document: no client may use them.
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { PIPES_PATH, type CameraOwnership } from '../cluster/CameraOwnership.js';
import { AppError, ErrorCode } from '../errors.js';

const endpointSchema = z.object({
  ip: z.string().min(2).max(64).regex(/^[0-9A-Fa-f.:]+$/, 'expected an IP address'),
  port: z.number().int().min(1).max(65535),
  srtpParameters: z.object({
    cryptoSuite: z.enum(['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']),
    keyBase64: z.string().min(16).max(200).regex(/^[A-Za-z0-9+/=]+$/),
  }).strict(),
}).strict();

const pipeRequestSchema = z.object({
  cameraId: z.string().uuid(),
  stream: z.enum(['main', 'sub']),
  edge: endpointSchema,
}).strict();

export function clusterRoutes(o: { ownership(): CameraOwnership | undefined; verifyNodeToken(token: string): string | undefined }): express.Router {
  const router = express.Router();
  const node = (req: Request): string => {
    const m = /^Node (\S+)$/.exec(req.get('authorization') ?? '');
    const id = m ? o.verifyNodeToken(m[1]!) : undefined;
    if (!id) throw new AppError(ErrorCode.NotFound, 'no such route');
    return id;
  };
  const guard = (req: Request, res: Response, next: NextFunction) => {
    try {
      res.locals.node = node(req);
      next();
    } catch (err) {
      next(err);
    }
  };
  router.post(PIPES_PATH, guard, express.json({ limit: '4kb' }), (req, res, next) => {
    const parsed = pipeRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      next(new AppError(ErrorCode.BadRequest, `invalid pipe request: ${parsed.error.issues[0]?.message ?? 'malformed'}`));
      return;
    }
    const ownership = o.ownership();
    if (!ownership) {
      next(new AppError(ErrorCode.Unavailable, 'this node is joining its cluster'));
      return;
    }
    ownership.exportPipe(res.locals.node as string, parsed.data).then((answer) => res.status(201).json(answer), next);
  });
  // Fast starts fed into a pipe, for the edge's new viewers of a camera that ignores keyframe requests.
  router.post(`${PIPES_PATH}/:pipeId/fast-starts`, guard, (req, res, next) => {
    const ownership = o.ownership();
    if (!ownership) {
      next(new AppError(ErrorCode.NotFound, 'no such pipe'));
      return;
    }
    ownership.openPipedFastStart(res.locals.node as string, String(req.params.pipeId)).then((fast) => {
      if (fast) res.status(201).json(fast);
      else res.status(204).end();
    }, next);
  });
  const fastStart = (action: 'start' | 'close') => (req: Request, res: Response) => {
    const done = o.ownership()?.pipedFastStart(res.locals.node as string, String(req.params.pipeId), String(req.params.fastStartId), action) ?? false;
    res.status(done ? 204 : 404).end();
  };
  router.post(`${PIPES_PATH}/:pipeId/fast-starts/:fastStartId/start`, guard, fastStart('start'));
  router.delete(`${PIPES_PATH}/:pipeId/fast-starts/:fastStartId`, guard, fastStart('close'));
  router.delete(`${PIPES_PATH}/:pipeId`, guard, (req, res) => {
    const closed = o.ownership()?.closePipe(res.locals.node as string, String(req.params.pipeId)) ?? false;
    res.status(closed ? 204 : 404).end();
  });
  return router;
}
