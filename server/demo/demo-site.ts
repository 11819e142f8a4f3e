// The demo site that `npm start` shows: four synthetic RTSP cameras registered as ordinary
// cameras (two High profile, two Constrained Baseline, 2 s GOP, burnt-in clock), each with a
// main stream (640x360) and a sub stream (320x180), so grids play sub and a maximized tile main.
import type { CameraRegistry } from '../cameras/CameraRegistry.js';
import { RtspSimulator, type SimulatedFeed } from './RtspSimulator.js';

export const DEMO_FEEDS: SimulatedFeed[] = [
  { path: '/demo/1', label: 'Cong chinh', profile: 'high', width: 640, height: 360, fps: 25, gop: 50, sub: { width: 320, height: 180 } },
  { path: '/demo/2', label: 'Hanh lang tang 2', profile: 'high', width: 640, height: 360, fps: 25, gop: 50, sub: { width: 320, height: 180 } },
  { path: '/demo/3', label: 'Khu tiep nhan', profile: 'baseline', width: 640, height: 360, fps: 25, gop: 50, sub: { width: 320, height: 180 } },
  { path: '/demo/4', label: 'Chot kiem soat', profile: 'baseline', width: 640, height: 360, fps: 25, gop: 50, sub: { width: 320, height: 180 } },
];

const NAMES = ['Demo 1 – Cổng chính', 'Demo 2 – Hành lang tầng 2', 'Demo 3 – Khu tiếp nhận', 'Demo 4 – Chốt kiểm soát'];

/**
 * Plugins the demo runs when the config file names none: snapshots (the tiles' posters) and
 * a day of recording of the first demo camera (for the recordings page).
 */
export const DEMO_PLUGINS = {
  snapshots: { enabled: true, config: { intervalSeconds: 600 } },
  recording: { enabled: true, config: { cameras: [{ name: NAMES[0]! }], retentionDays: 1, maxDiskMB: 500 } },
};

export interface DemoSite {
  simulator: RtspSimulator;
  close(): Promise<void>;
}

/** Starts the simulated cameras and makes sure the registry has them (on demand, like real ones: the grid subscribes at once). */
export async function startDemoSite(ffmpeg: string, cameras: CameraRegistry, port = Number(process.env.DEMO_RTSP_PORT ?? 8554)): Promise<DemoSite> {
  const simulator = await RtspSimulator.start(ffmpeg, DEMO_FEEDS, port);
  for (const [i, feed] of DEMO_FEEDS.entries()) {
    await cameras.ensure({
      name: NAMES[i]!, location: 'Demo', mainUrl: simulator.url(feed.path), ...(feed.sub ? { subUrl: simulator.url(`${feed.path}/sub`) } : {}),
      alwaysOn: false, transcode: 'auto', ingest: 'auto', rtspTransport: 'tcp', rtspBasicAuth: false,
    });
  }
  return { simulator, close: () => simulator.close() };
}
