// /readyz: may this node take traffic? The database answers, the mediasoup workers are alive,
// the ffmpeg binary is still there and the audit log is being written. Each check has a short time budget so a hung
// database makes the node "not ready" instead of hanging the probe. The answer is public
// (load balancers ask without credentials): it says which check failed in fixed words, and
// the reason (an error text, a path) goes to the log only.
import fs from 'node:fs';
import { moduleLogger } from '../logger.js';
import type { Database } from '../db/database.js';
import type { MediaService } from '../media/MediaService.js';
import type { AuditLog } from '../audit/AuditLog.js';
import { withTimeout } from '../util/with-timeout.js';

export interface ReadinessCheck {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: ReadinessCheck; workers: ReadinessCheck; ffmpeg: ReadinessCheck; audit: ReadinessCheck };
}

const CHECK_TIMEOUT_MS = 2000;
/** A node whose audit entries have waited this long cannot trace views: it should not take new viewers. */
const AUDIT_BEHIND_MS = 10_000;
const log = moduleLogger('readiness');

export async function readiness(db: Database, media: MediaService, expectedWorkers: number, auditLog: AuditLog): Promise<Readiness> {
  const database = await withTimeout(db.prisma.$queryRaw`SELECT 1`, CHECK_TIMEOUT_MS).then(
    () => ({ ok: true, detail: db.embedded ? 'embedded' : 'postgresql' }),
    (err: Error) => {
      log.warn({ err: err.message.split('\n')[0]!.slice(0, 500) }, 'not ready: the database does not answer');
      return { ok: false, detail: 'not answering' };
    },
  );
  const alive = media.pool.closed ? 0 : media.pool.slots.length;
  const workers = { ok: alive > 0, detail: `${alive}/${expectedWorkers} alive` };
  let ffmpeg: ReadinessCheck;
  try {
    fs.accessSync(media.ffmpeg.path, fs.constants.X_OK);
    ffmpeg = { ok: true, detail: 'present' };
  } catch {
    log.warn({ path: media.ffmpeg.path }, 'not ready: ffmpeg is missing or not executable');
    ffmpeg = { ok: false, detail: 'missing' };
  }
  const { failingSince, buffered } = auditLog.state();
  const behind = failingSince !== undefined && Date.now() - failingSince.getTime() >= AUDIT_BEHIND_MS;
  if (behind) log.warn({ buffered, since: failingSince }, 'not ready: audit entries are not being written');
  const audit = { ok: !behind, detail: behind ? 'behind' : 'writing' };
  return { ready: database.ok && workers.ok && ffmpeg.ok && audit.ok, checks: { database, workers, ffmpeg, audit } };
}
