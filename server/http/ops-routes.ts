// Operations endpoints: /readyz, /metrics (a scrape token or an ops account at nation
// scope), the ops dashboard's overview and the 24/7 connection report (JSON or CSV), each
// limited to the caller's scope.
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import { AppError, ErrorCode } from '../errors.js';
import type { MediaStats } from '../observability/media-stats.js';
import type { Metrics } from '../observability/metrics.js';
import { buildOverview, type ActiveView } from '../observability/ops-overview.js';
import type { Readiness } from '../observability/readiness.js';
import type { PluginStatus } from '../plugin-host/PluginHost.js';
import { buildConnectionDrive } from '../observability/connection-drive.js';
import { connectionDrivePdf, connectionDriveXlsx } from '../observability/connection-drive-export.js';
import type { AuditLog } from '../audit/AuditLog.js';
import { buildUptimeReport, uptimeCsv, type UptimeReport } from '../observability/uptime-report.js';
import type { Place } from '../places/place.js';
import type { UptimeRepository } from '../observability/uptime.repository.js';
import { Api, bearer, callerOf } from './handler.js';
import type { Caller } from '../access/AccessService.js';
import type { CameraOwnership } from '../cluster/CameraOwnership.js';
import { Permission } from '../access/permissions.js';
import { parse } from './validate.js';

export interface OpsDeps {
  access: AccessRoom;
  /** Report exports are audited. */
  audit: AuditLog;
  cameras: CameraRegistry;
  stats: MediaStats;
  metrics: Metrics;
  uptime: UptimeRepository;
  metricsToken: string;
  ready(): Promise<Readiness>;
  /** Every configured plugin and its state. */
  plugins(): PluginStatus[];
  /** Open views and socket connections on this node (the signaling server's). */
  live: { activeViews(): ActiveView[]; sockets(): number };
  /** The cluster this node is part of; undefined alone. */
  cluster(): CameraOwnership | undefined;
}

const DAY_MS = 86_400_000;
const UPTIME_CACHE_MS = 30_000;
/** The longest report period: a year of transitions is still a bounded read. */
const MAX_PERIOD_MS = 366 * DAY_MS;

export const reportQuery = z.object({
  from: z.coerce.date(),
  to: z.coerce.date().optional(),
  /** Percent, 0..100. */
  threshold: z.coerce.number().min(0).max(100).default(95),
  format: z.enum(['json', 'csv']).default('json'),
}).strict().refine((q) => (q.to ?? new Date()).getTime() > q.from.getTime(), { message: '"to" must be after "from"' })
  .refine((q) => (q.to ?? new Date()).getTime() - q.from.getTime() <= MAX_PERIOD_MS, { message: 'the period may span at most 366 days' });

/** The connection drive's period, and the file it is wanted as. */
export const driveQuery = z.object({
  from: z.coerce.date(), to: z.coerce.date().optional(),
  format: z.enum(['json', 'xlsx', 'pdf']).default('json'), lang: z.enum(['vi', 'en']).default('vi'),
}).strict()
  .refine((q) => (q.to ?? new Date()).getTime() > q.from.getTime(), { message: '"to" must be after "from"' })
  .refine((q) => (q.to ?? new Date()).getTime() - q.from.getTime() <= MAX_PERIOD_MS, { message: 'the period may span at most 366 days' });

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** CPU share of the server process since the previous call. */
function processLoad(): () => number {
  let last = { at: performance.now(), usage: process.cpuUsage() };
  return () => {
    const now = { at: performance.now(), usage: process.cpuUsage() };
    const cpuMs = (now.usage.user - last.usage.user + now.usage.system - last.usage.system) / 1000;
    const load = now.at > last.at ? cpuMs / (now.at - last.at) : 0;
    last = now;
    return load;
  };
}

/** Routes at the root: /readyz and /metrics. */
export function probeRoutes(d: OpsDeps): Api {
  const api = new Api(d.access, '');
  api.get('/readyz', Permission.Public, async (_req, res) => {
    const state = await d.ready();
    res.status(state.ready ? 200 : 503).json(state);
  });
  // Public as a route: a scraper presents the deployment's token, which is no person's; without
  // it, the person must be ops at nation scope.
  api.get('/metrics', Permission.Public, async (req, res) => {
    if (!sameSecret(bearer(req), d.metricsToken)) {
      const scope = await d.access.decisions.dutyScope(await callerOf(d.access, req), 'operations');
      // Metrics name every camera of the node: nation scope only.
      if (!scope.covers({})) throw new AppError(ErrorCode.NotFound, 'no such route');
    }
    const { contentType, body } = await d.metrics.render();
    res.type(contentType).send(body);
  });
  return api;
}

/** Routes under /api: the dashboard overview and the connection report. */
export function opsApiRoutes(d: OpsDeps): Api {
  const api = new Api(d.access);
  const load = processLoad();

  // The 24-hour uptime column moves slowly; it is read from the database at most every
  // UPTIME_CACHE_MS per person, not on every 2-second poll of every open dashboard.
  const uptimeCache = new Map<string, { at: number; report: Promise<UptimeReport> }>();
  const dayUptime = (userId: string, covers: (p: Place) => boolean): Promise<UptimeReport> => {
    const now = Date.now();
    for (const [k, v] of uptimeCache) if (now - v.at >= UPTIME_CACHE_MS) uptimeCache.delete(k);
    let hit = uptimeCache.get(userId);
    if (!hit) {
      hit = { at: now, report: buildUptimeReport(d.uptime, { from: new Date(now - DAY_MS), to: new Date(now), threshold: 0, covers }) };
      hit.report.catch(() => uptimeCache.delete(userId));
      uptimeCache.set(userId, hit);
    }
    return hit.report;
  };

  api.get('/ops/overview', Permission.Operations, async (req, res, caller) => {
    const scope = await d.access.decisions.dutyScope(caller, 'operations');
    const [sample, report] = await Promise.all([d.stats.sample(), dayUptime(caller.userId, scope.covers)]);
    res.json(await buildOverview({
      sample, report, scope, cameras: d.cameras, views: d.live.activeViews(),
      placeOf: (id) => d.access.decisions.placeOfCamera(id),
      server: { cpuLoad: load(), memoryBytes: process.memoryUsage().rss, sockets: d.live.sockets() },
    }));
  });

  // Plugins' state (enabled, version, errors, last error), for ops at any scope.
  // The cluster: every node (address, role, region, load), which cameras this node owns, the
  // pipes between nodes. Nation scope only: it names nodes and cameras of every province.
  const nationOps = async (caller: Caller) => {
    const scope = await d.access.decisions.dutyScope(caller, 'operations');
    if (!scope.covers({})) throw new AppError(ErrorCode.NotFound, 'no such route');
  };
  api.get('/ops/cluster', Permission.Operations, async (_req, res, caller) => {
    await nationOps(caller);
    const cluster = d.cluster();
    res.json(cluster ? { clustered: true, ...(await cluster.describe()) } : { clustered: false });
  });
  // Drains this node: it takes no new camera and hands those it owns to other nodes (audited).
  api.post('/ops/cluster/drain', Permission.Operations, async (_req, res, caller) => {
    await nationOps(caller);
    const cluster = d.cluster();
    if (!cluster) throw new AppError(ErrorCode.InvalidState, 'this node runs alone: there is nowhere to hand its cameras');
    const handed = await cluster.drain();
    await d.audit.append({ actorId: caller.userId, action: 'node.drain', target: `node:${cluster.view().self}`, address: caller.address, details: { cameras: handed } });
    res.json({ draining: true, handedOver: handed });
  });
  api.get('/plugins', Permission.Operations, async (req, res, caller) => {
    await d.access.decisions.dutyScope(caller, 'operations');
    res.json(d.plugins());
  });

  api.get('/reports/uptime', Permission.ConnectionReport, async (req, res, caller) => {
    const scope = await d.access.decisions.dutyScope(caller, 'uptime-report');
    const q = parse(reportQuery, req.query);
    const report = await buildUptimeReport(d.uptime, { from: q.from, to: q.to ?? new Date(), threshold: q.threshold / 100, covers: scope.covers });
    if (q.format === 'csv') {
      const day = (x: string) => x.slice(0, 10);
      res.type('text/csv; charset=utf-8')
        .attachment(`uptime-${day(report.from)}-${day(report.to)}.csv`)
        .send(uptimeCsv(report));
      return;
    }
    res.json(report);
  });
  // The connection drive: the same duty and scope as the connection report.
  api.get('/reports/connection', Permission.ConnectionReport, async (req, res, caller) => {
    const scope = await d.access.decisions.dutyScope(caller, 'uptime-report');
    const q = parse(driveQuery, req.query);
    const liveNow = (id: string) => d.cameras.has(id) && d.cameras.get(id).health.state === 'live';
    const drive = await buildConnectionDrive(d.uptime, { from: q.from, to: q.to ?? new Date(), covers: scope.covers, liveNow, now: new Date() });
    if (q.format === 'json') {
      res.json(drive);
      return;
    }
    // A file leaves the system with names and phones in it: who took it is recorded.
    const who = await d.access.signIn.caller(bearer(req));
    const options = { lang: q.lang, exportedBy: who.fullName, exportedAt: new Date() };
    const file = q.format === 'xlsx' ? await connectionDriveXlsx(drive, options) : await connectionDrivePdf(drive, options);
    await d.audit.append({ actorId: who.userId, action: 'report.export', target: null, address: req.ip ?? null, details: { report: 'connection-drive', format: q.format, lang: q.lang, from: drive.from, to: drive.to, facilities: drive.facilities.length } });
    const name = `ket-noi_${drive.from.slice(0, 10)}_${drive.to.slice(0, 10)}.${q.format}`;
    res.type(q.format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'application/pdf').attachment(name).send(file);
  });
  return api;
}
