// The account process in Chromium, each role in its own page, against a real camera and a
// real SMTP server process: the health department's focal point uploads a list with a bad
// line, sees it refused whole with the problem named, fixes the file and sends it; the
// province's administrator approves three people and rejects one (a rejection needs its
// reason); the activation email arrives and its link activates the account; the new facility
// leader signs in on the page and sees exactly their facility's camera, playing, then changes
// her password on her account page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { expectFrames, openClient, screenshot, tmp } from '../support/browser.js';
import { startHotelScene, type HotelScene } from '../support/hotel-scene.js';
import { addCamera, login, type TestServer } from '../support/server.js';
import { activationLink, startSmtpSink, type SmtpSink } from '../support/smtp.js';

const HEADER = 'Họ và tên,Chức vụ,Điện thoại,Email,Vai trò,Phạm vi,Tên đăng nhập';
const lines = (badPhone: boolean) => [
  'Nguyễn Thị Quỳnh,Trưởng ban,0912 345 671,quynh.nt@example.vn,Lãnh đạo cơ sở,Khách sạn Hoàng Anh (cách ly),',
  `Trần Văn Sơn,Phó ban,${badPhone ? 'gọi tôi' : '0912 345 672'},son.tv@example.vn,Lãnh đạo cơ sở,Khách sạn Hoàng Anh (cách ly),`,
  'Lê Thị Tâm,Chuyên viên,0912 345 673,tam.lt@example.vn,Giám sát Sở Y tế,Gia Lai,',
  'Phạm Văn Út,Chuyên viên,0912 345 674,ut.pv@example.vn,Giám sát Sở Y tế,Gia Lai,',
];

describe('account lists in the web client', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let scene: HotelScene;
  let smtp: SmtpSink;
  let hotelCamera: string;
  let schoolCamera: string;
  const dir = tmp();

  before(async () => {
    smtp = await startSmtpSink();
    scene = await startHotelScene({ mail: { smtpUrl: smtp.url } });
    ({ server, browser, cameraId: hotelCamera } = scene);
    // A second facility's camera, which the new hotel leader must not see.
    schoolCamera = (await addCamera(server, { name: 'Khu tiếp nhận', mainUrl: scene.camera.url, facilityId: DEMO_IDS.school })).json.id;
  });
  after(async () => {
    await scene?.stop();
    await smtp?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a list refused whole, fixed, decided line by line, activated by email; the new leader sees their facility', async () => {
    // The focal point: a list with a bad phone on its line 3.
    const focal = await openClient(browser, `${server.url}/lists.html`, await login(server, 'soyte'));
    await focal.setViewportSize({ width: 1366, height: 768 });
    await focal.locator('#lists-submit:not([hidden])').waitFor();
    const file = path.join(dir, 'danh-sach.csv');
    fs.writeFileSync(file, `\ufeff${HEADER}\r\n${lines(true).join('\r\n')}\r\n`);
    await focal.setInputFiles('#list-file', file);
    await focal.click('#upload');
    await focal.locator('#submit-error', { hasText: 'bị trả lại' }).waitFor();
    assert.deepEqual(await focal.locator('#submit-problems li').allTextContents(), ['Dòng 3, cột Điện thoại: giá trị không hợp lệ: "gọi tôi"']);
    await screenshot(focal, 'lists-refused');
    assert.equal(await server.db.prisma.accountRequest.count(), 0, 'nothing stored');

    fs.writeFileSync(file, `\ufeff${HEADER}\r\n${lines(false).join('\r\n')}\r\n`);
    await focal.setInputFiles('#list-file', file);
    await focal.click('#upload');
    await focal.locator('#submit-status', { hasText: 'Đã gửi danh sách 4 người' }).waitFor();
    assert.equal(await focal.locator('#submit-problems li').count(), 0);
    assert.equal(await focal.locator('#my-lists tr[data-username]').count(), 4);

    // The province's administrator: three approved, one rejected with its reason.
    const admin = await openClient(browser, `${server.url}/lists.html`, await login(server, 'quantri'));
    await admin.setViewportSize({ width: 1366, height: 768 });
    const row = (username: string) => admin.locator(`#decide-lists tr[data-username="${username}"]`);
    await row('ut.pv').waitFor();
    await screenshot(admin, 'lists-decide');
    for (const [username, name] of [['quynh.nt', 'Nguyễn Thị Quỳnh'], ['son.tv', 'Trần Văn Sơn'], ['tam.lt', 'Lê Thị Tâm']] as const) {
      await row(username).locator('button.approve').click();
      await admin.locator('#decide-status', { hasText: `Đã duyệt ${name}; email kích hoạt đã được gửi.` }).waitFor();
      await row(username).waitFor({ state: 'detached' });
    }
    await row('ut.pv').locator('button.reject').click();
    await admin.locator('#decide-error', { hasText: 'Hãy ghi lý do từ chối' }).waitFor();
    assert.equal((await server.db.prisma.accountRequest.findFirstOrThrow({ where: { username: 'ut.pv' } })).status, 'PENDING');
    await row('ut.pv').locator('input[name="reason"]').fill('Không thuộc biên chế Sở');
    await row('ut.pv').locator('button.reject').click();
    await admin.locator('#decide-status', { hasText: 'Đã từ chối Phạm Văn Út' }).waitFor();
    await admin.locator('#decide-lists', { hasText: 'Không có đề nghị nào chờ bạn duyệt' }).waitFor();

    // The focal point follows the decisions.
    await focal.reload();
    await focal.locator('#my-lists tr[data-username="ut.pv"]', { hasText: 'Không thuộc biên chế Sở' }).waitFor();
    assert.match((await focal.locator('#my-lists tr[data-username="quynh.nt"]').textContent())!, /Đã duyệt.*Đã gửi email/);
    await screenshot(focal, 'lists-mine');
    await focal.setViewportSize({ width: 390, height: 844 });
    await screenshot(focal, 'lists-mine-phone');

    // The email's link, opened by the new person: password set, then signed in on the wall.
    const link = activationLink(await smtp.mailTo('quynh.nt@example.vn'));
    const person = await openClient(browser, link);
    await person.setViewportSize({ width: 390, height: 844 });
    await person.fill('input[name="password"]', 'Song-Ba-chay-qua-Ayun-Pa');
    await person.fill('input[name="repeat"]', 'Song-Ba-chay-qua-Ayun-Pa');
    await person.click('#activate-submit');
    await person.locator('#activate-done:not([hidden])').waitFor();
    await screenshot(person, 'lists-activated-phone');
    await person.goto(`${server.url}/`);
    await person.fill('#login input[name="username"]', 'quynh.nt');
    await person.fill('#login input[name="password"]', 'Song-Ba-chay-qua-Ayun-Pa');
    await person.click('#login-submit');
    // On a phone the camera list is a drawer: present, not shown.
    await person.locator(`#camera-list li[data-camera-id="${hotelCamera}"]`).waitFor({ state: 'attached', timeout: 15_000 });
    assert.deepEqual(await person.locator('#camera-list li[data-camera-id]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cameraId)), [hotelCamera], 'exactly the hotel\'s camera');
    assert.ok(schoolCamera && schoolCamera !== hotelCamera);
    await expectFrames(person, hotelCamera, 5, 20_000);
    await screenshot(person, 'lists-new-leader-phone');

    // Her own account page: a guessable new password is refused, a good one taken.
    await person.setViewportSize({ width: 1366, height: 768 });
    await person.goto(`${server.url}/account.html`);
    await person.fill('#password-form input[name="current"]', 'Song-Ba-chay-qua-Ayun-Pa');
    await person.fill('#password-form input[name="password"]', 'quynh.nt2021');
    await person.fill('#password-form input[name="repeat"]', 'quynh.nt2021');
    await person.click('#change-password');
    await person.locator('#password-error', { hasText: 'quá dễ đoán' }).waitFor();
    await person.fill('#password-form input[name="password"]', 'Nui-Ham-Rong-mua-da-quy');
    await person.fill('#password-form input[name="repeat"]', 'Nui-Ham-Rong-mua-da-quy');
    await person.click('#change-password');
    await person.locator('#password-done', { hasText: 'Đã đổi mật khẩu' }).waitFor();
    await screenshot(person, 'account-password');
    await login(server, 'quynh.nt', 'Nui-Ham-Rong-mua-da-quy');
  });
});
