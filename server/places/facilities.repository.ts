// The only code that reads and writes facilities and organizations.
import type { PrismaClient } from '../db/generated/client.js';
import type { CivilianSiteType, FacilityKind, OrganizationKind, SurveyStatus } from '../db/generated/enums.js';

/** What a scope administrator sets on a facility. */
export interface FacilityFields {
  unitId: string;
  name: string;
  kind: FacilityKind;
  siteType: CivilianSiteType | null;
  managingOrgId: string | null;
  address: string | null;
  capacity: number | null;
  leaderName: string | null;
  leaderPhone: string | null;
  camerasExpected: number;
  connectBy: Date | null;
}

export interface OrganizationFields {
  name: string;
  kind: OrganizationKind;
  unitId: string | null;
}

const facilitySelect = {
  id: true, unitId: true, name: true, kind: true, siteType: true, managingOrgId: true, address: true, capacity: true,
  leaderName: true, leaderPhone: true, camerasExpected: true, connectBy: true, surveyStatus: true, surveyNote: true,
  surveySetAt: true, retiredAt: true, createdAt: true,
  unit: { select: { name: true, path: true } },
  managingOrg: { select: { name: true } },
  surveySetById: true,
  _count: { select: { cameras: true } },
} as const;

export class FacilitiesRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  unitPath(unitId: string) {
    return this.#prisma.adminUnit.findUnique({ where: { id: unitId }, select: { path: true, retiredAt: true } });
  }

  /** Facilities in `within` (a unit, at any depth below it) or everywhere, oldest first. */
  facilities(within?: string, includeRetired = false) {
    return this.#prisma.facility.findMany({
      where: { ...(within ? { unit: { path: { has: within } } } : {}), ...(includeRetired ? {} : { retiredAt: null }) },
      orderBy: [{ name: 'asc' }],
      take: 5000,
      select: facilitySelect,
    });
  }

  facility(id: string) {
    return this.#prisma.facility.findUnique({ where: { id }, select: facilitySelect });
  }

  /** Another live facility of that name in the unit (names must tell facilities apart). */
  async nameTaken(unitId: string, name: string, except?: string): Promise<boolean> {
    return (await this.#prisma.facility.count({ where: { unitId, name: { equals: name, mode: 'insensitive' }, retiredAt: null, ...(except ? { NOT: { id: except } } : {}) } })) > 0;
  }

  createFacility(data: FacilityFields) {
    return this.#prisma.facility.create({ data, select: facilitySelect });
  }

  updateFacility(id: string, data: Partial<FacilityFields> & { surveyStatus?: SurveyStatus; surveyNote?: string | null; surveySetById?: string; surveySetAt?: Date; retiredAt?: Date }) {
    return this.#prisma.facility.update({ where: { id }, data, select: facilitySelect });
  }

  /** Names of units by id (to show where facilities and organizations are). */
  async unitNames(ids: string[]): Promise<Map<string, string>> {
    const rows = ids.length ? await this.#prisma.adminUnit.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true } }) : [];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** Full names of people by id (who set a survey status). */
  async personNames(ids: string[]): Promise<Map<string, string>> {
    const rows = ids.length ? await this.#prisma.user.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, fullName: true } }) : [];
    return new Map(rows.map((r) => [r.id, r.fullName]));
  }

  organizations(includeRetired = false) {
    return this.#prisma.organization.findMany({
      where: includeRetired ? {} : { retiredAt: null },
      orderBy: { name: 'asc' },
      take: 5000,
      select: { id: true, name: true, kind: true, unitId: true, retiredAt: true, unit: { select: { name: true, path: true } }, _count: { select: { users: true, facilities: true } } },
    });
  }

  organization(id: string) {
    return this.#prisma.organization.findUnique({ where: { id }, select: { id: true, name: true, kind: true, unitId: true, retiredAt: true, unit: { select: { name: true, path: true } } } });
  }

  async organizationNameTaken(name: string, except?: string): Promise<boolean> {
    return (await this.#prisma.organization.count({ where: { name: { equals: name, mode: 'insensitive' }, ...(except ? { NOT: { id: except } } : {}) } })) > 0;
  }

  createOrganization(data: OrganizationFields) {
    return this.#prisma.organization.create({ data, select: { id: true, name: true, kind: true, unitId: true, retiredAt: true } });
  }

  updateOrganization(id: string, data: Partial<OrganizationFields> & { retiredAt?: Date }) {
    return this.#prisma.organization.update({ where: { id }, data, select: { id: true, name: true, kind: true, unitId: true, retiredAt: true } });
  }
}
