// What several browser tests start from: the server with the demo province, headless
// Chromium, and a small real camera registered as the hotel's corridor.
import type { Browser } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { launchBrowser } from './browser.js';
import { startCamera, type TestCamera } from './camera.js';
import { addCamera, startTestServer, type TestServer } from './server.js';

export interface HotelScene {
  server: TestServer;
  browser: Browser;
  camera: TestCamera;
  /** The hotel corridor camera's id ("Hành lang tầng 2", 320x180 at 10 fps). */
  cameraId: string;
  stop(): Promise<void>;
}

/** `overrides`: server configuration beyond the tests' defaults (an SMTP server, say). */
export async function startHotelScene(overrides: Record<string, unknown> = {}): Promise<HotelScene> {
  const [server, browser, camera] = await Promise.all([startTestServer(overrides), launchBrowser(), startCamera({ width: 320, height: 180, fps: 10 })]);
  const cameraId = (await addCamera(server, { name: 'Hành lang tầng 2', mainUrl: camera.url, facilityId: DEMO_IDS.hotel })).json.id as string;
  return {
    server, browser, camera, cameraId,
    async stop() {
      await browser.close();
      await server.stop();
      await camera.stop();
    },
  };
}
