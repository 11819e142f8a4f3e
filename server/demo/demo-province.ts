// The demo province that `npm start` seeds and the access tests use: two provinces (so
// cross-province refusals are visible), a military-run site, a hotel, a school dormitory, a
// checkpoint, one camera per facility plus one not yet assigned to a facility, and one
// named person per role. Ids are fixed so tests and docs can name them.
import { createHash } from 'node:crypto';
import { Secret } from 'otpauth';
import type { CivilianSiteType, FacilityKind, OrganizationKind, Role, ScopeType, UserStatus } from '../db/generated/enums.js';

const id = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

export const DEMO_IDS = {
  gialai: id(1), konTum: id(2),
  pleiku: id(11), chuSe: id(12), konTumCity: id(13),
  military: id(21), hotel: id(22), school: id(23), checkpoint: id(24), hospitalKonTum: id(25),
} as const;

/**
 * The demo's administrative units: its two provinces come from the default list (the 63
 * provinces, codes of 2021), with fixed ids; three districts under them are the demo's own.
 */
export const DEMO_UNIT_IDS = new Map<string, string>([['64', DEMO_IDS.gialai], ['62', DEMO_IDS.konTum], ['622', DEMO_IDS.pleiku], ['635', DEMO_IDS.chuSe], ['608', DEMO_IDS.konTumCity]]);

/** The districts the demo adds to the default list, as lines of a unit list. */
export const DEMO_DISTRICT_LINES = [
  '622,TP. Pleiku,64,Thành phố',
  '635,Huyện Chư Sê,64,Huyện',
  '608,TP. Kon Tum,62,Thành phố',
];

export interface DemoFacility {
  id: string;
  /** The demo district it lies in. */
  unitId: string;
  name: string;
  kind: FacilityKind;
  siteType?: CivilianSiteType;
  /** Name of the demo camera in it (the demo feeds are attached in this order). */
  camera: string;
}

export const DEMO_FACILITIES: DemoFacility[] = [
  { id: DEMO_IDS.military, unitId: DEMO_IDS.pleiku, name: 'Khu cách ly Trường Quân sự tỉnh', kind: 'MILITARY_QUARANTINE', camera: 'Demo 1 – Cổng chính' },
  { id: DEMO_IDS.hotel, unitId: DEMO_IDS.pleiku, name: 'Khách sạn Hoàng Anh (cách ly)', kind: 'CIVILIAN_QUARANTINE', siteType: 'HOTEL', camera: 'Demo 2 – Hành lang tầng 2' },
  { id: DEMO_IDS.school, unitId: DEMO_IDS.chuSe, name: 'Ký túc xá Trường THPT Chư Sê', kind: 'CIVILIAN_QUARANTINE', siteType: 'SCHOOL', camera: 'Demo 3 – Khu tiếp nhận' },
  { id: DEMO_IDS.checkpoint, unitId: DEMO_IDS.chuSe, name: 'Chốt kiểm soát QL14 – Chư Sê', kind: 'CHECKPOINT', camera: 'Demo 4 – Chốt kiểm soát' },
  { id: DEMO_IDS.hospitalKonTum, unitId: DEMO_IDS.konTumCity, name: 'Bệnh viện Đa khoa Kon Tum (cách ly)', kind: 'CIVILIAN_QUARANTINE', siteType: 'HOSPITAL', camera: 'Demo 5 – Kon Tum' },
];

export const DEMO_ORGANIZATIONS: Array<{ name: string; kind: OrganizationKind; unitId?: string }> = [
  { name: 'Cục Công nghệ thông tin, Bộ Y tế', kind: 'MOH_IT_DEPARTMENT' },
  { name: 'Sở Y tế Gia Lai', kind: 'PROVINCIAL_HEALTH_DEPARTMENT', unitId: DEMO_IDS.gialai },
  { name: 'Bộ Chỉ huy Quân sự tỉnh Gia Lai', kind: 'PROVINCIAL_MILITARY_COMMAND', unitId: DEMO_IDS.gialai },
  { name: 'Công an tỉnh Gia Lai', kind: 'PROVINCIAL_POLICE', unitId: DEMO_IDS.gialai },
  { name: 'CDC Gia Lai', kind: 'CDC', unitId: DEMO_IDS.gialai },
  { name: 'VNPT Gia Lai', kind: 'TELECOM_INSTALLER', unitId: DEMO_IDS.gialai },
  { name: 'Ban quản lý Khách sạn Hoàng Anh', kind: 'FACILITY_MANAGEMENT', unitId: DEMO_IDS.gialai },
];

export interface DemoUser {
  username: string;
  fullName: string;
  position: string;
  organization: string;
  status?: UserStatus;
  roles: Array<{ role: Role; scopeType: ScopeType; scopeId: string | null; effect?: 'ALLOW' | 'DENY'; expired?: boolean }>;
  /** Spot checks: facility, and whether it is running now (else it ended yesterday). */
  spotChecks?: Array<{ facilityId: string; running: boolean }>;
}

/** One person per role, plus the edge cases the policy must get right. Password of all: DEMO_PASSWORD. */
export const DEMO_USERS: DemoUser[] = [
  { username: 'quocgia', fullName: 'Nguyễn Văn An', position: 'Chuyên viên giám sát', organization: 'Cục Công nghệ thông tin, Bộ Y tế', roles: [{ role: 'NATIONAL_MONITOR', scopeType: 'NATION', scopeId: null }] },
  // Also the department's focal point: she submits its lists of people for accounts.
  { username: 'soyte', fullName: 'Trần Thị Bình', position: 'Phó Giám đốc Sở', organization: 'Sở Y tế Gia Lai', roles: [{ role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }, { role: 'FOCAL_POINT', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }] },
  { username: 'quansu', fullName: 'Lê Văn Cường', position: 'Trưởng phòng Tham mưu', organization: 'Bộ Chỉ huy Quân sự tỉnh Gia Lai', roles: [{ role: 'MILITARY_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }] },
  { username: 'congan', fullName: 'Phạm Minh Dũng', position: 'Đội trưởng CSGT', organization: 'Công an tỉnh Gia Lai', roles: [{ role: 'POLICE_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }] },
  { username: 'khachsan', fullName: 'Hoàng Thị Em', position: 'Trưởng ban quản lý khu cách ly', organization: 'Ban quản lý Khách sạn Hoàng Anh', roles: [{ role: 'FACILITY_LEADER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel }] },
  { username: 'thanhtra', fullName: 'Võ Văn Phúc', position: 'Thanh tra viên', organization: 'CDC Gia Lai', roles: [{ role: 'INSPECTOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }], spotChecks: [{ facilityId: DEMO_IDS.school, running: true }, { facilityId: DEMO_IDS.military, running: false }] },
  { username: 'kythuat', fullName: 'Đặng Văn Giang', position: 'Kỹ thuật viên', organization: 'VNPT Gia Lai', roles: [{ role: 'INSTALLER', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel }] },
  { username: 'vanhanh', fullName: 'Bùi Thị Hà', position: 'Kỹ sư vận hành', organization: 'Cục Công nghệ thông tin, Bộ Y tế', roles: [{ role: 'OPS', scopeType: 'NATION', scopeId: null }] },
  { username: 'quantri', fullName: 'Đỗ Văn Khánh', position: 'Quản trị hệ thống tỉnh', organization: 'Sở Y tế Gia Lai', roles: [{ role: 'SCOPE_ADMIN', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }] },
  { username: 'quantri-tw', fullName: 'Ngô Thị Lan', position: 'Quản trị hệ thống', organization: 'Cục Công nghệ thông tin, Bộ Y tế', roles: [{ role: 'SCOPE_ADMIN', scopeType: 'NATION', scopeId: null }] },
  { username: 'soyte-chan', fullName: 'Lý Văn Minh', position: 'Chuyên viên', organization: 'Sở Y tế Gia Lai', roles: [{ role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }, { role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'FACILITY', scopeId: DEMO_IDS.hotel, effect: 'DENY' }] },
  { username: 'soyte-tamdung', fullName: 'Mai Văn Nam', position: 'Chuyên viên', organization: 'Sở Y tế Gia Lai', status: 'SUSPENDED', roles: [{ role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai }] },
  { username: 'soyte-hethan', fullName: 'Trịnh Thị Oanh', position: 'Chuyên viên', organization: 'Sở Y tế Gia Lai', roles: [{ role: 'PROVINCIAL_HEALTH_MONITOR', scopeType: 'UNIT', scopeId: DEMO_IDS.gialai, expired: true }] },
];

export const DEMO_PASSWORD = 'giamsat-demo-2021';

/**
 * The published TOTP secret of a demo account (derived from its login, so anyone can compute
 * the code: `npm run demo:totp -- <login>`). Demo only: real accounts enrol a random secret.
 */
export function demoTotpSecret(username: string): string {
  const digest = createHash('sha1').update(`giamsat-demo-totp:${username}`).digest();
  return new Secret({ buffer: new Uint8Array(digest).buffer }).base32;
}
