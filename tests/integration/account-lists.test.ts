// Account lists through the real server on both databases: the template a focal point
// downloads, a list refused whole with every problem by line and column (nothing stored), the
// same list fixed as an XLSX, decisions, the activation email through a real SMTP server
// process (smtp-server), the printable sheet when the email fails, activation with the
// password's strength checked, and a person changing their own password.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { UPLOAD_LIMIT } from '../../server/access/AccountRequests.js';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { apiCall, login, startTestServer, type TestServer } from '../support/server.js';
import { activationLink, startSmtpSink, type SmtpSink } from '../support/smtp.js';

const HEADER = 'Họ và tên,Chức vụ,Điện thoại,Email,Vai trò,Phạm vi,Tên đăng nhập';
const HOTEL = 'Khách sạn Hoàng Anh (cách ly)';
const people = [
  ['Nguyễn Thị Quỳnh', 'Trưởng ban', '0912 345 671', 'quynh.nt@example.vn', 'Lãnh đạo cơ sở', HOTEL, ''],
  ['Trần Văn Sơn', 'Phó ban', '0912 345 672', 'son.tv@example.vn', 'lanh dao co so', 'Khach san Hoang Anh (cach ly)', 'son-tv'],
  ['Lê Thị Tâm', 'Chuyên viên', '0912 345 673', 'tam.lt@example.vn', 'PROVINCIAL_HEALTH_MONITOR', 'Gia Lai', ''],
  ['Phạm Văn Út', 'Chuyên viên', '0912 345 674', 'ut.pv@example.vn', 'Giám sát Sở Y tế', 'Tỉnh Gia Lai', ''],
  ['Đinh Thị Vân', 'Bác sĩ', '0912 345 675', 'van.dt@example.vn', 'Lãnh đạo cơ sở', 'Ký túc xá Trường THPT Chư Sê', ''],
];
const csv = (rows: string[][]) => Buffer.from(`\ufeff${HEADER}\r\n${rows.map((r) => r.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n')}\r\n`);

async function upload(server: TestServer, token: string, bytes: Buffer, name: string) {
  const res = await fetch(`${server.url}/api/account-lists/upload?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
  return { status: res.status, json: await res.json() as any };
}

async function download(server: TestServer, token: string, url: string) {
  const res = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', bytes: Buffer.from(await res.arrayBuffer()) };
}

for (const kind of ['embedded', 'postgresql'] as const) describe(`account lists (${kind})`, { timeout: 240_000 }, () => {
  let server: TestServer;
  let pgdb: TestPostgres | undefined;
  let smtp: SmtpSink;
  let focal: string;
  let admin: string;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lists-'));

  before(async () => {
    if (kind === 'postgresql') pgdb = await createTestDatabase();
    smtp = await startSmtpSink();
    server = await startTestServer({ mail: { smtpUrl: smtp.url, from: 'Giám sát <giamsat@example.vn>' }, ...(pgdb ? { databaseUrl: pgdb.url } : {}) });
    focal = (await login(server, 'soyte')).accessToken;
    admin = (await login(server, 'quantri')).accessToken;
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
    await pgdb?.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the template lists the columns, and the roles and places this focal point may name', async () => {
    const xlsx = await download(server, focal, '/api/account-lists/template?format=xlsx&lang=vi');
    assert.equal(xlsx.status, 200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
    assert.deepEqual((book.worksheets[0]!.getRow(1).values as string[]).slice(1), HEADER.split(','));
    const help = book.worksheets[1]!.getColumn(1).values.map(String);
    assert.ok(help.includes(HOTEL) && help.includes('Lãnh đạo cơ sở'), help.join(' | '));
    assert.ok(!help.includes('Bệnh viện Đa khoa Kon Tum (cách ly)'), 'a place outside the focal point\'s province is not offered');
    assert.ok(!help.includes('Đầu mối tổ chức'), 'focal points are not requested');
    const csvTemplate = await download(server, focal, '/api/account-lists/template?format=csv&lang=en');
    assert.equal(csvTemplate.bytes.toString('utf8'), '\ufeffFull name,Position,Phone,Email,Role,Scope,Username\r\n');
    // Only focal points have lists.
    assert.equal((await download(server, (await login(server, 'quocgia')).accessToken, '/api/account-lists/template')).status, 404);
  });

  test('a list with bad lines is refused whole, every problem named by line and column, and nothing is stored', async () => {
    const bad = people.map((p) => [...p]);
    bad[1]![2] = 'gọi tôi';            // line 3: phone
    bad[2]![5] = 'Kon Tum';             // line 4: a province outside Gia Lai's focal point
    bad[3]![4] = 'Giám đốc';            // line 5: no such role
    bad[4]![3] = 'van.dt@';             // line 6: email
    const r = await upload(server, focal, csv(bad), 'danh-sach.csv');
    assert.equal(r.status, 400, JSON.stringify(r.json));
    const problems = r.json.error.details.problems.map((p: { line: number; column: string; code: string }) => `${p.line}:${p.column}:${p.code}`);
    assert.deepEqual(problems, ['3:Điện thoại:bad-value', '4:Phạm vi:unknown-scope', '5:Vai trò:unknown-role', '6:Email:bad-value']);
    assert.deepEqual((await apiCall(server, focal, 'GET', '/api/account-lists')).json, []);
    assert.equal((await apiCall(server, admin, 'GET', '/api/account-requests')).json.length, 0);

    // The takeover of a suspended account through a list, and a role a health department's people do not hold.
    const takeover = await upload(server, focal, csv([
      ['Kẻ Lạ', 'Không', '0900 000 001', 'la@example.vn', 'Giám sát Sở Y tế', 'Gia Lai', 'soyte-tamdung'],
      ['Kỹ Thuật', 'KTV', '0900 000 002', 'kt@example.vn', 'Kỹ thuật lắp đặt', HOTEL, ''],
      ['Kỹ Thuật', 'KTV', '0900 000 002', 'kt@example.vn', 'Đầu mối tổ chức', 'Gia Lai', ''],
    ]), 'x.csv');
    assert.equal(takeover.status, 400);
    assert.deepEqual(takeover.json.error.details.problems.map((p: { line: number; code: string }) => `${p.line}:${p.code}`), ['2:account-not-active', '3:role-not-for-organization', '4:role-not-requested']);

    // Files that are not lists: bytes that only look like a spreadsheet, text that is not UTF-8, an empty file.
    assert.equal((await upload(server, focal, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 7)]), 'a.xlsx')).json.error.details.problems[0].code, 'not-readable');
    assert.equal((await upload(server, focal, Buffer.from([0x48, 0xe0, 0x20, 0x4e, 0xd9, 0x69, 0x0a]), 'a.csv')).json.error.details.problems[0].code, 'not-utf8');
    assert.equal((await upload(server, focal, Buffer.from(`${HEADER}\r\n`), 'a.csv')).json.error.details.problems[0].code, 'no-lines');
    assert.equal((await upload(server, admin, csv(people), 'a.csv')).status, 404, 'only a focal point submits lists');
    // A small spreadsheet that unpacks to 25 MB (a zip bomb in miniature) is refused before it is unpacked.
    const bomb = new ExcelJS.Workbook();
    const big = bomb.addWorksheet('Danh sách');
    big.addRow(HEADER.split(','));
    for (let i = 0; i < 250; i++) big.addRow([`${'a'.repeat(100_000)}${i}`, 'x', '0912345678', `p${i}@example.vn`, 'Lãnh đạo cơ sở', HOTEL, '']);
    const bombBytes = Buffer.from(await bomb.xlsx.writeBuffer());
    assert.ok(bombBytes.length < 2 * 1024 * 1024, `${bombBytes.length} bytes`);
    const refusedBomb = await upload(server, focal, bombBytes, 'bomb.xlsx');
    assert.equal(refusedBomb.status, 400);
    assert.equal(refusedBomb.json.error.details.problems[0].code, 'too-large');
    assert.deepEqual((await apiCall(server, focal, 'GET', '/api/account-lists')).json, []);
  });

  test('the fixed list as a spreadsheet is stored whole; decisions, the activation email, the sheet, activation', async () => {
    // The list as a spreadsheet program saves it: phones typed as numbers lose their leading 0.
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Danh sách');
    sheet.addRow(HEADER.split(','));
    for (const p of people) sheet.addRow([p[0], p[1], Number(p[2]!.replace(/\D/g, '')), p[3], p[4], p[5], p[6]]);
    const stored = await upload(server, focal, Buffer.from(await book.xlsx.writeBuffer()), 'danh-sach-5-nguoi.xlsx');
    assert.equal(stored.status, 201, JSON.stringify(stored.json));
    assert.equal(stored.json.lines, 5);
    const [list] = (await apiCall(server, focal, 'GET', '/api/account-lists')).json;
    assert.equal(list.source, 'danh-sach-5-nguoi.xlsx');
    assert.deepEqual(list.lines.map((l: { line: number; username: string; phone: string; status: string }) => [l.line, l.username, l.phone, l.status]), [
      [2, 'quynh.nt', '0912345671', 'PENDING'], [3, 'son-tv', '0912345672', 'PENDING'], [4, 'tam.lt', '0912345673', 'PENDING'],
      [5, 'ut.pv', '0912345674', 'PENDING'], [6, 'van.dt', '0912345675', 'PENDING'],
    ]);
    // The same list again: every line is already waiting.
    const again = await upload(server, focal, Buffer.from(await book.xlsx.writeBuffer()), 'lan-2.xlsx');
    assert.deepEqual([...new Set(again.json.error.details.problems.map((p: { code: string }) => p.code))], ['already-pending']);

    const pending = (await apiCall(server, admin, 'GET', '/api/account-requests')).json as Array<{ id: string; username: string; organization: string; submittedBy: string; line: number; listId: string; scopeName: string }>;
    assert.equal(pending.length, 5);
    assert.ok(pending.every((p) => p.organization === 'Sở Y tế Gia Lai' && p.submittedBy === 'Trần Thị Bình' && p.listId === list.id));
    const id = (u: string) => pending.find((p) => p.username === u)!.id;
    assert.equal(pending.find((p) => p.username === 'quynh.nt')!.scopeName, HOTEL);

    // Three approved (emails sent), one rejected with a reason.
    for (const u of ['quynh.nt', 'son-tv', 'tam.lt']) {
      const a = await apiCall(server, admin, 'POST', `/api/account-requests/${id(u)}/approve`, { reason: 'Danh sách Sở Y tế' });
      assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal(a.json.delivery, 'sent');
    }
    assert.equal((await apiCall(server, admin, 'POST', `/api/account-requests/${id('ut.pv')}/reject`, { reason: 'Không thuộc đơn vị' })).status, 204);
    const mail = await smtp.mailTo('quynh.nt@example.vn');
    assert.match(mail.data, /Subject: =\?UTF-8\?|Subject: Kích hoạt/);
    const link = new URL(activationLink(mail));
    assert.equal(link.origin, server.url, 'the link opens this deployment');
    const token = new URLSearchParams(link.hash.slice(1)).get('token')!;

    // The sheet, for the focal point, while the link is unused.
    const sheetOf = async (who: string, u: string) => download(server, who, `/api/account-requests/${id(u)}/activation-sheet?lang=vi`);
    const pdf = await sheetOf(focal, 'quynh.nt');
    assert.equal(pdf.status, 200);
    fs.writeFileSync(path.join(tmp, 's.pdf'), pdf.bytes);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', path.join(tmp, 's.pdf'), '-']).toString('utf8');
    assert.ok(text.includes('Nguyễn Thị Quỳnh') && text.includes('quynh.nt') && text.includes(token.slice(0, 20)), text);
    assert.equal((await sheetOf((await login(server, 'khachsan')).accessToken, 'quynh.nt')).status, 404, 'nobody else prints it');
    assert.equal((await sheetOf(focal, 'ut.pv')).status, 404, 'a rejected line has no sheet');

    // Activation: a weak password is refused and says why; a strong one works once.
    const activate = (password: string) => apiCall(server, undefined, 'POST', '/api/auth/activate', { token, password });
    const weak = await activate('quynh12345');
    assert.equal(weak.status, 400);
    assert.equal(weak.json.error.details.password.tooShort, false);
    assert.ok(weak.json.error.details.password.score < 3);
    assert.equal((await activate('Song-Ba-chay-qua-Ayun-Pa')).status, 204);
    assert.equal((await activate('Song-Ba-chay-qua-Ayun-Pa')).status, 401, 'the link works once');
    assert.equal((await sheetOf(focal, 'quynh.nt')).status, 404, 'a used link has no sheet');
    const quynh = await login(server, 'quynh.nt', 'Song-Ba-chay-qua-Ayun-Pa');
    assert.deepEqual((await apiCall(server, quynh.accessToken, 'GET', '/api/me')).json.assignments.map((a: { role: string; scopeId: string }) => [a.role, a.scopeId]), [['FACILITY_LEADER', DEMO_IDS.hotel]]);

    // The mail server goes away: the approval stands, the failure is recorded, the sheet remains.
    await smtp.stop();
    const late = await apiCall(server, admin, 'POST', `/api/account-requests/${id('van.dt')}/approve`, {});
    assert.equal(late.status, 200);
    assert.equal(late.json.delivery, 'failed');
    const mine = (await apiCall(server, focal, 'GET', '/api/account-lists')).json[0].lines as Array<{ username: string; status: string; mailError: string | null; mailedAt: string | null; sheet: boolean; reason: string | null }>;
    const line = (u: string) => mine.find((l) => l.username === u)!;
    assert.equal(line('van.dt').status, 'APPROVED');
    assert.ok(line('van.dt').mailError && line('van.dt').sheet);
    assert.ok(line('son-tv').mailedAt && line('son-tv').sheet);
    assert.equal(line('ut.pv').status, 'REJECTED');
    assert.equal(line('ut.pv').reason, 'Không thuộc đơn vị');
    assert.equal(line('quynh.nt').sheet, false);
    assert.equal((await sheetOf(focal, 'van.dt')).status, 200);
  });

  test('a person changes their own password: the current one is checked, the new one must be strong, other sessions end', async () => {
    const here = await login(server, 'khachsan');
    const elsewhere = await login(server, 'khachsan');
    const change = (body: object) => apiCall(server, here.accessToken, 'POST', '/api/me/password', body);
    assert.equal((await change({ current: 'wrong-password', password: 'Thac-Phu-Cuong-Chu-Se-2021' })).status, 400);
    assert.equal((await change({ current: 'giamsat-demo-2021', password: 'khachsan2021' })).status, 400, 'weak');
    assert.equal((await change({ current: 'giamsat-demo-2021', password: 'Thac-Phu-Cuong-Chu-Se-2021', refreshToken: here.refreshToken })).status, 204);
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: elsewhere.refreshToken })).status, 401, 'the other session ended');
    assert.equal((await apiCall(server, undefined, 'POST', '/api/auth/refresh', { refreshToken: here.refreshToken })).status, 200, 'this one goes on');
    await assert.rejects(login(server, 'khachsan'));
    await login(server, 'khachsan', 'Thac-Phu-Cuong-Chu-Se-2021');
  });

  test('list files are counted before they are read: at most 30 an hour per focal point', async () => {
    const me = await login(server, 'soyte');
    await server.db.prisma.rateCounter.deleteMany({ where: { key: `uploads:${me.userId}` } });
    const empty = Buffer.from(`${HEADER}\r\n`);
    for (let i = 0; i < UPLOAD_LIMIT.perSubmitter; i++) {
      const r = await upload(server, me.accessToken, empty, `rong-${i}.csv`);
      assert.equal(r.json.error.details.problems[0].code, 'no-lines', `upload ${i} is read`);
    }
    const refused = await upload(server, me.accessToken, empty, 'thua.csv');
    assert.equal(refused.status, 429);
    assert.match(refused.json.error.message, /at most 30 list files an hour/, 'refused before the file is read (a read file answers no-lines)');
    assert.equal((await upload(server, admin, empty, 'a.csv')).status, 404, 'not a focal point: not counted, not read');
    // Parallel uploads of one person: each is read alone (one at a time) or refused as such.
    await server.db.prisma.rateCounter.deleteMany({ where: { key: `uploads:${me.userId}` } });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => upload(server, me.accessToken, empty, `song-song-${i}.csv`)));
    const read = answers.filter((a) => a.status === 400).length;
    for (const a of answers.filter((x) => x.status !== 400)) assert.match(a.json.error.message, /one list file at a time/);
    const counted = await server.db.prisma.rateCounter.findFirst({ where: { key: `uploads:${me.userId}` } });
    assert.equal(counted?.count ?? 0, read, 'only files admitted to be read are counted');
  });
});
