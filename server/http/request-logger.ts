// One JSON log line per API request (pino-http) with a request id: taken from a well-formed
// X-Request-Id header (a proxy's) or made here, echoed in the response so a user's report can
// be matched to the log. Headers, bodies and query strings are never logged: they carry
// tokens, passwords and camera URLs.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import { moduleLogger } from '../logger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Paths polled by machines (probes, scrapes) and static files are not logged unless refused or failed. */
function quiet(url: string | undefined): boolean {
  return !url || !(url.startsWith('/api/') || url.startsWith('/plugins/'));
}

export function requestLogger() {
  return pinoHttp({
    logger: moduleLogger('http'),
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // req.log (used by handlers) carries only the id, not the whole request.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'reqId' },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0], address: req.remoteAddress }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      // A refused request is the client's business (and audited where it matters), not a server warning.
      // originalUrl: express strips a router's mount path from req.url while inside it.
      return quiet((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url) && res.statusCode < 400 ? 'silent' : 'info';
    },
    customSuccessMessage: () => 'request done',
    customErrorMessage: () => 'request failed',
  });
}
