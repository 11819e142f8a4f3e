// What the ops dashboard shows at one moment: the SFU's workers and delivery quality, the
// bitrate in and out, and the cameras in the caller's scope with health, 24-hour uptime, last
// error and who watches (names only for those with audit authority over the camera).
import type { DutyScope, Place } from '../places/place.js';
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import type { CameraHealth } from '../cameras/camera-health.js';
import type { MediaSample } from './media-stats.js';
import type { CameraUptime, UptimeReport } from './uptime-report.js';

export interface ActiveView {
  cameraId: string;
  stream: 'main' | 'sub';
  viewer: { id: string; displayName: string };
}

export interface OpsCamera {
  id: string;
  name: string;
  facility: string | null;
  health: CameraHealth;
  subHealth?: CameraHealth;
  /** Uptime over the last 24 hours (0..1), null when nothing was monitored. */
  uptime24h: number | null;
  lastError: CameraUptime['lastError'];
  viewers: number;
  /** Present only for callers with audit authority over the camera. */
  viewerNames?: string[];
}

export interface OpsOverview {
  at: string;
  server: { cpuLoad: number; memoryBytes: number; sockets: number };
  workers: MediaSample['workers'];
  delivery: MediaSample['delivery'];
  totals: { producers: number; consumers: number; transports: number; bitrateIn: number; bitrateOut: number; cameras: number; live: number };
  cameras: OpsCamera[];
}

export interface OverviewInput {
  sample: MediaSample;
  cameras: CameraRegistry;
  report: UptimeReport;
  views: ActiveView[];
  scope: DutyScope;
  placeOf(cameraId: string): Promise<Place | undefined>;
  server: OpsOverview['server'];
}

export async function buildOverview(i: OverviewInput): Promise<OpsOverview> {
  const uptime = new Map(i.report.cameras.map((c) => [c.id, c]));
  const facilityName = new Map(i.report.facilities.map((f) => [f.id, f.name]));
  const cameras: OpsCamera[] = [];
  for (const c of i.cameras.list()) {
    const place = await i.placeOf(c.id);
    if (!place || !i.scope.covers(place)) continue;
    const u = uptime.get(c.id);
    const watching = i.views.filter((v) => v.cameraId === c.id);
    const row: OpsCamera = {
      id: c.id, name: c.name, facility: place.facilityId ? facilityName.get(place.facilityId) ?? null : null,
      health: c.health, uptime24h: u?.uptime ?? null, lastError: u?.lastError ?? null, viewers: watching.length,
    };
    if (c.subHealth) row.subHealth = c.subHealth;
    if (i.scope.audits(place)) row.viewerNames = [...new Set(watching.map((v) => v.viewer.displayName))].sort();
    cameras.push(row);
  }
  const w = i.sample.workers;
  const bitrateIn = cameras.reduce((sum, c) => sum + (c.health.bitrateKbps + (c.subHealth?.bitrateKbps ?? 0)) * 1000, 0);
  return {
    at: new Date(i.sample.at).toISOString(),
    server: i.server,
    workers: w,
    delivery: i.sample.delivery,
    totals: {
      producers: w.reduce((s, x) => s + x.producers, 0),
      consumers: w.reduce((s, x) => s + x.consumers, 0),
      transports: w.reduce((s, x) => s + x.transports, 0),
      bitrateIn,
      bitrateOut: i.sample.delivery.bitrateOut,
      cameras: cameras.length,
      live: cameras.filter((c) => c.health.state === 'live').length,
    },
    cameras,
  };
}
