// Seeds the demo province (server/demo/demo-province.ts) and its named accounts, once:
// existing rows are left alone, so a restart changes nothing and demo passwords are hashed
// only when an account is first created.
import type { PrismaClient } from '../db/generated/client.js';
import { hashPassword } from '../access/passwords.js';
import { moduleLogger } from '../logger.js';
import type { SecretBox } from '../util/SecretBox.js';
import { DEMO_DISTRICTS, DEMO_FACILITIES, DEMO_IDS, DEMO_ORGANIZATIONS, DEMO_PASSWORD, DEMO_PROVINCES, DEMO_USERS, demoTotpSecret } from './demo-province.js';

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
  const gialaiDistricts = new Set(DEMO_DISTRICTS.filter((d) => d.provinceId === DEMO_IDS.gialai).map((d) => d.id));
  const inGialai = new Set<string>([DEMO_IDS.gialai, ...gialaiDistricts, ...DEMO_FACILITIES.filter((f) => gialaiDistricts.has(f.districtId)).map((f) => f.id)]);
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

export async function seedDemoAccess(prisma: PrismaClient, box: SecretBox): Promise<void> {
  for (const p of DEMO_PROVINCES) await prisma.province.upsert({ where: { id: p.id }, create: p, update: {} });
  for (const d of DEMO_DISTRICTS) await prisma.district.upsert({ where: { id: d.id }, create: d, update: {} });
  const orgs = new Map<string, string>();
  for (const o of DEMO_ORGANIZATIONS) {
    const row = await prisma.organization.upsert({ where: { name: o.name }, create: { name: o.name, kind: o.kind, provinceId: o.provinceId ?? null }, update: {} });
    orgs.set(o.name, row.id);
  }
  for (const f of DEMO_FACILITIES) {
    const managingOrgId = f.id === DEMO_FACILITIES[1]!.id ? orgs.get('Ban quản lý Khách sạn Hoàng Anh') ?? null : null;
    await prisma.facility.upsert({
      where: { id: f.id },
      create: { id: f.id, districtId: f.districtId, name: f.name, kind: f.kind, siteType: f.siteType ?? null, managingOrgId },
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
