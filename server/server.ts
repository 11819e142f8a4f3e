// The composition root: config -> db -> media -> cameras -> access -> signaling -> http,
// and the reverse on shutdown. Tests start it on port 0 with their own config.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CameraRegistry } from './cameras/CameraRegistry.js';
import { CameraRepository } from './cameras/camera.repository.js';
import type { Config } from './config.js';
import { Database } from './db/database.js';
import { startDemoSite, type DemoSite } from './demo/demo-site.js';
import { CLIENT_DIST, createApp } from './http/app.js';
import { moduleLogger } from './logger.js';
import { MediaService } from './media/MediaService.js';
import { openAccess } from './signaling/open-access.js';
import { SignalingServer } from './signaling/SignalingServer.js';
import { SecretBox } from './util/SecretBox.js';

const log = moduleLogger('server');

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly db: Database;
  readonly media: MediaService;
  readonly cameras: CameraRegistry;
  readonly signaling: SignalingServer;
  readonly demo?: DemoSite;
  readonly adminToken: string;
  close(): Promise<void>;
}

function adminTokenFor(config: Config): string {
  if (config.adminToken) return config.adminToken;
  const file = path.join(config.dataDir, 'admin.token');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return fs.readFileSync(file, 'utf8').trim();
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
    const repo = new CameraRepository(db.prisma, SecretBox.load(config.credentialsKey, config.dataDir));
    const cameras = await CameraRegistry.create(repo, media);
    closers.push(() => cameras.close());
    for (const cam of config.cameras) await cameras.ensure(cam);
    const demo = config.demo ? await startDemoSite(media.ffmpeg.path, cameras) : undefined;
    if (demo) closers.push(() => demo.close());

    const adminToken = adminTokenFor(config);
    const app = createApp({ cameras, adminToken, clientDir: CLIENT_DIST });
    const server = http.createServer(app);
    const signaling = new SignalingServer(server, { media, cameras, access: openAccess(cameras) });
    closers.push(() => signaling.close());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    closers.push(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
    log.info({ listen: url, workers: media.pool.slots.length, cameras: cameras.list().length, database: db.embedded ? 'embedded' : 'postgresql' }, 'server ready');
    let closing: Promise<void> | undefined;
    return {
      url, port, db, media, cameras, signaling, demo, adminToken,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
