// Facilities and organizations, administered by scope administrators in their scope: created,
// edited and retired, each change audited with the person and the names of the fields changed.
// Installers assigned to a facility (or to a unit holding it) read it and set its survey
// status. Anything outside the caller's standing is "not found", as everywhere else.
import type { AuditLog } from '../audit/AuditLog.js';
import type { SurveyStatus } from '../db/generated/enums.js';
import { AppError, ErrorCode } from '../errors.js';
import type { FacilitiesRepository, FacilityFields, OrganizationFields } from './facilities.repository.js';
import type { PlaceAuthority, PlacesAccess } from './places-access.js';

export interface Actor {
  userId: string;
  address: string;
}

type FacilityRow = NonNullable<Awaited<ReturnType<FacilitiesRepository['facility']>>>;

/** The fields whose values differ between a stored row and a patch (names only, for the audit log). */
function changedFields<T extends object>(before: T, patch: Partial<T>): Array<keyof T & string> {
  return (Object.keys(patch) as Array<keyof T & string>).filter((k) => {
    const a = before[k] as unknown;
    const b = patch[k] as unknown;
    return a instanceof Date || b instanceof Date ? (a as Date | null)?.getTime() !== (b as Date | null)?.getTime() : a !== b;
  });
}

export class FacilityRegistry {
  readonly #repo: FacilitiesRepository;
  readonly #audit: AuditLog;
  readonly #access: PlacesAccess;

  constructor(repo: FacilitiesRepository, audit: AuditLog, access: PlacesAccess) {
    this.#repo = repo;
    this.#audit = audit;
    this.#access = access;
  }

  /** Names of the units and of the people who set the survey, for presenting `rows`. */
  async #names(rows: FacilityRow[]) {
    const [units, people] = await Promise.all([
      this.#repo.unitNames(rows.flatMap((f) => f.unit.path)),
      this.#repo.personNames(rows.flatMap((f) => (f.surveySetById ? [f.surveySetById] : []))),
    ]);
    return { units, people };
  }

  #present(f: FacilityRow, who: PlaceAuthority, names: { units: ReadonlyMap<string, string>; people: ReadonlyMap<string, string> }) {
    const units = names.units;
    const place = { units: f.unit.path, facilityId: f.id, facilityKind: f.kind };
    const { unit, managingOrg, _count, ...rest } = f;
    return {
      ...rest,
      connectBy: f.connectBy ? f.connectBy.toISOString().slice(0, 10) : null,
      unitName: unit.name,
      /** The units holding it, most local first ("TP. Pleiku, Tỉnh Gia Lai"). */
      place: [...unit.path].reverse().map((id) => units.get(id) ?? '').join(', '),
      managingOrgName: managingOrg?.name ?? null,
      /** Who set the survey status (with surveySetAt: when). */
      surveySetBy: f.surveySetById ? names.people.get(f.surveySetById) ?? null : null,
      cameras: _count.cameras,
      /** What the caller may do with it. */
      may: { edit: who.administers(place), survey: who.administers(place) || who.installs(place) },
    };
  }

  /** Facilities the caller administers or installs, in `within` (a unit) or everywhere. */
  async list(userId: string, q: { within?: string; includeRetired?: boolean }) {
    const who = await this.#access.authorityOf(userId);
    const rows = (await this.#repo.facilities(q.within, q.includeRetired)).filter((f) => {
      const place = { units: f.unit.path, facilityId: f.id, facilityKind: f.kind };
      return who.administers(place) || who.installs(place);
    });
    const names = await this.#names(rows);
    return rows.map((f) => this.#present(f, who, names));
  }

  async get(userId: string, id: string) {
    const who = await this.#access.authorityOf(userId);
    const f = await this.#visible(who, id);
    return this.#present(f, who, await this.#names([f]));
  }

  async #visible(who: PlaceAuthority, id: string, need: 'read' | 'edit' = 'read'): Promise<FacilityRow> {
    const f = await this.#repo.facility(id);
    const place = f && { units: f.unit.path, facilityId: f.id, facilityKind: f.kind };
    const allowed = place && (who.administers(place) || (need === 'read' && who.installs(place)));
    if (!f || !allowed) throw new AppError(ErrorCode.NotFound, 'no such facility');
    return f;
  }

  /** A unit the caller administers and that is not retired (else "not found" / a clear refusal). */
  async #unitFor(who: PlaceAuthority, unitId: string): Promise<string[]> {
    const unit = await this.#repo.unitPath(unitId);
    if (!unit || !who.administers({ units: unit.path })) throw new AppError(ErrorCode.NotFound, 'no such unit');
    if (unit.retiredAt) throw new AppError(ErrorCode.BadRequest, 'unitId: the unit is retired (no longer on the official list)');
    return unit.path;
  }

  async #checkOrg(managingOrgId: string | null | undefined): Promise<void> {
    if (!managingOrgId) return;
    const org = await this.#repo.organization(managingOrgId);
    if (!org) throw new AppError(ErrorCode.BadRequest, 'managingOrgId: no such organization');
    if (org.retiredAt) throw new AppError(ErrorCode.BadRequest, 'managingOrgId: the organization is retired');
  }

  async create(actor: Actor, fields: FacilityFields) {
    const who = await this.#access.authorityOf(actor.userId);
    await this.#unitFor(who, fields.unitId);
    await this.#checkOrg(fields.managingOrgId);
    if (await this.#repo.nameTaken(fields.unitId, fields.name)) throw new AppError(ErrorCode.Conflict, 'name: a facility of that name exists in this unit');
    const f = await this.#repo.createFacility(fields);
    await this.#audit.append({ actorId: actor.userId, action: 'facility.create', target: `facility:${f.id}`, address: actor.address, details: { unitId: f.unitId, name: f.name, kind: f.kind } });
    return this.#present(f, who, await this.#names([f]));
  }

  async update(actor: Actor, id: string, patch: Partial<FacilityFields>) {
    const who = await this.#access.authorityOf(actor.userId);
    const before = await this.#visible(who, id, 'edit');
    if (before.retiredAt) throw new AppError(ErrorCode.InvalidState, 'the facility is retired');
    const moved = patch.unitId !== undefined && patch.unitId !== before.unitId;
    if (moved) await this.#unitFor(who, patch.unitId!);
    if (patch.managingOrgId !== undefined && patch.managingOrgId !== before.managingOrgId) await this.#checkOrg(patch.managingOrgId);
    const name = patch.name ?? before.name;
    const unitId = patch.unitId ?? before.unitId;
    if ((patch.name !== undefined || moved) && await this.#repo.nameTaken(unitId, name, id)) throw new AppError(ErrorCode.Conflict, 'name: a facility of that name exists in this unit');
    const fields = changedFields(before, patch);
    const f = fields.length ? await this.#repo.updateFacility(id, Object.fromEntries(fields.map((k) => [k, patch[k]]))) : before;
    if (fields.length) {
      await this.#audit.append({ actorId: actor.userId, action: 'facility.update', target: `facility:${id}`, address: actor.address, details: { fields } });
      // Its cameras now sit elsewhere (or watch other kinds): views and lists are judged again.
      if (moved || fields.includes('kind')) this.#access.placesChanged();
    }
    return this.#present(f, who, await this.#names([f]));
  }

  /** The survey status, set by the facility's installers or its administrators. */
  async setSurvey(actor: Actor, id: string, survey: { status: SurveyStatus; note: string | null }) {
    const who = await this.#access.authorityOf(actor.userId);
    const before = await this.#visible(who, id, 'read');
    if (before.retiredAt) throw new AppError(ErrorCode.InvalidState, 'the facility is retired');
    const f = await this.#repo.updateFacility(id, { surveyStatus: survey.status, surveyNote: survey.note, surveySetById: actor.userId, surveySetAt: new Date() });
    await this.#audit.append({ actorId: actor.userId, action: 'facility.update', target: `facility:${id}`, address: actor.address, details: { fields: ['surveyStatus', 'surveyNote'], surveyStatus: survey.status } });
    return this.#present(f, who, await this.#names([f]));
  }

  /** Retires a facility that no longer holds cameras (quarantine ended); its history stays. */
  async retire(actor: Actor, id: string) {
    const who = await this.#access.authorityOf(actor.userId);
    const before = await this.#visible(who, id, 'edit');
    if (before.retiredAt) throw new AppError(ErrorCode.InvalidState, 'the facility is retired already');
    if (before._count.cameras > 0) throw new AppError(ErrorCode.Conflict, `the facility still has ${before._count.cameras} camera(s): remove them first`);
    const f = await this.#repo.updateFacility(id, { retiredAt: new Date() });
    await this.#audit.append({ actorId: actor.userId, action: 'facility.retire', target: `facility:${id}`, address: actor.address, details: { name: f.name } });
    return this.#present(f, who, await this.#names([f]));
  }

  // ---- organizations --------------------------------------------------------------------

  /** Organizations in the caller's administrative scope (national bodies for national administrators). */
  async organizations(userId: string, includeRetired = false) {
    const who = await this.#access.authorityOf(userId);
    return (await this.#repo.organizations(includeRetired))
      .filter((o) => who.administers(o.unit ? { units: o.unit.path } : {}))
      .map(({ unit, _count, ...o }) => ({ ...o, unitName: unit?.name ?? null, people: _count.users, facilities: _count.facilities }));
  }

  async createOrganization(actor: Actor, fields: OrganizationFields) {
    const who = await this.#access.authorityOf(actor.userId);
    if (fields.unitId) await this.#unitFor(who, fields.unitId);
    else if (!who.administers({})) throw new AppError(ErrorCode.NotFound, 'no such unit');
    if (await this.#repo.organizationNameTaken(fields.name)) throw new AppError(ErrorCode.Conflict, 'name: an organization of that name exists');
    const o = await this.#repo.createOrganization(fields);
    await this.#audit.append({ actorId: actor.userId, action: 'organization.create', target: `organization:${o.id}`, address: actor.address, details: { name: o.name, kind: o.kind, unitId: o.unitId } });
    return o;
  }

  async updateOrganization(actor: Actor, id: string, patch: Partial<Omit<OrganizationFields, 'unitId'>>) {
    const who = await this.#access.authorityOf(actor.userId);
    const before = await this.#repo.organization(id);
    if (!before || !who.administers(before.unit ? { units: before.unit.path } : {})) throw new AppError(ErrorCode.NotFound, 'no such organization');
    if (patch.name !== undefined && patch.name !== before.name && await this.#repo.organizationNameTaken(patch.name, id)) throw new AppError(ErrorCode.Conflict, 'name: an organization of that name exists');
    const fields = changedFields(before, patch);
    if (!fields.length) return { id: before.id, name: before.name, kind: before.kind, unitId: before.unitId, retiredAt: before.retiredAt };
    const o = await this.#repo.updateOrganization(id, Object.fromEntries(fields.map((k) => [k, patch[k]])));
    await this.#audit.append({ actorId: actor.userId, action: 'organization.update', target: `organization:${id}`, address: actor.address, details: { fields } });
    return o;
  }

  async retireOrganization(actor: Actor, id: string) {
    const who = await this.#access.authorityOf(actor.userId);
    const before = await this.#repo.organization(id);
    if (!before || !who.administers(before.unit ? { units: before.unit.path } : {})) throw new AppError(ErrorCode.NotFound, 'no such organization');
    if (before.retiredAt) throw new AppError(ErrorCode.InvalidState, 'the organization is retired already');
    const o = await this.#repo.updateOrganization(id, { retiredAt: new Date() });
    await this.#audit.append({ actorId: actor.userId, action: 'organization.retire', target: `organization:${id}`, address: actor.address, details: { name: o.name } });
    return o;
  }
}
