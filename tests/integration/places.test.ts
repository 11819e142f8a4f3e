// The places registry from data: the default list (the 63 provinces of 2021) on a first
// start, the official list imported from the API and from the command line, of any depth (a
// three-level list, and the 2025 shape with no districts), all or nothing, keeping every
// facility, assignment and audit entry attached to its unit across imports. On the embedded
// database and on PostgreSQL.
// parallel-safe: the database and HTTP only (scripts/run-tests.ts runs it beside others).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DEFAULT_UNIT_LIST } from '../../server/places/UnitRegistry.js';
import { DEMO_IDS } from '../../server/demo/demo-province.js';
import { createTestDatabase, type TestPostgres } from '../support/postgres.js';
import { login, startTestServer, type TestServer } from '../support/server.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const DEFAULT_CSV = fs.readFileSync(DEFAULT_UNIT_LIST, 'utf8');
const DEMO_DISTRICTS = ['622,TP. Pleiku,64,Thành phố', '635,Huyện Chư Sê,64,Huyện', '608,TP. Kon Tum,62,Thành phố'];
const list = (...lines: string[]) => `code,name,parent_code,level\n${lines.join('\n')}\n`;
const defaultLines = () => DEFAULT_CSV.trim().split('\n').slice(1);

/** `npm run units:import -- …args` with `env`: exit code and output. */
async function unitsCli(env: Record<string, string>, args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'server/places/units-cli.ts', ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: err.stdout ?? '', err: err.stderr ?? '' };
  }
}

for (const kind of ['embedded', 'postgresql'] as const) {
  describe(`the places registry (${kind})`, { timeout: 180_000 }, () => {
    let server: TestServer;
    let pg: TestPostgres | undefined;
    let admin: string;
    const tmp: string[] = [];

    before(async () => {
      pg = kind === 'postgresql' ? await createTestDatabase() : undefined;
      server = await startTestServer(pg ? { databaseUrl: pg.url } : {});
      admin = (await login(server, 'quantri-tw')).accessToken;
    });
    after(async () => {
      await server?.stop();
      await pg?.drop();
      for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
    });

    const api = async (method: string, url: string, token: string | undefined, body?: string, type = 'text/csv') => {
      const res = await fetch(`${server.url}${url}`, {
        method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': type } : {}) }, body,
      });
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, json };
    };
    const importList = (csv: string, dryRun = false, token = admin) => api('POST', `/api/units/import${dryRun ? '?dryRun=1' : ''}`, token, csv);
    const snapshot = async () => (await server.db.prisma.adminUnit.findMany({ orderBy: { code: 'asc' } })).map((u) => `${u.id}|${u.code}|${u.name}|${u.level}|${u.parentId}|${u.path.join('/')}|${u.retiredAt?.toISOString() ?? ''}`);

    test('a first start holds the default list: the 63 provinces with their official codes, and the demo districts under them', async () => {
      const top = await api('GET', '/api/units', admin);
      assert.equal(top.status, 200);
      assert.equal(top.json.length, 63);
      assert.deepEqual(top.json.slice(0, 3).map((u: { code: string; name: string }) => `${u.code} ${u.name}`), ['01 Thành phố Hà Nội', '02 Tỉnh Hà Giang', '04 Tỉnh Cao Bằng']);
      const gialai = top.json.find((u: { code: string }) => u.code === '64');
      assert.equal(gialai.id, DEMO_IDS.gialai);
      assert.equal(gialai.children, 2);
      const districts = await api('GET', `/api/units?parentId=${DEMO_IDS.gialai}`, admin);
      assert.deepEqual(districts.json.map((u: { code: string; level: string }) => `${u.code} ${u.level}`), ['622 Thành phố', '635 Huyện']);
      assert.equal(districts.json[0].facilities, 2, 'Pleiku holds the military site and the hotel');
      const one = await api('GET', `/api/units/${DEMO_IDS.pleiku}`, admin);
      assert.deepEqual(one.json.ancestors.map((a: { code: string }) => a.code), ['64']);
      assert.deepEqual((await api('GET', '/api/units/search?q=pleiku', admin)).json.map((u: { code: string }) => u.code), ['622']);
      assert.equal((await api('GET', '/api/units', undefined)).status, 401);
      assert.equal((await api('GET', `/api/units/${DEMO_IDS.hotel}`, admin)).status, 404);
    });

    test('a bad list is refused whole, naming each line and column, and nothing changes', async () => {
      const before = await snapshot();
      const cases: Array<[string, string, RegExp]> = [
        ['duplicate code', list('64,Tỉnh Gia Lai,,Tỉnh', '64,Tỉnh Gia Lai 2,,Tỉnh'), /line 3, code: duplicate code "64" \(first on line 2\)/],
        ['unknown parent', list('64,Tỉnh Gia Lai,,Tỉnh', '622,TP. Pleiku,99,Thành phố'), /line 3, parent_code: unknown parent code "99"/],
        ['missing column', 'code,name,level\n64,Tỉnh Gia Lai,Tỉnh\n', /line 1, parent_code: missing column/],
        ['empty name and bad code', list('64,,,Tỉnh', 'x y,Xã,64,Xã'), /line 2, name: empty.*line 3, code: "x y" is not a unit code/],
        ['a cycle', list('1,A,2,Tỉnh', '2,B,1,Huyện'), /the parent chain loops/],
        ['no units', 'code,name,parent_code,level\n', /the list has no units/],
      ];
      for (const [what, csv, message] of cases) {
        const r = await importList(csv);
        assert.equal(r.status, 400, what);
        assert.equal(r.json.error.code, 'BAD_REQUEST', what);
        assert.match(r.json.error.message, message, what);
        assert.ok(Array.isArray(r.json.error.details.problems) && r.json.error.details.problems.every((p: { line: number; column: string }) => p.line >= 0 && p.column), what);
      }
      // All of a list's problems at once.
      const many = await importList(list('64,,,Tỉnh', '65,Tỉnh B,77,Tỉnh', '65,Tỉnh C,,Tỉnh'));
      assert.deepEqual(many.json.error.details.problems.map((p: { line: number; column: string }) => `${p.line}:${p.column}`), ['2:name', '3:parent_code', '4:code']);
      assert.equal((await importList('x'.repeat(9 * 1024 * 1024))).status, 400, 'oversized');
      assert.equal((await importList('{"code":"1"}', false)).status, 400);
      assert.equal((await api('POST', '/api/units/import', admin, JSON.stringify({ csv: 'a' }), 'application/json')).status, 400, 'not text/csv');
      assert.deepEqual(await snapshot(), before);
    });

    test('only a national administrator imports; a provincial one is told "not found", as is anyone else', async () => {
      const csv = list(...defaultLines(), ...DEMO_DISTRICTS);
      for (const who of ['quantri', 'soyte', 'kythuat']) {
        const r = await importList(csv, false, (await login(server, who)).accessToken);
        assert.equal(r.status, 404, who);
      }
      assert.equal((await importList(csv, false, 'not-a-token')).status, 401);
    });

    test('a third level, renames and a dry run: ids, facilities and assignments stay attached', async () => {
      const before = await snapshot();
      const renamed = defaultLines().map((l) => (l.startsWith('64,') ? '64,Tỉnh Gia Lai (đổi tên),,Tỉnh' : l));
      const csv = list(...renamed, ...DEMO_DISTRICTS, '22807,Phường Hoa Lư,622,Phường', '22810,Phường Diên Hồng,622,Phường');
      const dry = await importList(csv, true);
      assert.equal(dry.status, 200);
      assert.deepEqual(dry.json, { dryRun: true, total: 68, created: 2, updated: 1, unchanged: 65, restored: 0, retired: 0, deleted: 0 });
      assert.deepEqual(await snapshot(), before, 'a dry run stores nothing');
      const done = await importList(csv);
      assert.deepEqual(done.json, { ...dry.json, dryRun: false });
      const gialai = await server.db.prisma.adminUnit.findUniqueOrThrow({ where: { code: '64' } });
      assert.equal(gialai.id, DEMO_IDS.gialai);
      assert.equal(gialai.name, 'Tỉnh Gia Lai (đổi tên)');
      const ward = await server.db.prisma.adminUnit.findUniqueOrThrow({ where: { code: '22807' } });
      assert.deepEqual(ward.path, [DEMO_IDS.gialai, DEMO_IDS.pleiku, ward.id]);
      assert.equal(ward.depth, 3);
      assert.equal((await server.db.prisma.facility.findUniqueOrThrow({ where: { id: DEMO_IDS.hotel } })).unitId, DEMO_IDS.pleiku);
      const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'units.import' }, orderBy: { seq: 'desc' } });
      const quantriTw = await server.db.prisma.user.findUniqueOrThrow({ where: { username: 'quantri-tw' } });
      assert.equal(entry.actorId, quantriTw.id);
      assert.equal((entry.details as { source: string; created: number }).source, 'page');
      assert.equal((entry.details as { created: number }).created, 2);
      // The same list again changes nothing.
      assert.deepEqual((await importList(csv)).json, { dryRun: false, total: 68, created: 0, updated: 0, unchanged: 68, restored: 0, retired: 0, deleted: 0 });
      // The exported registry imports back to itself.
      const exported = await api('GET', '/api/units/export', admin);
      assert.equal(exported.status, 200);
      assert.equal((await importList(String(exported.json).replace(/^\ufeff/, ''))).json.unchanged, 68);
    });

    test('the 2025 shape: provinces hold communes directly; districts still in use are retired, unused units removed, and a returning unit is restored', async () => {
      const before = await server.db.prisma.roleAssignment.count();
      const csv2025 = list('64,Tỉnh Gia Lai,,Tỉnh', '62,Tỉnh Kon Tum,,Tỉnh', '24886,Phường Pleiku,64,Phường', '24898,Xã Chư Sê,64,Xã', '23305,Phường Kon Tum,62,Phường');
      const r = await importList(csv2025);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      // 622, 635 and 608 hold facilities: retired. 61 provinces and the two wards: removed.
      assert.equal(r.json.retired, 3);
      assert.equal(r.json.deleted, 61 + 2);
      assert.equal(r.json.created, 3);
      const units = await server.db.prisma.adminUnit.findMany({ orderBy: { code: 'asc' } });
      assert.deepEqual(units.filter((u) => !u.retiredAt).map((u) => `${u.code}:${u.depth}`).sort(), ['23305:2', '24886:2', '24898:2', '62:1', '64:1']);
      assert.deepEqual(units.filter((u) => u.retiredAt).map((u) => u.code).sort(), ['608', '622', '635']);
      assert.equal(await server.db.prisma.facility.count({ where: { unitId: DEMO_IDS.pleiku } }), 2, 'facilities stay on their (retired) district until moved');
      assert.equal(await server.db.prisma.roleAssignment.count(), before, 'no assignment is lost');
      // The province lists its communes first, then its retired districts, marked so.
      const children = (await api('GET', `/api/units?parentId=${DEMO_IDS.gialai}`, admin)).json;
      assert.deepEqual(children.map((u: { code: string; retiredAt: string | null }) => `${u.code}${u.retiredAt ? ' (retired)' : ''}`), ['24886', '24898', '622 (retired)', '635 (retired)']);
      // Back to the 2021 list: the districts come back with their ids, the communes retire or go.
      const back = await importList(list(...defaultLines(), ...DEMO_DISTRICTS));
      assert.equal(back.json.restored, 3);
      assert.equal(back.json.deleted, 3);
      assert.equal((await server.db.prisma.adminUnit.findUniqueOrThrow({ where: { code: '622' } })).retiredAt, null);
      assert.equal(await server.db.prisma.adminUnit.count(), 66);
    });

    if (kind === 'postgresql') {
      test('the command imports into the configured database (while the server runs), all or nothing', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giamsat-units-'));
        tmp.push(dir);
        const bad = path.join(dir, 'bad.csv');
        fs.writeFileSync(bad, list('64,Tỉnh Gia Lai,,Tỉnh', '622,TP. Pleiku,99,Thành phố', '622,Trùng,64,Huyện'));
        const before = await snapshot();
        const refused = await unitsCli({ DATABASE_URL: pg!.url }, [bad]);
        assert.equal(refused.code, 2, refused.err);
        assert.match(refused.err, /refused, nothing changed: 2 problem\(s\)/);
        assert.match(refused.err, /line 3, parent_code: unknown parent code "99"/);
        assert.match(refused.err, /line 4, code: duplicate code "622"/);
        const good = path.join(dir, 'good.csv');
        fs.writeFileSync(good, list(...defaultLines(), ...DEMO_DISTRICTS, '22807,Phường Hoa Lư,622,Phường'));
        const dry = await unitsCli({ DATABASE_URL: pg!.url }, ['--dry-run', good]);
        assert.equal(dry.code, 0, dry.err);
        assert.match(dry.out, /Dry run \(nothing stored\): would import 67 units: 1 new/);
        assert.deepEqual(await snapshot(), before);
        const done = await unitsCli({ DATABASE_URL: pg!.url }, [good]);
        assert.match(done.out, /Imported 67 units: 1 new, 0 changed, 66 unchanged/);
        const entry = await server.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'units.import' }, orderBy: { seq: 'desc' } });
        assert.equal(entry.actorId, null);
        assert.equal((entry.details as { source: string }).source, 'cli');
        assert.equal((await unitsCli({ DATABASE_URL: pg!.url }, [])).code, 2, 'no file');
        assert.equal((await unitsCli({ DATABASE_URL: pg!.url }, [path.join(dir, 'missing.csv')])).code, 2);
      });
    }
  });
}
