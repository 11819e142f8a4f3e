// What a facility and an organization are, as the API accepts them (the HTTP routes validate
// with these; the OpenAPI document is built from them).
import { z } from 'zod';
import { CivilianSiteType, FacilityKind, OrganizationKind, SurveyStatus } from '../db/generated/enums.js';

const uuid = z.string().uuid();
const enumOf = <T extends Record<string, string>>(o: T) => z.enum(Object.values(o) as [T[keyof T], ...Array<T[keyof T]>]);
const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).transform((v) => v || null).nullable();
/** A calendar day, YYYY-MM-DD (the connect-by deadline). */
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').transform((v, ctx) => {
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    ctx.addIssue({ code: 'custom', message: 'not a calendar date' });
    return z.NEVER;
  }
  return d;
});
const facilityShape = {
  unitId: uuid,
  name: text(200),
  kind: enumOf(FacilityKind),
  siteType: enumOf(CivilianSiteType).nullable(),
  managingOrgId: uuid.nullable(),
  address: optionalText(500),
  capacity: z.number().int().min(0).max(100_000).nullable(),
  leaderName: optionalText(200),
  leaderPhone: z.string().trim().regex(/^\+?[0-9 .-]{8,20}$/, 'a phone number').nullable(),
  camerasExpected: z.number().int().min(0).max(1000),
  connectBy: day.nullable(),
};
/** A civilian site says what it is housed in; other kinds have no site type. */
export const siteTypeFits = (f: { kind?: string; siteType?: string | null }) => f.kind === undefined || (f.kind === 'CIVILIAN_QUARANTINE') === (f.siteType !== null && f.siteType !== undefined);
export const facilityBody = z.object({
  ...facilityShape,
  siteType: facilityShape.siteType.default(null), managingOrgId: facilityShape.managingOrgId.default(null),
  address: facilityShape.address.default(null), capacity: facilityShape.capacity.default(null),
  leaderName: facilityShape.leaderName.default(null), leaderPhone: facilityShape.leaderPhone.default(null),
  camerasExpected: facilityShape.camerasExpected.default(0), connectBy: facilityShape.connectBy.default(null),
}).strict().refine(siteTypeFits, { message: 'required for a civilian quarantine site (HOSPITAL, HOTEL, SCHOOL, DORMITORY, OTHER), absent for the other kinds', path: ['siteType'] });
/** Only the fields given change. */
export const facilityPatch = z.object(facilityShape).partial().strict().refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export const surveyBody = z.object({ status: enumOf(SurveyStatus), note: optionalText(1000).default(null) }).strict();
export const organizationBody = z.object({ name: text(200), kind: enumOf(OrganizationKind), unitId: uuid.nullable().default(null) }).strict();
export const organizationPatch = z.object({ name: text(200).optional(), kind: enumOf(OrganizationKind).optional() }).strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export const facilitiesQuery = z.object({ within: uuid.optional(), retired: z.enum(['0', '1']).optional() }).strict();

