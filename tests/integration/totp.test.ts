// The second factor for every role that sees camera names or video beyond one facility, and
// for installers and ops wherever they are granted: required, never accepted twice, and
// enrolled at first sign-in before any session exists.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../../server/access/totp.js';
import { DEMO_IDS, DEMO_PASSWORD, demoTotpSecret } from '../../server/demo/demo-province.js';
import { login, startTestServer, type TestServer } from '../support/server.js';

describe('second factor (TOTP)', { timeout: 60_000 }, () => {
  let server: TestServer;
  const post = (p: string, body: unknown) => fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const signIn = async (username: string, totp?: string, password = DEMO_PASSWORD) => {
    const res = await post('/api/auth/login', totp === undefined ? { username, password } : { username, password, totp });
    return { status: res.status, json: await res.json() };
  };

  before(async () => {
    server = await startTestServer({ auth: { totp: 'required' } });
  });
  after(async () => {
    await server?.stop();
  });

  test('a national monitor needs the code; a code works once; a wrong one is a failure', async () => {
    const noCode = await signIn('quocgia');
    assert.equal(noCode.status, 401);
    assert.equal(noCode.json.error.code, 'TOTP_REQUIRED');
    assert.equal(noCode.json.accessToken, undefined);
    const wrong = await signIn('quocgia', '000000');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error.code, 'UNAUTHENTICATED');
    const code = totpCode(demoTotpSecret('quocgia'));
    const ok = await signIn('quocgia', code);
    assert.equal(ok.status, 200);
    assert.ok(ok.json.accessToken);
    const replay = await signIn('quocgia', code);
    assert.equal(replay.status, 401, 'the same code is never accepted twice');
    assert.equal(await server.db.prisma.auditEntry.count({ where: { action: 'login.failure', target: 'username:quocgia' } }), 2);
    // A wrong password with a right code is still just a failure (no hint which one was wrong).
    const badPassword = await signIn('soyte', totpCode(demoTotpSecret('soyte')), 'nope');
    assert.equal(badPassword.status, 401);
    assert.equal(badPassword.json.error.code, 'UNAUTHENTICATED');
  });

  test('facility-scope roles sign in with the password alone', async () => {
    const leader = await signIn('khachsan');
    assert.equal(leader.status, 200);
    assert.ok(leader.json.accessToken);
  });

  test('every other demo role needs the code: monitors, inspectors, scope admins, ops, and the installer even at one facility', async () => {
    const asked: string[] = [];
    for (const username of ['quocgia', 'soyte', 'quansu', 'congan', 'soyte-chan', 'thanhtra', 'kythuat', 'vanhanh', 'quantri', 'quantri-tw']) {
      const r = await signIn(username);
      if (r.json.error?.code === 'TOTP_REQUIRED') asked.push(username);
    }
    assert.deepEqual(asked, ['quocgia', 'soyte', 'quansu', 'congan', 'soyte-chan', 'thanhtra', 'kythuat', 'vanhanh', 'quantri', 'quantri-tw']);
  });

  test('a new account above facility scope enrols its second factor before it gets a session', async () => {
    // A provincial monitor account, requested and approved (approvers also need their code).
    // The health department's focal point (she needs her code too).
    const focal = await signIn('soyte', totpCode(demoTotpSecret('soyte')));
    const req = await fetch(`${server.url}/api/account-requests`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${focal.json.accessToken}` },
      body: JSON.stringify({ fullName: 'Đinh Văn Sơn', position: 'Chuyên viên', phone: '0905 000 111', email: 'son@example.vn', username: 'giamsat-son', role: 'MILITARY_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }),
    }).then((r) => r.json());
    const admin = await signIn('quantri', totpCode(demoTotpSecret('quantri')));
    assert.equal(admin.status, 200);
    const approved = await fetch(`${server.url}/api/account-requests/${req.id}/approve`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.json.accessToken}` }, body: '{}',
    }).then((r) => r.json());
    // Activation offers the enrolment at once (the page shows its QR code)…
    const activated = await post('/api/auth/activate', { token: approved.activationToken, password: 'mat-khau-rat-dai-1' });
    assert.equal(activated.status, 200);
    const atActivation = (await activated.json()).totpEnrollment;
    assert.match(atActivation.uri, /^otpauth:\/\/totp\/.*giamsat-son/);
    assert.equal((await post('/api/auth/totp', { enrollmentToken: atActivation.enrollmentToken, code: '000000' })).status, 401);
    // …and a person who closed the page before finishing enrols at their first sign-in.

    const first = await signIn('giamsat-son', undefined, 'mat-khau-rat-dai-1');
    assert.equal(first.status, 200);
    assert.equal(first.json.accessToken, undefined, 'no session before the second factor exists');
    const { enrollmentToken, secret, uri } = first.json.totpEnrollment;
    assert.match(uri, /^otpauth:\/\/totp\//);
    assert.match(uri, new RegExp(`secret=${secret}`));
    // The enrolment token is no access token.
    assert.equal((await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${enrollmentToken}` } })).status, 401);
    assert.equal((await post('/api/auth/totp', { enrollmentToken, code: '123456' })).status, 401);
    const enrolled = await post('/api/auth/totp', { enrollmentToken, code: totpCode(secret) });
    assert.equal(enrolled.status, 200);
    assert.ok((await enrolled.json()).accessToken);
    // From now on the code is required, and the secret is stored sealed.
    assert.equal((await signIn('giamsat-son', undefined, 'mat-khau-rat-dai-1')).json.error.code, 'TOTP_REQUIRED');
    const row = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'giamsat-son' } });
    assert.ok(row.totpSecretEnc && !row.totpSecretEnc.includes(secret));
    assert.equal((await post('/api/auth/totp', { enrollmentToken, code: totpCode(secret) })).status, 409, 'enrolment happens once');
    assert.equal((await post('/api/auth/totp', { enrollmentToken: atActivation.enrollmentToken, code: totpCode(atActivation.secret) })).status, 409, 'the activation\'s enrolment too');
    // A password alone still does not open a demo account where the factor is on (the test
    // helper answers with the published demo secret; the API without a code refuses).
    assert.equal((await signIn('quansu', undefined)).json.error.code, 'TOTP_REQUIRED');
  });
});
