// Seeds the demo province (server/demo/demo-province.ts) and its named accounts, once:
// existing rows are left alone, so a restart changes nothing and demo passwords are hashed
// only when an account is first created.
import type { PrismaClient } from '../db/generated/client.js';
import { hashPassword } from '../access/passwords.js';
import { moduleLogger } from '../logger.js';
import type { SecretBox } from '../util/SecretBox.js';
import fs from 'node:fs';
import { DEFAULT_UNIT_LIST, type UnitRegistry } from '../places/UnitRegistry.js';
import { DEMO_DISTRICT_LINES, DEMO_FACILITIES, DEMO_IDS, DEMO_ORGANIZATIONS, DEMO_PASSWORD, DEMO_UNIT_IDS, DEMO_USERS, demoTotpSecret } from './demo-province.js';

const log = moduleLogger('demo');
const DAY = 86_400_000;

/** Puts each demo camera (registered by the demo site) in its demo facility, unless placed already. */
export async function placeDemoCameras(prisma: PrismaClient): Promise<void> {
  for (const f of DEMO_FACILITIES) {
    await prisma.camera.updateMany({ where: { name: f.camera, facilityId: null }, data: { facilityId: f.id } });
  }
}

/**
 * Who granted each demo role, as a real deployment would have it: roles inside Gia Lai by its
 * scope administrator (quantri), the others by the national one (quantri-tw). An account whose
 * roles have ended is told whom to ask from this. Fills in only grants that name nobody.
 */
async function recordDemoGranters(prisma: PrismaClient): Promise<void> {
  const admins = await prisma.user.findMany({ where: { username: { in: ['quantri', 'quantri-tw'] } }, select: { id: true, username: true } });
  const id = (username: string) => admins.find((a) => a.username === username)?.id;
  const gialaiDistricts = new Set([DEMO_IDS.pleiku, DEMO_IDS.chuSe]);
  const inGialai = new Set<string>([DEMO_IDS.gialai, ...gialaiDistricts, ...DEMO_FACILITIES.filter((f) => gialaiDistricts.has(f.unitId)).map((f) => f.id)]);
  for (const u of DEMO_USERS) {
    if (u.username === 'quantri-tw') continue;
    const user = await prisma.user.findUnique({ where: { username: u.username }, select: { id: true } });
    if (!user) continue;
    for (const r of u.roles) {
      const granter = u.username !== 'quantri' && r.scopeId !== null && inGialai.has(r.scopeId) ? id('quantri') : id('quantri-tw');
      if (!granter) continue;
      await prisma.roleAssignment.updateMany({
        where: { userId: user.id, role: r.role, scopeType: r.scopeType, scopeId: r.scopeId, grantedById: null },
        data: { grantedById: granter },
      });
    }
  }
}

/** Are accounts with the published demo password in this database (seeded by an earlier start, perhaps)? */
export async function hasDemoAccounts(prisma: PrismaClient): Promise<boolean> {
  return (await prisma.user.count({ where: { username: { in: DEMO_USERS.map((u) => u.username) }, email: { endsWith: '@demo.giamsat.vn' } } })) > 0;
}

/**
 * The demo's units: on an empty registry, the default list plus the demo districts, imported
 * like any list (with the demo's fixed ids). A registry that has units already is left as it
 * is (an administrator may have imported the full list); the demo needs its own five units
 * in it, with their fixed ids.
 */
async function seedDemoUnits(prisma: PrismaClient, units: UnitRegistry): Promise<void> {
  const count = await prisma.adminUnit.count();
  if (count === 0) {
    const csv = fs.readFileSync(DEFAULT_UNIT_LIST, 'utf8').trimEnd() + '\n' + DEMO_DISTRICT_LINES.join('\n') + '\n';
    await units.import({ csv, source: 'demo', ids: DEMO_UNIT_IDS });
    return;
  }
  const present = await prisma.adminUnit.findMany({ where: { id: { in: [...DEMO_UNIT_IDS.values()] } }, select: { id: true } });
  if (present.length !== DEMO_UNIT_IDS.size) throw new Error('the demo needs its units (codes 62, 64, 608, 622, 635 with the demo ids) but the registry holds other units under those codes: start the demo on an empty database');
}

export async function seedDemoAccess(prisma: PrismaClient, box: SecretBox, units: UnitRegistry): Promise<void> {
  await seedDemoUnits(prisma, units);
  const orgs = new Map<string, string>();
  for (const o of DEMO_ORGANIZATIONS) {
    const row = await prisma.organization.upsert({ where: { name: o.name }, create: { name: o.name, kind: o.kind, unitId: o.unitId ?? null }, update: {} });
    orgs.set(o.name, row.id);
  }
  for (const f of DEMO_FACILITIES) {
    const managingOrgId = f.id === DEMO_FACILITIES[1]!.id ? orgs.get('Ban quản lý Khách sạn Hoàng Anh') ?? null : null;
    await prisma.facility.upsert({
      where: { id: f.id },
      create: { id: f.id, unitId: f.unitId, name: f.name, kind: f.kind, siteType: f.siteType ?? null, managingOrgId },
      update: {},
    });
  }
  let created = 0;
  const admin = await prisma.user.findUnique({ where: { username: 'quantri-tw' } });
  for (const u of DEMO_USERS) {
    if (await prisma.user.findUnique({ where: { username: u.username }, select: { id: true } })) continue;
    const now = Date.now();
    const user = await prisma.user.create({
      data: {
        username: u.username, fullName: u.fullName, position: u.position,
        phone: `0269${String(3800000 + created).padStart(7, '0')}`, email: `${u.username}@demo.giamsat.vn`,
        organizationId: orgs.get(u.organization)!, status: u.status ?? 'ACTIVE', passwordHash: await hashPassword(DEMO_PASSWORD),
        totpSecretEnc: box.seal(demoTotpSecret(u.username)),
      },
    });
    for (const r of u.roles) {
      await prisma.roleAssignment.create({
        data: {
          userId: user.id, role: r.role, scopeType: r.scopeType, scopeId: r.scopeId, effect: r.effect ?? 'ALLOW',
          grantedById: admin?.id ?? null, expiresAt: r.expired ? new Date(now - DAY) : null,
        },
      });
    }
    for (const s of u.spotChecks ?? []) {
      await prisma.spotCheck.create({
        data: {
          inspectorId: user.id, facilityId: s.facilityId, cameraIds: [], reason: 'Kiểm tra đột xuất (dữ liệu mẫu)',
          startsAt: new Date(now - (s.running ? 3600_000 : 2 * DAY)), endsAt: new Date(now + (s.running ? 30 * DAY : -DAY)),
          createdById: admin?.id ?? user.id,
        },
      });
    }
    created++;
  }
  await recordDemoGranters(prisma);
  if (created) log.info({ accounts: created }, 'demo province and accounts seeded');
}
