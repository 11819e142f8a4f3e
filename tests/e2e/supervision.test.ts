// The supervision client as its people use it, in headless Chromium against real cameras:
// a facility leader sees only their own facility; a provincial monitor works a grid of 9
// (sub streams, maximize switches to the main stream without a black frame, drag and drop,
// search, the wall saved on the server, hidden tabs consume nothing); an inspector opens a
// spot check that closes itself when the grant ends; a suspended account's page ends with a
// message. Screenshots of each screen go to test-artifacts/.
import assert from 'node:assert/strict';
import { until } from '../support/until.js';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { expectFrames, launchBrowser, openClient, screenshot, tileStates } from '../support/browser.js';
import { startCamera, type TestCamera } from '../support/camera.js';
import { addCamera, adminBearer, login, startTestServer, type TestServer } from '../support/server.js';

describe('supervision client flows', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const procs: TestCamera[] = [];
  /** Camera ids by facility; the first two cameras of the military camp have sub streams. */
  const ids: Record<'military' | 'hotel' | 'school' | 'checkpoint', string[]> = { military: [], hotel: [], school: [], checkpoint: [] };
  const withSub: string[] = [];
  const pages: Page[] = [];

  const camera = async (opts: { width: number; height: number }) => {
    const cam = await startCamera({ ...opts, fps: 10, gop: 20, kbps: 150 });
    procs.push(cam);
    return cam;
  };

  before(async () => {
    [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
    // Nine cameras in Gia Lai's three quarantine sites (what its health department watches),
    // two of them with a sub stream, and one at the checkpoint (the police's).
    const plan: Array<[keyof typeof ids, string, boolean]> = [
      ['military', 'Cổng chính', true], ['military', 'Sân tập', true], ['military', 'Nhà ăn', false],
      ['hotel', 'Hành lang tầng 2', false], ['hotel', 'Sảnh', false], ['hotel', 'Thang máy', false],
      ['school', 'Khu tiếp nhận', false], ['school', 'Ký túc xá A', false], ['school', 'Ký túc xá B', false],
      ['checkpoint', 'Làn vào', false],
    ];
    for (const [facility, name, sub] of plan) {
      const main = await camera({ width: 320, height: 180 });
      const body: Record<string, unknown> = { name, mainUrl: main.url, facilityId: DEMO_IDS[facility] };
      if (sub) body.subUrl = (await camera({ width: 160, height: 90 })).url;
      const { status, json } = await addCamera(server, body);
      assert.equal(status, 201, JSON.stringify(json));
      ids[facility]!.push(json.id);
      if (sub) withSub.push(json.id);
    }
  });
  after(async () => {
    for (const p of pages) await p.context().close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await Promise.all(procs.map((c) => c.stop()));
  });

  const open = async (username: string, query = '') => {
    const page = await openClient(browser, `${server.url}/${query}`, await login(server, username));
    pages.push(page);
    return page;
  };
  /** The provincial monitor's arranged page (kept open for the hidden-tab test). */
  let arranged: Page;
  const viewsOf = (userId: string) => server.signaling.activeViews().filter((v) => v.viewer.id === userId);

  test('a facility leader sees only their own facility, in the tree and on the wall', async () => {
    const page = await open('khachsan');
    await page.locator('#camera-list li.camera').first().waitFor();
    assert.deepEqual(await page.locator('#camera-list .place-name').allTextContents(), ['Tỉnh Gia Lai', 'TP. Pleiku', 'Khách sạn Hoàng Anh (cách ly)']);
    const shown = await page.locator('#camera-list li.camera').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cameraId));
    assert.deepEqual(shown.sort(), [...ids.hotel].sort());
    await Promise.all(ids.hotel.map((id) => expectFrames(page, id, 5, 20_000)));
    const onWall = await page.locator('.tile[data-camera-id]:not([data-camera-id=""])').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cameraId));
    assert.deepEqual(onWall.sort(), [...ids.hotel].sort(), 'nothing else reaches the wall');
    // Counts: all three cameras of the facility are live.
    await page.waitForFunction(() => document.querySelector('.facility .count')?.textContent === '3/3', undefined, { timeout: 15_000 });
    await screenshot(page, 'flow-facility-leader');
    // A folded place stays folded when the list is rebuilt (any camera change anywhere).
    await page.click(`li.unit.depth-2[data-place-id="${DEMO_IDS.pleiku}"] > details > summary`);
    assert.equal(await page.locator(`li.unit.depth-2[data-place-id="${DEMO_IDS.pleiku}"] > details`).getAttribute('open'), null);
    const rebuilt = page.waitForEvent('response', (r) => r.url().endsWith('/api/places'));
    const other = await addCamera(server, { name: 'Elsewhere', mainUrl: 'rtsp://127.0.0.1:9/none', facilityId: DEMO_IDS.hospitalKonTum });
    await rebuilt;
    await page.locator(`li.unit.depth-2[data-place-id="${DEMO_IDS.pleiku}"]`).waitFor();
    assert.equal(await page.locator(`li.unit.depth-2[data-place-id="${DEMO_IDS.pleiku}"] > details`).getAttribute('open'), null, 'still folded after the rebuild');
    await fetch(`${server.url}/api/cameras/${other.json.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${await adminBearer(server)}` } });
    await page.context().close();
  });

  test('a provincial monitor: grid of 9 on sub streams, maximize plays the main stream with no black frame', async () => {
    const page = await open('soyte', '?layout=9');
    const all = [...ids.military, ...ids.hotel, ...ids.school];
    await Promise.all(all.map((id) => expectFrames(page, id, 3, 45_000)));
    assert.equal(await page.locator('#grid .tile:not([hidden])').count(), 9);
    const [cam] = withSub;
    const tile = page.locator(`.tile[data-camera-id="${cam}"]`);
    await page.waitForFunction((id) => document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)?.dataset.playing === 'sub', cam, { timeout: 15_000 });
    assert.equal(await tile.evaluate((el) => el.querySelector<HTMLVideoElement>('video.current')!.videoWidth), 160, 'the grid plays the 160-pixel sub stream');
    await tile.locator('.stats', { hasText: /^Luồng phụ · / }).waitFor({ timeout: 5000 });
    // The tree shows the camera live while only its sub stream runs (its main stream idles).
    await page.waitForFunction((id) => document.querySelector<HTMLElement>(`#camera-list li.camera[data-camera-id="${id}"]`)?.dataset.state === 'live', cam, { timeout: 5000 });
    assert.equal(await page.locator('#camera-list .unit.depth-1 .count').first().textContent(), '9/9');
    // The tile's badge tells the state of the stream it plays, the sub stream, from the first
    // moment: a second page opened now lays the camera out from a list in which the main stream
    // idles and the sub stream is live, and no health change of the sub stream need come after.
    assert.equal(server.cameras.get(cam!).health.state, 'idle', 'nobody watches the main stream');
    assert.equal(await tile.locator('.badge').getAttribute('class'), 'badge state-live');
    const BADGES = `(() => {
      window.__badges = [];
      new MutationObserver(() => {
        const cls = document.querySelector('.tile[data-camera-id="${cam}"] .badge')?.className;
        if (cls && cls !== window.__badges.at(-1)) window.__badges.push(cls);
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class', 'data-camera-id'] });
    })();`;
    const second = await openClient(browser, `${server.url}/?layout=9`, await login(server, 'soyte'), [BADGES]);
    pages.push(second);
    await expectFrames(second, cam!, 3, 20_000);
    assert.deepEqual(await second.evaluate(() => (window as unknown as { __badges: string[] }).__badges), ['badge state-live']);
    await second.context().close();
    const noSub = ids.hotel[0]!;
    await page.waitForFunction((id) => document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)?.dataset.playing === 'main', noSub, { timeout: 15_000 });
    await screenshot(page, 'flow-provincial-grid-9');

    // Watch every animation frame of the switch: some <video> of the tile must hold a picture.
    // (A string: tsx's keepNames would wrap the named function in a helper the page lacks.)
    await page.evaluate(`(() => {
      const el = document.querySelector('.tile[data-camera-id="${cam}"]');
      window.__gaps = 0;
      window.__watching = true;
      const check = () => {
        if (!window.__watching) return;
        const pictured = [...el.querySelectorAll('video')].some((v) => v.srcObject && v.videoWidth > 0 && getComputedStyle(v).visibility !== 'hidden');
        if (!pictured) window.__gaps++;
        requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    })()`);
    await tile.dblclick();
    await page.waitForFunction((id) => {
      const el = document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)!;
      return el.dataset.playing === 'main' && !el.querySelector('video.outgoing');
    }, cam, { timeout: 15_000 });
    assert.equal(await page.locator('#grid .tile:not([hidden])').count(), 1);
    assert.equal(await tile.evaluate((el) => el.querySelector<HTMLVideoElement>('video.current')!.videoWidth), 320, 'maximized, it plays the 320-pixel main stream');
    await tile.locator('.stats', { hasText: /^Luồng chính · / }).waitFor({ timeout: 5000 });
    await tile.locator('.badge.state-live').waitFor({ timeout: 5000 }); // now the main stream's state
    const gaps = await page.evaluate(() => (window as unknown as { __gaps: number }).__gaps);
    assert.equal(gaps, 0, 'no animation frame without a picture during the switch');
    const me = (await login(server, 'soyte')).userId;
    await until('the sub stream view to end on the server', () => !viewsOf(me).some((v) => v.cameraId === cam && v.stream === 'sub'), 5000);
    assert.ok(viewsOf(me).some((v) => v.cameraId === cam && v.stream === 'main'));
    await screenshot(page, 'flow-provincial-maximized');
    // Back to the grid: the sub stream again, and the other tiles never stopped (within the grace).
    await tile.dblclick();
    await page.waitForFunction((id) => document.querySelector<HTMLElement>(`.tile[data-camera-id="${id}"]`)?.dataset.playing === 'sub' && !document.querySelector('video.outgoing'), cam, { timeout: 15_000 });
    await page.evaluate(() => ((window as unknown as { __watching: boolean }).__watching = false));
    assert.equal(await page.locator('#grid .tile:not([hidden])').count(), 9);
    await page.context().close();
  });

  test('search, drag from the tree, swap tiles; the wall comes back after a reload', async () => {
    const page = await open('soyte', '?layout=4');
    arranged = page;
    await page.locator('#camera-list li.camera').first().waitFor();
    await page.fill('#tree-search', 'chu se');
    const found = await page.locator('#camera-list li.camera:not([hidden])').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cameraId));
    assert.deepEqual(found.sort(), [...ids.school].sort(), 'a district found without its accents shows its cameras (the checkpoint there is not this person\'s)');
    await page.fill('#tree-search', 'sảnh');
    assert.deepEqual(await page.locator('#camera-list li.camera:not([hidden]) .cam-name').allTextContents(), ['Sảnh']);
    await page.fill('#tree-search', '');

    const target = ids.school[2]!;
    await page.dragAndDrop(`#camera-list li.camera[data-camera-id="${target}"]`, '#grid .tile:nth-child(1)');
    await expectFrames(page, target, 3, 15_000);
    assert.equal(await page.locator('#grid .tile:nth-child(1)').getAttribute('data-camera-id'), target);
    const second = await page.locator('#grid .tile:nth-child(2)').getAttribute('data-camera-id');
    await page.dragAndDrop('#grid .tile:nth-child(1)', '#grid .tile:nth-child(2)');
    assert.equal(await page.locator('#grid .tile:nth-child(2)').getAttribute('data-camera-id'), target, 'dragging a tile onto another swaps them');
    assert.equal(await page.locator('#grid .tile:nth-child(1)').getAttribute('data-camera-id'), second);
    await page.click('[data-layout="9"]');

    // Saved on the server (the page saves half a second after the last change).
    const session = await login(server, 'soyte');
    await until('the wall to be saved', async () => {
      const w = await (await fetch(`${server.url}/api/me/wall`, { headers: { authorization: `Bearer ${session.accessToken}` } })).json();
      return w.layout === 9 && w.tiles[1] === target;
    }, 5000);
    await screenshot(page, 'flow-provincial-arranged');
    // Another workstation (a new page, no URL layout) gets the same wall.
    const other = await open('soyte');
    await expectFrames(other, target, 3, 20_000);
    assert.equal(await other.locator('#grid .tile:nth-child(2)').getAttribute('data-camera-id'), target);
    assert.equal(await other.locator('#grid .tile:not([hidden])').count(), 9);
    await other.context().close();
  });

  test('a hidden tab stops consuming after the grace period and resumes when shown', async () => {
    const page = arranged;
    const me = (await login(server, 'soyte')).userId;
    const playing = await page.locator('#grid .tile:not([hidden])').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cameraId).filter(Boolean) as string[]);
    assert.ok(playing.length >= 4, await tileStates(page));
    await Promise.all(playing.map((id) => expectFrames(page, id, 1, 15_000)));
    // This is the person's only open page now: each of its tiles is one view.
    await until('one view per tile', () => viewsOf(me).length === playing.length, 5000);
    // Headless Chromium never hides a page: the page is told it is hidden, as a browser would.
    const setHidden = (hidden: boolean) => page.evaluate(`(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' });
      document.dispatchEvent(new Event('visibilitychange'));
    })()`);
    await setHidden(true);
    await page.waitForFunction(() => [...document.querySelectorAll('#grid .tile:not([hidden])')].every((t) => t.classList.contains('paused')), undefined, { timeout: 10_000 });
    await until('the hidden page\'s views to end', () => viewsOf(me).length === 0, 5000);
    await setHidden(false);
    const shown = await page.locator('#grid .tile:not([hidden])').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cameraId).filter(Boolean) as string[]);
    await Promise.all(shown.map((id) => expectFrames(page, id, 3, 20_000)));
    assert.equal(await page.locator('#grid .tile:not([hidden]).paused').count(), 0);

    // The keyboard works the wall: arrows select, Enter maximizes, Escape returns, Delete empties.
    await page.click('#grid .tile:nth-child(1)');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('#grid .tile.selected').evaluate((el) => [...el.parentElement!.children].indexOf(el)), 4, 'right then down in a 3×3 grid');
    await page.click('#grid .tile:nth-child(2)');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#grid .tile:not([hidden])').count(), 1);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#grid .tile:not([hidden])').count(), 9);
    const before = await page.locator('#grid .tile:nth-child(2)').getAttribute('data-camera-id');
    assert.ok(before);
    await page.keyboard.press('Delete');
    assert.equal(await page.locator('#grid .tile:nth-child(2)').getAttribute('data-camera-id'), '');
    await page.context().close();
  });

  test('an inspector opens a spot check; its grid closes with a notice when the grant ends', async () => {
    const admin = await login(server, 'quantri');
    const inspector = await login(server, 'thanhtra');
    const endsAt = new Date(Date.now() + 25_000);
    const res = await fetch(`${server.url}/api/spot-checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` },
      body: JSON.stringify({ inspectorId: inspector.userId, facilityId: DEMO_IDS.hotel, endsAt: endsAt.toISOString(), reason: 'Kiểm tra đột xuất khu cách ly' }),
    });
    assert.equal(res.status, 201, await res.text());
    // A second, longer spot check on one of the hotel's cameras: that tile outlives the first.
    const kept = ids.hotel[0]!;
    const longer = await fetch(`${server.url}/api/spot-checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` },
      body: JSON.stringify({ inspectorId: inspector.userId, facilityId: null, cameraIds: [kept], endsAt: new Date(Date.now() + 600_000).toISOString(), reason: 'Theo dõi cửa khu cách ly' }),
    });
    assert.equal(longer.status, 201, await longer.text());
    const page = await open('thanhtra');
    const item = page.locator('#spot-checks li', { hasText: 'Khách sạn Hoàng Anh' });
    await item.waitFor();
    assert.match((await item.locator('.spot-time').textContent())!, /^còn 0:[0-2]\d$/);
    await item.locator('.spot-open').click();
    await Promise.all(ids.hotel.map((id) => expectFrames(page, id, 3, 15_000))).catch(async (e: Error) => {
      throw new Error(`${e.message}; hotel cameras ${ids.hotel.join(', ')}; tiles ${await tileStates(page)}`);
    });
    assert.equal(await page.locator('#grid .tile:not([hidden])').count(), 4, 'three cameras open in a grid of 4');
    assert.match((await page.locator('#spot-bar').textContent())!, /Khách sạn Hoàng Anh.*còn 0:\d\d/);
    await screenshot(page, 'flow-inspector-spot-check');
    await page.locator('#banner.info', { hasText: 'đã kết thúc' }).waitFor({ timeout: 40_000 });
    assert.ok(Date.now() >= endsAt.getTime() - 1000, 'closed at the end of the grant, not before');
    const openTiles = () => page.locator('.tile[data-camera-id]:not([data-camera-id=""])').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cameraId));
    await page.waitForFunction((id) => [...document.querySelectorAll<HTMLElement>('.tile[data-camera-id]:not([data-camera-id=""])')].every((e) => e.dataset.cameraId === id), kept, { timeout: 5000 })
      .catch(async () => assert.fail(`only the camera the longer spot check covers stays open; open: ${(await openTiles()).join(', ')}`));
    assert.deepEqual(await openTiles(), [kept]);
    assert.equal(await page.locator('#spot-bar').isHidden(), true);
    await until('the inspector\'s other views to end on the server', () => viewsOf(inspector.userId).every((v) => v.cameraId === kept), 5000);
    await expectFrames(page, kept, 3, 10_000);
    await screenshot(page, 'flow-inspector-ended');
    await page.context().close();
  });

  test('a suspended account\'s page ends with a message instead of freezing', async () => {
    const page = await open('congan');
    await expectFrames(page, ids.checkpoint[0]!, 3, 20_000);
    const admin = await login(server, 'quantri');
    const police = await login(server, 'congan');
    const res = await fetch(`${server.url}/api/users/${police.userId}/status`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` },
      body: JSON.stringify({ status: 'SUSPENDED' }),
    });
    assert.equal(res.status, 204, await res.text());
    await page.locator('#login:not([hidden]) #login-error', { hasText: 'tạm khóa hoặc thu hồi' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('giamsat.session')), null, 'the session is gone');
    await until('the suspended person\'s views to end', () => viewsOf(police.userId).length === 0, 5000);
    await screenshot(page, 'flow-session-ended');
  });
});
