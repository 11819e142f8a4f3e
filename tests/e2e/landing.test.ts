// Every demo person signs in through the real sign-in page (password, then the authenticator
// code where the role asks for one) and lands where their work is; the header offers exactly
// the pages they may use, each of which opens for them; and the Vietnamese pages carry no
// English text (the client's English table, and common English words from server messages).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../server/access/totp.js';
import { demoTotpSecret } from '../../server/demo/demo-province.js';
import { en } from '../../client/src/messages-en.js';
import { vi } from '../../client/src/messages.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Page_ = 'wall' | 'incidents' | 'recordings' | 'ops' | 'drive' | 'places' | 'people' | 'investigation' | 'lists' | 'account';
const PATH: Record<Page_, string> = { wall: '/', incidents: '/incidents.html', recordings: '/recordings.html', ops: '/ops.html', drive: '/drive.html', places: '/places.html', people: '/people.html', investigation: '/investigation.html', lists: '/lists.html', account: '/account.html' };
const WATCHER: Page_[] = ['wall', 'incidents', 'recordings', 'account'];
const MONITOR: Page_[] = ['wall', 'incidents', 'recordings', 'ops', 'drive', 'account'];

/** The written expectation: where each person lands and which links their header holds. */
const EXPECTED: Array<{ username: string; lands: Page_; links: Page_[]; needsCode: boolean }> = [
  { username: 'quocgia', lands: 'wall', links: MONITOR, needsCode: true },
  // The health department's focal point also sends its account lists.
  { username: 'soyte', lands: 'wall', links: ['wall', 'incidents', 'recordings', 'ops', 'drive', 'lists', 'account'], needsCode: true },
  { username: 'quansu', lands: 'wall', links: MONITOR, needsCode: true },
  { username: 'congan', lands: 'wall', links: MONITOR, needsCode: true },
  { username: 'soyte-chan', lands: 'wall', links: MONITOR, needsCode: true },
  { username: 'khachsan', lands: 'wall', links: WATCHER, needsCode: false },
  { username: 'thanhtra', lands: 'wall', links: WATCHER, needsCode: true },
  { username: 'kythuat', lands: 'ops', links: ['ops', 'drive', 'places', 'account'], needsCode: true },
  { username: 'vanhanh', lands: 'ops', links: ['ops', 'drive', 'account'], needsCode: true },
  { username: 'quantri', lands: 'account', links: ['places', 'people', 'investigation', 'lists', 'account'], needsCode: true },
  { username: 'quantri-tw', lands: 'account', links: ['places', 'people', 'investigation', 'lists', 'account'], needsCode: true },
  { username: 'soyte-hethan', lands: 'account', links: ['account'], needsCode: false },
];

/**
 * English that must not show on a Vietnamese page: every English message that differs from
 * its Vietnamese one (longer than a short word, so shared names like "Camera" do not count),
 * and words that only English sentences have (server messages reach the page in English).
 */
const ENGLISH_MESSAGES = Object.entries(en)
  .filter(([k, text]) => text !== vi[k as keyof typeof vi] && text.length > 6 && !text.includes('{{'))
  .map(([, text]) => text);
const ENGLISH_WORDS = /\b(the|and|with|your|please|error|failed|wrong|not|cannot|no such|denied|sign in|unauthorized|internal)\b/i;

async function englishOn(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  const found = ENGLISH_MESSAGES.filter((m) => text.includes(m));
  const word = ENGLISH_WORDS.exec(text);
  return word ? [...found, `word "${word[0]}" in: ${text.slice(Math.max(0, word.index - 60), word.index + 60)}`] : found;
}

describe('each demo person lands on their own page', { timeout: 600_000 }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ auth: { totp: 'required' } }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Signs in through the form on `/`, as a person would; resolves on the page they land on. */
  async function signIn(username: string, needsCode: boolean): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    // Whatever the content security policy refuses on any page is recorded, and must be nothing.
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
      const seen = JSON.parse(sessionStorage.getItem('csp-violations') || '[]');
      seen.push(e.violatedDirective + ' ' + e.blockedURI);
      sessionStorage.setItem('csp-violations', JSON.stringify(seen));
    });`);
    await page.goto(`${server.url}/`);
    // Before sign-in nothing but the form and the language switch.
    assert.equal(await page.locator('#pages').isVisible(), false, 'no page links before sign-in');
    assert.equal(await page.locator('.layout-controls').isVisible(), false, 'no layout buttons before sign-in');
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', 'giamsat-demo-2021');
    await page.click('#login-submit');
    if (needsCode) {
      await page.locator('#totp-field').waitFor({ state: 'visible' });
      // The code is asked for as a question, not reported as an error.
      assert.equal(await page.locator('#login-error').textContent(), '');
      assert.equal(await page.locator('#login-prompt').textContent(), 'Nhập mã 6 số từ ứng dụng xác thực.');
      await page.fill('input[name=totp]', totpCode(demoTotpSecret(username)));
      await page.click('#login-submit');
    }
    await page.locator('#pages:not([hidden])').waitFor({ timeout: 15_000 });
    return page;
  }

  for (const { username, lands, links, needsCode } of EXPECTED) {
    test(`${username} lands on ${lands}; the header offers ${links.join(', ')}, each of which opens`, async () => {
      const page = await signIn(username, needsCode);
      try {
        assert.equal(new URL(page.url()).pathname, PATH[lands]);
        const shown = await page.locator('#pages a:not([hidden])').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.page));
        assert.deepEqual(shown, links);
        await screenshot(page, `landing-${username}`);
        for (const link of links) {
          await page.locator(`#pages a[data-page="${link}"]`).click();
          await page.waitForURL((u) => u.pathname === PATH[link]);
          await page.locator(`#pages a[data-page="${link}"][aria-current="page"]`).waitFor();
          // The page is the person's: its content shows, no refusal, no English.
          const content = { wall: '#grid', incidents: '#incidents', recordings: '#recordings', ops: '#ops', drive: '#drive', places: '#places', people: '#people', investigation: '#investigation', lists: '#lists', account: '#account' }[link];
          await page.locator(content).waitFor({ state: 'visible' });
          if (link === 'ops') await page.locator('#dashboard:not([hidden]), #report:not([hidden])').first().waitFor();
          if (link === 'recordings') await page.locator('#recorded:not(:empty)').waitFor();
          if (link === 'investigation') await page.locator('#chain-state.ok').waitFor();
          if (link === 'account') await page.locator('#person dd').first().waitFor();
          assert.equal(await page.locator('#banner').isVisible(), false, `${link}: ${await page.locator('#banner').textContent()}`);
          assert.deepEqual(await englishOn(page), [], `${username} on ${link}`);
        }
        assert.deepEqual(await page.evaluate(() => JSON.parse(sessionStorage.getItem('csp-violations') ?? '[]')), [], 'nothing refused by the content security policy');
      } finally {
        await page.context().close();
      }
    });
  }

  test('an account whose roles have all ended is told so, and whom to ask', async () => {
    const page = await signIn('soyte-hethan', false);
    try {
      await page.locator('#roles-ended:not([hidden])').waitFor();
      assert.match((await page.locator('#ended-text').textContent())!, /hết hạn hoặc bị thu hồi/);
      // The person who granted the role: the Gia Lai scope administrator, with a phone and an email.
      assert.match((await page.locator('#ended-contact').textContent())!, /Đỗ Văn Khánh \(Quản trị hệ thống tỉnh, Sở Y tế Gia Lai\) — 0\d+, quantri@demo\.giamsat\.vn/);
      assert.equal(await page.locator('#roles tbody tr.role-expired').count(), 1);
      // The wall is not theirs: opening it leads back to the account page.
      await page.goto(`${server.url}/`);
      await page.waitForURL((u) => u.pathname === '/account.html');
    } finally {
      await page.context().close();
    }
  });

  test('a refused sign-in says why in Vietnamese (never the server\'s English)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/`);
      await page.fill('input[name=username]', 'soyte-tamdung'); // suspended
      await page.fill('input[name=password]', 'giamsat-demo-2021');
      await page.click('#login-submit');
      await page.locator('#login-error:not(:empty)').waitFor();
      assert.equal(await page.locator('#login-error').textContent(), 'Đăng nhập không thành công: Sai tên đăng nhập, mật khẩu hoặc mã xác thực, hoặc tài khoản không còn hoạt động.');
      assert.deepEqual(await englishOn(page), []);
    } finally {
      await context.close();
    }
  });
});
