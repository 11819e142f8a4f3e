// A real deployment's first start: no demo account unless the demo is asked for (not as the
// container image starts, not on PostgreSQL even with the demo on), and the first national
// administrator made by `npm run admin:create`, activated in Chromium through the link it
// prints, leaving the activation page's enrolment unfinished and so enrolling the second
// factor at first sign-in, landing on their account page.
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { totpCode } from '../../server/access/totp.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { freePort } from '../support/net.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { startServerProcess } from '../support/server-process.js';
import { startTestServer, type TestServer } from '../support/server.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** `npm run admin:create -- …args` on the embedded database in `dataDir`: exit code and output. */
async function adminCreate(dataDir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'server/access/admin-cli.ts', ...args], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: err.stdout ?? '', err: err.stderr ?? '' };
  }
}

describe('a real deployment\'s first start', { timeout: 240_000 }, () => {
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let pg: TestPostgres | undefined;
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-first-'));
    dirs.push(d);
    return d;
  };
  const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

  after(async () => {
    await browser?.close();
    await server?.stop();
    for (const p of procs) {
      p.kill('SIGTERM');
      await exited(p);
    }
    await pg?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** A server process with `env`; answers /api/info and whether the demo's national monitor can sign in. */
  async function probe(env: Record<string, string>): Promise<{ demo: boolean; demoLogin: number }> {
    const output: string[] = [];
    const s = await startServerProcess({ PORT: String(await freePort()), HOST: '127.0.0.1', MEDIA_WORKERS: '1', LOG_LEVEL: 'warn', ...env }, output);
    procs.push(s.proc);
    try {
      const info = await (await fetch(`${s.url}/api/info`)).json() as { demo: boolean };
      const login = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'soyte', password: 'giamsat-demo-2021' }) });
      return { demo: info.demo, demoLogin: login.status };
    } finally {
      s.proc.kill('SIGTERM');
      await exited(s.proc);
    }
  }

  test('started as the container image starts it (no --demo, no DEMO), the system is empty: no demo account', async () => {
    const r = await probe({ NODE_ENV: 'production', DATA_DIR: tmp() });
    assert.deepEqual(r, { demo: false, demoLogin: 401 });
  });

  test('on PostgreSQL, even with DEMO=1, no account with a published password is seeded', async () => {
    pg = await createTestDatabase();
    const r = await probe({ DATA_DIR: tmp(), DATABASE_URL: pg.url, DEMO: '1' });
    assert.deepEqual(r, { demo: false, demoLogin: 401 });
  });

  test('admin:create makes the first national administrator, who activates, enrols and lands on their page', async () => {
    const dataDir = tmp();
    const person = ['--username', 'quantri-quocgia', '--full-name', 'Phan Thị Hoa', '--email', 'hoa@moh.gov.vn', '--phone', '0243 846 1234'];
    // Bad input: a clear message, exit 2, nothing created.
    const bad = await adminCreate(dataDir, ['--username', 'X', '--full-name', 'Phan Thị Hoa', '--email', 'not-an-email', '--phone', '0243 846 1234']);
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /username[\s\S]*email/);
    const first = await adminCreate(dataDir, person);
    assert.equal(first.code, 0, first.err);
    const link = /(http:\/\/\S+\/activate\.html#token=\S+)/.exec(first.out)?.[1];
    assert.ok(link, first.out);
    // A second one is refused while one exists; --force makes another; a taken name never.
    const again = await adminCreate(dataDir, ['--username', 'quantri-2', '--full-name', 'Lê Văn Tâm', '--email', 'tam@moh.gov.vn', '--phone', '0243 846 9999']);
    assert.equal(again.code, 2);
    assert.match(again.err, /refused: a national administrator exists already \(quantri-quocgia\)/);
    assert.equal((await adminCreate(dataDir, ['--force', '--username', 'quantri-2', '--full-name', 'Lê Văn Tâm', '--email', 'tam@moh.gov.vn', '--phone', '0243 846 9999'])).code, 0);
    const taken = await adminCreate(dataDir, ['--force', ...person]);
    assert.equal(taken.code, 2);
    assert.match(taken.err, /is taken/);

    server = await startTestServer({ dataDir, demoAccounts: false, auth: { totp: 'required' } });
    const audit = await server.db.prisma.auditEntry.findMany({ where: { action: 'admin.create' }, orderBy: { seq: 'asc' } });
    assert.deepEqual(audit.map((a) => (a.details as { username: string; forced: boolean })).map((d) => [d.username, d.forced]), [['quantri-quocgia', false], ['quantri-2', true]]);
    assert.equal(await server.db.prisma.user.count(), 2, 'nothing else: no demo account');

    browser = await launchBrowser();
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
    const url = new URL(link);
    await page.goto(`${server.url}${url.pathname}${url.hash}`);
    await page.fill('input[name=password]', 'mat-khau-quan-tri-1');
    await page.fill('input[name=repeat]', 'mat-khau-quan-tri-2');
    await page.click('#activate-submit');
    assert.equal(await page.locator('#activate-error').textContent(), 'Hai mật khẩu không khớp.');
    await page.fill('input[name=repeat]', 'mat-khau-quan-tri-1');
    await page.click('#activate-submit');
    // The role needs a second factor: the page goes on to its enrolment.
    await page.locator('#enrol:not([hidden]) #enrol-qr svg').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
    await screenshot(page, 'first-start-activated');
    // The link works once.
    const replay = await fetch(`${server.url}/api/auth/activate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: new URLSearchParams(url.hash.slice(1)).get('token'), password: 'another-password-9' }) });
    assert.equal(replay.status, 401);

    // The person leaves before finishing the enrolment: the first sign-in enrols the second
    // factor before any session exists.
    await page.goto(`${server.url}/`);
    await page.fill('input[name=username]', 'quantri-quocgia');
    await page.fill('input[name=password]', 'mat-khau-quan-tri-1');
    await page.click('#login-submit');
    await page.locator('#enroll:not([hidden]) #enroll-secret').waitFor();
    const secret = (await page.locator('#enroll-secret').textContent())!;
    await page.fill('input[name=totp]', totpCode(secret));
    await page.click('#login-submit');
    await page.waitForURL((u) => u.pathname === '/account.html');
    await page.locator('#roles tbody tr.role-active').waitFor();
    assert.match((await page.locator('#roles tbody tr').first().textContent())!, /Quản trị phạm vi.*Toàn quốc.*Đang hiệu lực/);
    assert.equal(await page.locator('#demo-notice').isVisible(), false, 'not a demo: no demo notice');
    await screenshot(page, 'first-start-account');
    await server.audit.drain();
    for (const action of ['account.activate', 'totp.enroll', 'login.success']) {
      assert.equal(await server.db.prisma.auditEntry.count({ where: { action } }), 1, action);
    }
  });
});
