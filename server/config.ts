// Configuration: defaults, then an optional JSON file (GIAMSAT_CONFIG), then environment
// variables; validated once at start-up so a typo fails fast with the offending path.
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { cameraInputSchema } from './cameras/camera.schema.js';
import { PUBLIC_ORIGIN } from './util/origins.js';

const ingestSchema = z.object({
  /** How long ingest keeps running after the last viewer leaves. */
  graceMs: z.number().int().min(0).default(30_000),
  /** Reconnect backoff: first delay, doubling up to the cap. */
  backoffInitialMs: z.number().int().min(50).default(500),
  backoffMaxMs: z.number().int().min(100).default(10_000),
  /** No frame for this long: the camera is reported stalled. */
  stallMs: z.number().int().min(500).default(3_000),
  /** No frame for this long: the ingest process is restarted. */
  restartStalledMs: z.number().int().min(1000).default(8_000),
  /** How long a consume waits for a cold camera to produce its first packets. */
  startTimeoutMs: z.number().int().min(1000).default(10_000),
  /** Explicit ffmpeg binary; otherwise ffmpeg-static if installed, then PATH. */
  ffmpegPath: z.string().optional(),
});

const mediaSchema = z.object({
  workers: z.number().int().min(1).max(64).default(Math.max(1, os.cpus().length)),
  rtcMinPort: z.number().int().min(1024).max(65535).default(40000),
  rtcMaxPort: z.number().int().min(1024).max(65535).default(49999),
  /**
   * Viewers' WebRTC port: worker i listens on UDP and TCP port webRtcPort + i, which every
   * viewer on it shares. Absent: each worker picks a free one in its share of rtcMinPort..rtcMaxPort.
   */
  webRtcPort: z.number().int().min(1024).max(65535).optional(),
  /** Viewers' WebRTC TCP port (WEBRTC_TCP_PORT): worker i listens on webRtcTcpPort + i. Absent: the UDP port's number. */
  webRtcTcpPort: z.number().int().min(1024).max(65535).optional(),
  /**
   * The addresses viewers reach the node at (MEDIA_ANNOUNCED_ADDRESSES, comma-separated), IPv4
   * and IPv6, LAN and public, in order of preference. Absent: announcedIp alone.
   */
  announcedAddresses: z.array(z.string().refine((a) => isIP(a) !== 0, 'expected an IPv4 or IPv6 address')).min(1).max(8).optional(),
  /** Address WebRTC transports listen on. */
  listenIp: z.string().default('0.0.0.0'),
  /** Address given to browsers in ICE candidates (the host's reachable address). */
  announcedIp: z.string().default('127.0.0.1'),
  logLevel: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
});

/**
 * A TURN server (coturn with `use-auth-secret`) for viewers whose networks block UDP or every
 * port but 443: browsers get short-lived credentials for it with each media transport.
 */
const turnSchema = z.object({
  /**
   * TURN_URLS: e.g. turn:turn.example.vn:3478?transport=udp, turn:turn.example.vn:3478?transport=tcp,
   * turns:turn.example.vn:443?transport=tcp. ICE tries direct paths first, then these (UDP, TCP, TLS).
   */
  urls: z.array(z.string().regex(/^turns?:[^\s,]+$/, 'expected turn:host:port?transport=udp|tcp or turns:host:443?transport=tcp')).min(1).max(8),
  /** TURN_SECRET: coturn's static-auth-secret. It stays on the server: browsers get credentials derived from it. */
  secret: z.string().min(16),
  /** TURN_TTL_SECONDS: how long a credential lasts (a transport asks again on ICE restart). */
  ttlSeconds: z.number().int().min(60).max(86_400).default(3600),
});

export const configSchema = z.object({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().default('0.0.0.0'),
  /** Where the embedded database, keys and runtime files live. */
  dataDir: z.string().default(path.resolve('.data')),
  /**
   * Where plugins keep their files (recordings, snapshots): PLUGIN_STORAGE_DIR, default
   * dataDir/plugins. In a cluster, one volume every node mounts (NFS or the like): a camera is
   * recorded by the node that ingests it and played back through any node.
   */
  pluginStorageDir: z.string().optional(),
  /** PostgreSQL URL; absent means the embedded database (PGlite) in dataDir. */
  databaseUrl: z.string().url().optional(),
  /** 32-byte key (base64) that encrypts camera credentials at rest; generated in dataDir if absent. */
  credentialsKey: z.string().optional(),
  media: mediaSchema.default(mediaSchema.parse({})),
  ingest: ingestSchema.default(ingestSchema.parse({})),
  audit: z.object({
    /**
     * The audit key (base64, >= 32 bytes) that seals the audit chain and signs its
     * checkpoints; generated in dataDir if absent. Keep it where the database's administrators
     * cannot read it (a secret store, the environment), and share it between nodes.
     */
    key: z.string().optional(),
    /** Where signed checkpoints of the chain's head are appended; default dataDir/audit-checkpoints.jsonl. */
    checkpointFile: z.string().optional(),
    checkpointSeconds: z.number().int().min(5).max(3600).default(60),
    /** A remote syslog that receives every checkpoint too: udp://host:port or tcp://host:port. */
    syslog: z.string().regex(/^(udp|tcp):\/\/[^/]+:\d+\/?$/, 'expected udp://host:port or tcp://host:port').optional(),
  }).default({ checkpointSeconds: 60 }),
  /** Signing secret of access tokens (base64, >= 32 bytes); generated in dataDir if absent. Share it between nodes. */
  tokenSecret: z.string().optional(),
  auth: z.object({
    /** Access token lifetime; a signaling connection ends with its token unless the page renews it. */
    accessTtlSeconds: z.number().int().min(5).max(3600).default(600),
    refreshTtlSeconds: z.number().int().min(300).max(30 * 86_400).default(12 * 3600),
    /** How often open views are re-authorized (spot checks and expiries end without an event). */
    recheckMs: z.number().int().min(100).max(10_000).default(1000),
    /** TOTP for roles above facility scope: 'required' (default) or 'off' (tests of other things). */
    totp: z.enum(['required', 'off']).default('required'),
    /** How long a new account's one-time activation link works (email, sheet, admin:create). */
    activationHours: z.number().int().min(1).max(720).default(72),
  }).default({ accessTtlSeconds: 600, refreshTtlSeconds: 12 * 3600, recheckMs: 1000, totp: 'required', activationHours: 72 }),
  /**
   * Seed the demo province and its named demo accounts, whose passwords are published. Default:
   * with the demo, on the embedded database only: a start on PostgreSQL is a deployment and
   * never gets them unless asked for by this key.
   */
  demoAccounts: z.boolean().optional(),
  /** Bearer token a Prometheus server scrapes /metrics with; generated in dataDir if absent. People use an ops account instead. */
  metricsToken: z.string().min(16).optional(),
  /**
   * The demo: synthetic cameras, the demo province and its accounts. Off unless asked for
   * (`npm start` asks with --demo; DEMO=1 or DEMO=0 decides over it): a deployment, the
   * container image included, starts empty.
   */
  demo: z.boolean().default(false),
  /**
   * Plugins enabled in this deployment, by name: plugins/<name>/ unless `module` names a
   * package or path; `config` is checked against the plugin's own schema at start.
   */
  plugins: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'plugin names are lowercase letters, digits and dashes'), z.object({
    enabled: z.boolean().default(true),
    module: z.string().min(1).optional(),
    config: z.unknown().optional(),
  }).strict()).default({}),
  /**
   * The node's heartbeat in the database: after a crash, the time past the last beat counts
   * as unmonitored in the 24/7 report (not as the cameras' last state).
   */
  monitoring: z.object({
    /** This node's name (NODE_ID); several nodes need distinct ones (the health history and the cluster's events name it). */
    nodeId: z.string().min(1).max(100).default(os.hostname()),
    heartbeatSeconds: z.number().int().min(1).max(300).default(15),
  }).default({ nodeId: os.hostname(), heartbeatSeconds: 15 }),
  /**
   * Activation links by email: with an SMTP server configured, an approved person receives
   * their one-time link; without one, the focal point prints an activation sheet instead.
   */
  mail: z.object({
    /** smtp://user:pass@host:587 or smtps://…:465; absent: no email is sent. */
    smtpUrl: z.string().url().optional(),
    from: z.string().min(3).max(200).default('Giám sát camera <no-reply@localhost>'),
    /** The address people open the system at, for links in emails and sheets; absent: the approver's own. */
    publicUrl: z.string().url().optional(),
  }).default({ from: 'Giám sát camera <no-reply@localhost>' }),
  /**
   * Proxies whose X-Forwarded-For is believed, as addresses or CIDRs ('loopback' for a proxy on
   * this host). Behind a load balancer, list its addresses: sign-in throttling and the audit
   * trail key on the client's address, which only a trusted proxy may tell.
   */
  trustProxy: z.array(z.string().min(1).max(100)).min(1).max(64).default(['loopback']),
  /** Cameras to make sure exist at start (by name); the API adds more. */
  cameras: z.array(cameraInputSchema).default([]),
  /**
   * Several nodes as one system. Without `redisUrl` a node runs alone; with it, access and camera
   * changes made on any node reach every node at once (docs/cluster.md).
   */
  turn: turnSchema.optional(),
  cluster: z.object({
    redisUrl: z.string().regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://…').optional(),
    /** Nodes with the same name share events; another cluster on the same Redis uses another. */
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('giamsat'),
    /**
     * What this node does (NODE_ROLE): 'media' ingests cameras, 'edge' serves viewers (piping
     * cameras from their owners), 'both' (the default) does both. Alone, every node does both.
     */
    role: z.enum(['media', 'edge', 'both']).default('both'),
    /** Where the node sits (NODE_REGION), e.g. a province code: cameras of that province are placed on it first. */
    region: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).optional(),
    /** How many cameras this node ingests at most (NODE_CAPACITY); placement goes elsewhere past it. */
    capacity: z.number().int().min(1).max(100_000).default(500),
    /**
     * The base URL other nodes reach this node's cluster routes at (NODE_ADDRESS); absent:
     * http://<media.announcedIp>:<port>.
     */
    address: z.string().url().optional(),
    /**
     * The address other nodes send a camera's media to (NODE_PIPE_IP); absent: media.announcedIp.
     * Differs from it where viewers reach the node through a published or public address
     * that the nodes do not use among themselves (containers, NAT).
     */
    pipeIp: z.string().min(2).max(64).optional(),
    /**
     * Where browsers reach this node (NODE_PUBLIC_URL), e.g. https://node-b.example.vn: pages of
     * any node learn the others' and reconnect through one of them when their own node stops
     * answering. Absent: this node is never offered (behind one load-balanced name, it need not be).
     */
    publicUrl: z.string().regex(PUBLIC_ORIGIN, 'expected an origin such as https://node-b.example.vn (no path)').optional(),
    /** Heartbeat period in the node registry; a node silent for 3 periods is taken for dead. */
    beatMs: z.number().int().min(100).max(10_000).default(1000),
    /** A camera's ownership lease; renewed every third of it by its owner. */
    leaseMs: z.number().int().min(1000).max(120_000).default(10_000),
  }).default({ name: 'giamsat', role: 'both', capacity: 500, beatMs: 1000, leaseMs: 10_000 }),
});

export type Config = z.infer<typeof configSchema>;
export type IngestConfig = Config['ingest'];
export type MediaConfig = Config['media'];

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`environment ${name}=${v} is not a number`);
  return n;
}

function fromEnv(): Record<string, unknown> {
  const media: Record<string, unknown> = {};
  const ingest: Record<string, unknown> = {};
  const out: Record<string, unknown> = {};
  const set = (obj: Record<string, unknown>, key: string, v: unknown) => { if (v !== undefined) obj[key] = v; };
  set(out, 'port', envNumber('PORT'));
  set(out, 'host', process.env.HOST || undefined);
  set(out, 'dataDir', process.env.DATA_DIR || undefined);
  set(out, 'pluginStorageDir', process.env.PLUGIN_STORAGE_DIR || undefined);
  set(out, 'databaseUrl', process.env.DATABASE_URL || undefined);
  set(out, 'credentialsKey', process.env.CREDENTIALS_KEY || undefined);
  set(out, 'metricsToken', process.env.METRICS_TOKEN || undefined);
  set(out, 'tokenSecret', process.env.TOKEN_SECRET || undefined);
  const audit: Record<string, unknown> = {};
  set(audit, 'key', process.env.AUDIT_KEY || undefined);
  set(audit, 'checkpointFile', process.env.AUDIT_CHECKPOINT_FILE || undefined);
  set(audit, 'syslog', process.env.AUDIT_SYSLOG || undefined);
  if (Object.keys(audit).length) out.audit = audit;
  const cluster: Record<string, unknown> = {};
  set(cluster, 'redisUrl', process.env.REDIS_URL || undefined);
  set(cluster, 'name', process.env.CLUSTER_NAME || undefined);
  set(cluster, 'role', process.env.NODE_ROLE || undefined);
  set(cluster, 'region', process.env.NODE_REGION || undefined);
  set(cluster, 'capacity', envNumber('NODE_CAPACITY'));
  set(cluster, 'address', process.env.NODE_ADDRESS || undefined);
  set(cluster, 'pipeIp', process.env.NODE_PIPE_IP || undefined);
  set(cluster, 'publicUrl', process.env.NODE_PUBLIC_URL || undefined);
  if (Object.keys(cluster).length) out.cluster = cluster;
  if (process.env.NODE_ID) out.monitoring = { nodeId: process.env.NODE_ID };
  if (process.env.TURN_URLS || process.env.TURN_SECRET) {
    const turn: Record<string, unknown> = { urls: (process.env.TURN_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean) };
    set(turn, 'secret', process.env.TURN_SECRET || undefined);
    set(turn, 'ttlSeconds', envNumber('TURN_TTL_SECONDS'));
    out.turn = turn;
  }
  if (process.env.TRUST_PROXY) out.trustProxy = process.env.TRUST_PROXY.split(',').map((a) => a.trim()).filter(Boolean);
  const mail: Record<string, unknown> = {};
  set(mail, 'smtpUrl', process.env.SMTP_URL || undefined);
  set(mail, 'from', process.env.MAIL_FROM || undefined);
  set(mail, 'publicUrl', process.env.PUBLIC_URL || undefined);
  if (Object.keys(mail).length) out.mail = mail;
  if (process.env.DEMO !== undefined) out.demo = !['0', 'false', 'no', 'off'].includes(process.env.DEMO);
  set(media, 'workers', envNumber('MEDIA_WORKERS'));
  set(media, 'announcedIp', process.env.MEDIA_ANNOUNCED_IP || undefined);
  set(media, 'webRtcPort', envNumber('WEBRTC_PORT'));
  set(media, 'webRtcTcpPort', envNumber('WEBRTC_TCP_PORT'));
  if (process.env.MEDIA_ANNOUNCED_ADDRESSES) media.announcedAddresses = process.env.MEDIA_ANNOUNCED_ADDRESSES.split(',').map((a) => a.trim()).filter(Boolean);
  set(media, 'listenIp', process.env.MEDIA_LISTEN_IP || undefined);
  set(media, 'rtcMinPort', envNumber('RTC_MIN_PORT'));
  set(media, 'rtcMaxPort', envNumber('RTC_MAX_PORT'));
  set(ingest, 'ffmpegPath', process.env.FFMPEG_PATH || undefined);
  set(ingest, 'graceMs', envNumber('INGEST_GRACE_MS'));
  if (Object.keys(media).length) out.media = media;
  if (Object.keys(ingest).length) out.ingest = ingest;
  return out;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = b && typeof b === 'object' && !Array.isArray(b) && v && typeof v === 'object' && !Array.isArray(v)
      ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** Loads and validates configuration; `overrides` win over file and environment (tests use it). */
export function loadConfig(overrides: Record<string, unknown> = {}): Config {
  let file: Record<string, unknown> = {};
  const filePath = process.env.GIAMSAT_CONFIG;
  if (filePath) {
    try {
      file = JSON.parse(fs.readFileSync(filePath, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read config file ${filePath}: ${(err as Error).message}`);
    }
  }
  const parsed = configSchema.safeParse(merge(merge(file, fromEnv()), overrides));
  if (!parsed.success) {
    throw new Error(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  if (parsed.data.media.rtcMinPort > parsed.data.media.rtcMaxPort) {
    throw new Error('invalid configuration: media.rtcMinPort is above media.rtcMaxPort');
  }
  const { webRtcPort, webRtcTcpPort, workers, rtcMinPort, rtcMaxPort } = parsed.data.media;
  // A replacement worker must find its ports free: no camera transport may have taken them.
  for (const [key, first] of [['webRtcPort', webRtcPort], ['webRtcTcpPort', webRtcTcpPort]] as const) {
    if (first !== undefined && (first + workers - 1 > 65535 || (first <= rtcMaxPort && first + workers - 1 >= rtcMinPort))) {
      throw new Error(`invalid configuration: media.${key} ${first}..${first + workers - 1} (one per worker) must lie outside media.rtcMinPort..rtcMaxPort and below 65536`);
    }
  }
  return parsed.data;
}
