// The composition root: config -> db -> media -> cameras -> demo -> access -> http + signaling,
// and the reverse on shutdown. Tests start it on port 0 with their own config.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CameraRegistry } from './cameras/CameraRegistry.js';
import { HeartbeatRepository } from './cameras/heartbeat.repository.js';
import { MonitoringPulse } from './cameras/MonitoringPulse.js';
import { CameraRepository } from './cameras/camera.repository.js';
import type { Config } from './config.js';
import { Database } from './db/database.js';
import { DEMO_PLUGINS, startDemoSite, type DemoSite } from './demo/demo-site.js';
import { CLIENT_DIST, createApp } from './http/app.js';
import type { DeclaredRoute } from './http/handler.js';
import { moduleLogger } from './logger.js';
import { MediaService } from './media/MediaService.js';
import { AccessRepository } from './access/access.repository.js';
import { createAccessRoom, type AccessRoom } from './access/access-room.js';
import { ANNOUNCED_CACHE_TTL_MS, CACHE_TTL_MS, type AccessService } from './access/AccessService.js';
import { RedisBus, SoloBus, type ClusterBus } from './cluster/ClusterBus.js';
import { syncOverBus } from './cluster/cluster-sync.js';
import { CameraLeases } from './cluster/CameraLeases.js';
import { CONNECTION_SLOT_LIFE_MS, RedisConnectionSlots } from './cluster/RedisConnectionSlots.js';
import { RedisRepeatThrottle } from './cluster/RedisRepeatThrottle.js';
import { CameraOwnership, soloStreams } from './cluster/CameraOwnership.js';
import { NodeRegistry } from './cluster/NodeRegistry.js';
import { signalingAdapter } from './cluster/signaling-adapter.js';
import { closeRedisClient, clusterRedisClient, connectWithin, keepAnswering, redactUrl, type RedisClient } from './cluster/redis-client.js';
import { clusterRoutes } from './http/cluster-routes.js';
import type { StreamDirectory } from './media/View.js';
import { AppError, ErrorCode } from './errors.js';
import { AccountRequests } from './access/AccountRequests.js';
import { SmtpMailer } from './access/mailer.js';
import { warmPasswordThread } from './access/passwords.js';
import { RequestsRepository } from './access/requests.repository.js';
import { requestRoutes } from './http/request-routes.js';
import { PeopleAdmin } from './access/PeopleAdmin.js';
import { PeopleRepository } from './access/people.repository.js';
import { InvestigationRepository } from './access/investigation.repository.js';
import { RateCounters } from './access/rate-counters.js';
import { ViewInvestigation } from './access/ViewInvestigation.js';
import { TokenService } from './access/tokens.js';
import { AuditLog } from './audit/AuditLog.js';
import { auditOptions } from './audit/audit-config.js';
import { hasDemoAccounts, placeDemoCameras, seedDemoAccess } from './demo/seed-access.js';
import { accessRoutes } from './http/access-routes.js';
import { wallRoutes } from './http/wall-routes.js';
import { incidentRoutes } from './http/incident-routes.js';
import { IncidentRepository } from './incidents/incident.repository.js';
import { FILING_LIMIT, IncidentService } from './incidents/IncidentService.js';
import { opsApiRoutes, probeRoutes, type OpsDeps } from './http/ops-routes.js';
import { cameraProbeRoute } from './http/camera-probe-route.js';
import { cameraRoutes } from './http/camera-routes.js';
import { placesRoutes } from './http/places-routes.js';
import { peopleRoutes } from './http/people-routes.js';
import { investigationRoutes } from './http/investigation-routes.js';
import { pluginRoutes } from './http/plugin-routes.js';
import { MediaStats } from './observability/media-stats.js';
import { pluginAccess } from './plugin-host/access-facade.js';
import { PluginEventRepository } from './plugin-host/plugin-event.repository.js';
import { PluginHost } from './plugin-host/PluginHost.js';
import { viewAccess } from './view-veto.js';
import { Metrics } from './observability/metrics.js';
import { readiness } from './observability/readiness.js';
import { UptimeRepository } from './observability/uptime.repository.js';
import { FacilitiesRepository } from './places/facilities.repository.js';
import { FacilityRegistry } from './places/FacilityRegistry.js';
import { UnitRegistry } from './places/UnitRegistry.js';
import { UnitsRepository } from './places/units.repository.js';
import { MAX_SOCKETS_PER_ACCOUNT, SignalingServer } from './signaling/SignalingServer.js';
import { SecretBox } from './util/SecretBox.js';
import { readOrCreateSecretFile } from './util/key-file.js';

const log = moduleLogger('server');

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly db: Database;
  readonly media: MediaService;
  readonly cameras: CameraRegistry;
  readonly signaling: SignalingServer;
  readonly demo?: DemoSite;
  readonly metrics: Metrics;
  readonly plugins: PluginHost;
  readonly access: AccessRoom;
  readonly audit: AuditLog;
  /** How this node hears the others (a SoloBus when alone). */
  readonly bus: ClusterBus;
  /** Who ingests which camera, and the pipes between nodes (in a cluster only). */
  readonly ownership?: CameraOwnership;
  /** Every API route and the permission it declared. */
  readonly routes: readonly DeclaredRoute[];
  close(): Promise<void>;
}

function metricsTokenFor(config: Config): string {
  return config.metricsToken ?? readOrCreateSecretFile(config.dataDir, 'metrics.token', () => randomBytes(24).toString('base64url'));
}

export async function startServer(config: Config): Promise<RunningServer> {
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err }, 'error during shutdown');
      }
    }
  };
  try {
    const db = await Database.open({ url: config.databaseUrl, dataDir: config.dataDir });
    closers.push(() => db.close());
    const media = await MediaService.create(config.media, config.ingest);
    closers.push(() => media.close());
    const box = SecretBox.load(config.credentialsKey, config.dataDir);
    const repo = new CameraRepository(db.prisma, box, config.monitoring.nodeId);
    // Before any stream records a state: a crashed previous run is closed in the history first.
    const pulse = await MonitoringPulse.start(new HeartbeatRepository(db.prisma), { nodeId: config.monitoring.nodeId, intervalMs: config.monitoring.heartbeatSeconds * 1000 });
    closers.push(() => pulse.stop());
    // Alone, or one node of several hearing each other's changes (then caches may live longer).
    const bus: ClusterBus = config.cluster.redisUrl
      ? await RedisBus.connect({ url: config.cluster.redisUrl, name: config.cluster.name, nodeId: config.monitoring.nodeId })
      : new SoloBus(config.monitoring.nodeId);
    closers.push(() => bus.close());
    // In a cluster each camera is ingested by one node, its owner (lease on Redis).
    const clusterState = config.cluster.redisUrl ? await connectClusterState(config) : undefined;
    if (clusterState) {
      // Leases are renewed every third of their life: a connection that stopped answering is
      // found out well within that, so a node cut off from Redis stops ingesting in time.
      const { leaseMs } = config.cluster;
      const stopWatching = keepAnswering(clusterState, { role: 'state', everyMs: Math.max(100, Math.min(1000, Math.floor(leaseMs / 6))), deadlineMs: Math.max(200, Math.min(2000, Math.floor(leaseMs / 4))) });
      closers.push(() => {
        stopWatching();
        return closeRedisClient(clusterState);
      });
    }
    if (clusterState) await NodeRegistry.agreeOnKey(clusterState, config.cluster.name, box.fingerprint());
    const leases = clusterState && new CameraLeases(clusterState, { name: config.cluster.name, nodeId: config.monitoring.nodeId, leaseMs: config.cluster.leaseMs });
    // Released after the cameras recorded their last state (closers run in reverse).
    if (leases) closers.push(() => leases.close());
    const cameras = await CameraRegistry.create(repo, media, leases ? { owns: (id) => leases.holds(id) } : {});
    closers.push(() => cameras.close());
    const audit = new AuditLog(db.prisma, auditOptions(config));
    // Runs before the database closes (closers run in reverse): no audit entry is lost, and
    // the last head is signed.
    closers.push(() => audit.close());
    await audit.startCheckpoints(config.audit.checkpointSeconds * 1000);
    const tokens = TokenService.load(config.tokenSecret, config.dataDir, config.auth);
    warmPasswordThread();
    const counters = new RateCounters(db.prisma);
    const mailer = config.mail.smtpUrl ? new SmtpMailer(config.mail.smtpUrl, config.mail.from) : undefined;
    if (mailer) closers.push(() => mailer.close());
    const access = createAccessRoom({
      repo: new AccessRepository(db.prisma, db.reader, config.monitoring.nodeId), tokens, audit, box, counters,
      // Caches live long only while this node hears every change made elsewhere; while Redis is
      // away it trusts them no longer than a node alone does.
      options: { totp: config.auth.totp, cacheTtlMs: () => (bus.connected ? ANNOUNCED_CACHE_TTL_MS : CACHE_TTL_MS) },
      // A person refused on several nodes is audited once a window, not once per node.
      ...(clusterState ? { repeats: (of: 'denials' | 'logins') => new RedisRepeatThrottle(clusterState, { name: `${config.cluster.name}:${of}` }) } : {}),
    });
    closers.push(syncOverBus(bus, { decisions: access.decisions, cameras }));
    cameras.on('added', (c) => access.decisions.invalidateCamera(c.id));
    cameras.on('updated', (c) => access.decisions.invalidateCamera(c.id));
    cameras.on('removed', (id) => access.decisions.invalidateCamera(id));
    const units = new UnitRegistry(new UnitsRepository(db.prisma), audit, access.decisions);
    // The demo places first: cameras of the config file may sit in demo facilities.
    // Demo accounts have published passwords: never on PostgreSQL (a deployment) unless the
    // configuration names them explicitly (the tests of both databases do).
    const demoAccounts = config.demoAccounts ?? (config.demo && !config.databaseUrl);
    if (config.demo && !demoAccounts) log.warn('demo cameras without the demo accounts: a start on PostgreSQL never seeds accounts with published passwords');
    // Nodes started together seed one database one at a time.
    await db.exclusively('giamsat:start-up seeds', async () => {
      if (demoAccounts) await seedDemoAccess(db.prisma, box, units);
      // A system with no units gets the default list (the 63 provinces), so its first
      // administrator can place facilities at once and import a finer list later.
      await units.ensureDefault();
      for (const cam of config.cameras) await cameras.ensure(cam);
    });
    // Pages say "demo" while such accounts exist, also after a later start without the demo.
    const demoPresent = demoAccounts || await hasDemoAccounts(db.prisma);
    const demo = config.demo ? await startDemoSite(media.ffmpeg.path, cameras) : undefined;
    if (demo) closers.push(() => demo.close());
    if (demo && demoAccounts) await db.exclusively('giamsat:start-up seeds', () => placeDemoCameras(db.prisma));


    // Cameras are administered by people (scope administrators, installers) since the unit
    // registry: an operator token from an older configuration no longer opens anything.
    if (process.env.ADMIN_TOKEN) log.warn('ADMIN_TOKEN is no longer used: cameras are administered by scope administrators and installers, signed in');
    const stats = new MediaStats(media);
    // The signaling server needs the HTTP server, which needs the app: the ops routes read
    // the live views through this late-bound door.
    let liveSignaling: SignalingServer | undefined;
    const live = { activeViews: () => liveSignaling?.activeViews() ?? [], sockets: () => liveSignaling?.io.engine.clientsCount ?? 0 };
    // Set once this node has joined its cluster (right after it listens).
    const liveOwnership: { current?: CameraOwnership } = {};
    const liveRegistry: { current?: NodeRegistry } = {};
    const peers = () => liveRegistry.current?.publicUrls ?? [];
    const metrics = new Metrics({ stats, cameras, audit, bus, sockets: live.sockets, cluster: () => liveOwnership.current?.view() });
    // Where views come from: this node's own ingest alone; in a cluster, the camera's owner
    // (set once this node has joined, right after it listens: its address names its port).
    let directory: StreamDirectory | undefined = leases ? undefined : soloStreams(cameras);
    const streams: StreamDirectory = {
      streamFor: (id, kind) => {
        if (!directory) throw new AppError(ErrorCode.Unavailable, 'this node is joining its cluster; try again');
        return directory.streamFor(id, kind);
      },
    };
    const pluginStorage = path.resolve(config.pluginStorageDir ?? path.join(config.dataDir, 'plugins'));
    const pluginSettings = config.demo && Object.keys(config.plugins).length === 0 ? DEMO_PLUGINS : config.plugins;
    const plugins = await PluginHost.start(pluginSettings, {
      cameras, streams,
      // Alone, every camera is this node's; in a cluster, its owner's (none while joining).
      ingestsHere: async (id) => (leases ? liveOwnership.current?.ingestsHere(id) ?? false : cameras.has(id)),
      facilityOf: async (id) => (await access.decisions.placeOfCamera(id))?.facilityId,
      access: pluginAccess(access.decisions, audit),
      tickets: { issue: (claims, ttl) => tokens.issueTicket(claims, ttl), verify: (t) => tokens.verifyTicket(t) },
      events: new PluginEventRepository(db.prisma),
      onHookError: (plugin, hook) => metrics.pluginHookError(plugin, hook),
      ffmpegPath: media.ffmpeg.path,
      storageRoot: pluginStorage,
    });
    // Closed before the cameras and media they tap (closers run in reverse).
    closers.push(() => plugins.close());
    const ops: OpsDeps = {
      access, audit, cameras, stats, metrics, live, uptime: new UptimeRepository(db.prisma), metricsToken: metricsTokenFor(config),
      ready: () => readiness(db, media, config.media.workers, audit),
      plugins: () => plugins.list(),
      cluster: () => liveOwnership.current,
    };
    const investigations = new InvestigationRepository(db.prisma);
    const incidents = new IncidentService({
      repo: new IncidentRepository(db.prisma),
      access: {
        mayView: (userId, cameraId) => access.decisions.canView(userId, cameraId),
        viewableCameras: async (userId) => [...(await access.decisions.visibleSet(userId))],
        facilityOf: async (id) => {
          const place = await access.decisions.placeOfCamera(id);
          return place && { facilityId: place.facilityId ?? null };
        },
        deniedOn: (userId, cameraId) => access.decisions.deniedOn(userId, cameraId),
        watched: (userId, cameraId, at, slackMs) => investigations.watched(userId, cameraId, at, slackMs),
        mayFile: async (userId) => (await counters.hit(`incidents:${userId}`, 3_600_000)) <= FILING_LIMIT.perHour,
      },
      audit,
      cameraName: (id) => (cameras.has(id) ? cameras.get(id).name : undefined),
    });
    const { app, routes } = createApp({
      ...(clusterState ? { clusterRoutes: clusterRoutes({ ownership: () => liveOwnership.current, verifyNodeToken: (t) => tokens.verifyNodeToken(t) }) } : {}),
      connectTo: peers, clientDir: CLIENT_DIST, accessRoutes: accessRoutes(access, demoPresent), trustProxy: config.trustProxy,
      wallRoutes: wallRoutes({
        access,
        camera: (id) => (cameras.has(id) ? cameras.get(id) : undefined),
        posterFor: (id) => plugins.cameraPoster(id),
        rtpCapabilities: () => media.rtpCapabilities,
      }),
      cameraRoutes: cameraRoutes(access, cameras, audit),
      probeRoutes: probeRoutes(ops), opsRoutes: opsApiRoutes(ops), incidentRoutes: incidentRoutes(access, incidents, { ffmpegPath: media.ffmpeg.path }),
      cameraProbeRoute: cameraProbeRoute(access, audit, media.ffmpeg.path),
      placesRoutes: placesRoutes(access, units, new FacilityRegistry(new FacilitiesRepository(db.prisma), audit, access.decisions)),
      peopleRoutes: peopleRoutes(access, new PeopleAdmin(new PeopleRepository(db.prisma), access.repo, audit, config.auth.activationHours)),
      requestRoutes: requestRoutes(access, new AccountRequests({
        repo: new RequestsRepository(db.prisma), access: access.repo, audit, counters, onChanged: (userId) => access.decisions.invalidate(userId),
        box, tokens, totp: config.auth.totp, activationHours: config.auth.activationHours, ...(mailer ? { mailer } : {}), ...(config.mail.publicUrl ? { publicUrl: config.mail.publicUrl } : {}),
      })),
      investigationRoutes: investigationRoutes(access, new ViewInvestigation(investigations, access.decisions, audit)),
      pluginRoutes: pluginRoutes({ plugins, access, tokens, storageRoot: pluginStorage }),
    });
    const server = http.createServer(app);
    // In a cluster, pushes reach the viewers of every node (socket.io's Redis streams adapter).
    const plane = config.cluster.redisUrl ? await signalingAdapter({ url: config.cluster.redisUrl, name: config.cluster.name, nodeId: config.monitoring.nodeId }) : undefined;
    if (plane) closers.push(() => plane.close());
    // In a cluster the cap on an account's connections holds across nodes (counted on Redis).
    const connectionSlots = clusterState && new RedisConnectionSlots(clusterState, { name: config.cluster.name, nodeId: config.monitoring.nodeId, cap: MAX_SOCKETS_PER_ACCOUNT, lifeMs: CONNECTION_SLOT_LIFE_MS });
    if (connectionSlots) closers.push(() => connectionSlots.close());
    const signaling = new SignalingServer(server, {
      ...(plane ? { adapter: plane.adapter } : {}),
      media, cameras, streams, access: viewAccess(access, plugins, audit), recheckMs: config.auth.recheckMs,
      posterFor: (id) => plugins.cameraPoster(id),
      ...(clusterState ? { peers } : {}),
      ...(config.turn ? { turn: config.turn } : {}),
      ...(connectionSlots ? { connectionSlots } : {}),
    });
    liveSignaling = signaling;
    signaling.on('view', (e) => access.decisions.recordView(e));
    signaling.on('view', (e) => plugins.viewEvent(e.type, { cameraId: e.cameraId, stream: e.stream, userId: e.viewer.id, ...(e.reason ? { reason: e.reason } : {}) }));
    access.decisions.on('changed', (userId) => void signaling.recheckViewer(userId));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    closers.push(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    // Closed before the HTTP server (closers run in reverse): the viewers' WebSockets are
    // upgraded sockets the HTTP server no longer ends itself, but its close() waits for them,
    // so a stop with a page open hung until the force-exit timer (exit code 1).
    closers.push(() => signaling.close());
    const port = (server.address() as AddressInfo).port;
    let ownership: CameraOwnership | undefined;
    if (clusterState && leases) {
      const joined = await joinCluster({ config, port, state: clusterState, leases, bus, cameras, media, box, tokens, decisions: access.decisions, units });
      closers.push(() => joined.close());
      ownership = joined.ownership;
      directory = ownership;
      liveOwnership.current = ownership;
      liveRegistry.current = joined.registry;
      // Pages learn of a node that comes or goes, to reconnect through it or not.
      joined.registry.on('joined', () => signaling.announcePeers());
      joined.registry.on('left', () => signaling.announcePeers());
    }
    const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
    log.info({ listen: url, workers: media.pool.slots.length, cameras: cameras.list().length, database: db.embedded ? 'embedded' : 'postgresql' }, 'server ready');
    let closing: Promise<void> | undefined;
    return {
      url, port, db, media, cameras, signaling, demo, access, audit, metrics, plugins, routes, bus, ownership,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The cluster's Redis for shared state (leases, the node registry); refuses the start when unreachable. */
async function connectClusterState(config: Config): Promise<RedisClient> {
  const url = config.cluster.redisUrl!;
  let closed = false;
  const client = clusterRedisClient({ url, name: config.cluster.name, nodeId: config.monitoring.nodeId, role: 'state', live: () => !closed });
  try {
    await connectWithin([client], 5000);
  } catch (err) {
    closed = true;
    await closeRedisClient(client);
    throw new Error(`cannot reach Redis for the cluster (${redactUrl(url)}): ${(err as Error).message}`);
  }
  return client;
}

interface JoinDeps {
  config: Config;
  port: number;
  state: RedisClient;
  leases: CameraLeases;
  bus: ClusterBus;
  cameras: CameraRegistry;
  media: MediaService;
  box: SecretBox;
  tokens: TokenService;
  decisions: AccessService;
  units: UnitRegistry;
}

/** Registers this node (address, role, region, capacity) and starts owning and piping cameras. */
async function joinCluster(d: JoinDeps): Promise<{ ownership: CameraOwnership; registry: NodeRegistry; close(): Promise<void> }> {
  const { config } = d;
  const registry = await NodeRegistry.join(d.state, {
    name: config.cluster.name,
    self: {
      id: config.monitoring.nodeId,
      role: config.cluster.role,
      ...(config.cluster.region ? { region: config.cluster.region } : {}),
      address: config.cluster.address ?? `http://${config.media.announcedIp}:${d.port}`,
      ...(config.cluster.publicUrl ? { publicUrl: config.cluster.publicUrl } : {}),
      capacity: config.cluster.capacity,
    },
    load: () => d.leases.held.size,
    beatMs: config.cluster.beatMs,
    keyFingerprint: d.box.fingerprint(),
  });
  // A camera's region is the code of its top-level unit (its province).
  const provinceCodes = new Map<string, string | undefined>();
  const regionOf = async (cameraId: string) => {
    const top = (await d.decisions.placeOfCamera(cameraId))?.units?.[0];
    if (!top) return undefined;
    if (!provinceCodes.has(top)) provinceCodes.set(top, (await d.units.unit(top).catch(() => undefined))?.code);
    return provinceCodes.get(top);
  };
  const ownership = new CameraOwnership({
    registry, leases: d.leases, cameras: d.cameras, media: d.media, bus: d.bus,
    nodeToken: () => d.tokens.issueNodeToken(config.monitoring.nodeId),
    address: { listenIp: config.media.listenIp, announcedIp: config.cluster.pipeIp ?? config.media.announcedIp },
    startTimeoutMs: config.ingest.startTimeoutMs, graceMs: config.ingest.graceMs, regionOf,
    leaseMs: config.cluster.leaseMs, beatMs: config.cluster.beatMs,
  });
  void ownership.sweep();
  return {
    ownership,
    registry,
    close: async () => {
      ownership.close();
      await registry.close();
    },
  };
}
