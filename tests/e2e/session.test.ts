// The session in the page with short-lived access tokens (30 s): renewed silently before
// they expire, again and again, while the page keeps working; when the refresh token is no
// longer accepted (it expired or was withdrawn), the page returns to the sign-in form and
// says why instead of freezing. A password change made elsewhere ends the page's sign-in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, openClient, screenshot } from '../support/browser.js';
import { login, startTestServer, type TestServer } from '../support/server.js';

describe('session renewal in the page', { timeout: 90_000 }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ auth: { accessTtlSeconds: 30 } }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('access tokens are renewed before they expire; a refused renewal ends the session with a message', async () => {
    const session = await login(server, 'khachsan');
    const page = await openClient(browser, `${server.url}/`, session);
    await page.locator('#camera-list').waitFor();
    const token = () => page.evaluate(() => (JSON.parse(sessionStorage.getItem('giamsat.session') ?? '{}') as { accessToken?: string }).accessToken);
    const first = await token();
    assert.equal(first, session.accessToken);
    // Renewed a minute before expiry, at the latest 5 s from now with a 30 s token.
    await page.waitForFunction((t) => JSON.parse(sessionStorage.getItem('giamsat.session') ?? '{}').accessToken !== t, first, { timeout: 15_000 });
    const second = await token();
    await page.waitForFunction((t) => JSON.parse(sessionStorage.getItem('giamsat.session') ?? '{}').accessToken !== t, second, { timeout: 15_000 });
    // The renewed token works for the page's API calls.
    const status = await page.evaluate(async () => {
      const s = JSON.parse(sessionStorage.getItem('giamsat.session')!) as { accessToken: string };
      return (await fetch('/api/me/wall', { headers: { authorization: `Bearer ${s.accessToken}` } })).status;
    });
    assert.equal(status, 200);

    // The person's refresh tokens are withdrawn (as when they expire): the next renewal is
    // refused, or the server's check of the connection's sign-in ends it first; either way
    // the page says the sign-in is over.
    await server.db.prisma.refreshToken.updateMany({ where: { userId: session.userId }, data: { revokedAt: new Date() } });
    await page.locator('#login:not([hidden]) #login-error', { hasText: /Phiên đăng nhập đã (hết hạn|kết thúc)/ }).waitFor({ timeout: 15_000 });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('giamsat.session')), null);
    assert.equal(await page.locator('#grid').isVisible(), false);
    await screenshot(page, 'session-expired');
  });

  test('a password change made elsewhere ends the page\'s sign-in at once, and the page says so', async () => {
    const here = await login(server, 'soyte');
    const page = await openClient(browser, `${server.url}/`, here);
    await page.locator('#camera-list').waitFor();
    const elsewhere = await login(server, 'soyte');
    const changed = await fetch(`${server.url}/api/me/password`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${elsewhere.accessToken}` },
      body: JSON.stringify({ current: 'giamsat-demo-2021', password: 'Mật khẩu mới của Sở Y tế 2/12!', refreshToken: elsewhere.refreshToken }),
    });
    assert.equal(changed.status, 204);
    await page.locator('#login:not([hidden]) #login-error', { hasText: 'đã đăng xuất ở nơi khác' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('giamsat.session')), null);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'session-signed-out-phone');
  });
});
