// One root logger (pino, JSON lines); modules take a child with their namespace.
import { pino, type Logger } from 'pino';

export type { Logger };

const root = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { pid: process.pid },
  // Secrets must never reach a log line: these paths are censored wherever they appear.
  redact: {
    paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'url', '*.url', 'mainUrl', '*.mainUrl', 'subUrl', '*.subUrl', 'onvifUrl', '*.onvifUrl'],
    censor: '[redacted]',
  },
});

/** A logger for one module, e.g. `moduleLogger('media:ingest')`. */
export function moduleLogger(namespace: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ ns: namespace, ...bindings });
}
