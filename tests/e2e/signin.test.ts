// Signing in through the page, as a person would: Vietnamese by default, English on request,
// a wrong password refused, the authenticator code asked for where the role needs it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { totpCode } from '../../server/access/totp.js';
import { demoTotpSecret } from '../../server/demo/demo-province.js';
import { launchBrowser, openClient } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('sign-in page', { timeout: 60_000 }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ auth: { totp: 'required' } }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('Vietnamese by default, English on request; password, then the authenticator code', async () => {
    const page = await openClient(browser, `${server.url}/`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
    assert.equal(await page.locator('#login-title').textContent(), 'Đăng nhập');
    assert.equal(await page.locator('#grid').isVisible(), false, 'nothing is shown before signing in');
    // English is a chunk of its own: a page opened in Vietnamese has not loaded it.
    const englishLoaded = () => page.evaluate(() => performance.getEntriesByType('resource').some((r) => /\/messages-en-[A-Z0-9]+\.js$/.test(r.name)));
    assert.equal(await englishLoaded(), false, 'a Vietnamese page loads no English');
    await page.locator('#lang').click();
    await page.locator('#login-title', { hasText: /^Sign in$/ }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await englishLoaded(), true);
    // Remembered: the page opens in English (its table loaded before anything is shown).
    await page.reload();
    await page.locator('#login-title', { hasText: /^Sign in$/ }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');

    await page.fill('input[name=username]', 'quocgia');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('#login-submit');
    await page.locator('#login-error:not(:empty)').waitFor();
    assert.equal(await page.locator('#login-error').textContent(), 'Sign-in failed: Wrong username, password or code, or the account is no longer active.');

    await page.fill('input[name=password]', 'giamsat-demo-2021');
    await page.click('#login-submit');
    await page.locator('#totp-field').waitFor({ state: 'visible' });
    assert.match((await page.locator('#login-prompt').textContent())!, /6-digit code/, 'asked as a question');
    assert.equal(await page.locator('#login-error').textContent(), '', 'not as an error');
    await page.fill('input[name=totp]', totpCode(demoTotpSecret('quocgia')));
    await page.click('#login-submit');
    await page.locator('#who').filter({ hasText: 'Nguyễn Văn An' }).waitFor();
    assert.equal(await page.locator('#cameras-heading').textContent(), 'Cameras');
    assert.equal(await page.locator('#login').isVisible(), false);
    // The session survives a reload of the tab, and signing out ends it.
    await page.reload();
    await page.locator('#who').filter({ hasText: 'Nguyễn Văn An' }).waitFor();
    await page.click('#sign-out');
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.context().close();
  });
});
