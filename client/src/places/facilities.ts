// The places page's facilities and organizations, for the unit open above: the facilities in
// it (at any depth below) with their cameras against the expected number, deadline and
// survey; a form to add one to the open unit or edit one (scope administrators; installers
// set the survey only), and the organizations of the caller's scope with a form to add one
// at the open unit (or as a national body at the top).
import { apiJson, apiSend } from '../api.js';
import { formatDateTime, t, type MessageKey } from '../i18n.js';
import { $, actionButton, cell, emptyRow, formErrorText, head, options } from './dom.js';

interface Facility {
  id: string;
  unitId: string;
  name: string;
  kind: string;
  siteType: string | null;
  managingOrgId: string | null;
  managingOrgName: string | null;
  address: string | null;
  capacity: number | null;
  leaderName: string | null;
  leaderPhone: string | null;
  camerasExpected: number;
  cameras: number;
  connectBy: string | null;
  surveyStatus: string;
  surveyNote: string | null;
  surveySetAt: string | null;
  surveySetBy: string | null;
  retiredAt: string | null;
  place: string;
  may: { edit: boolean; survey: boolean };
}

interface Organization {
  id: string;
  name: string;
  kind: string;
  unitName: string | null;
  people: number;
  facilities: number;
  retiredAt: string | null;
}

/** The kinds a person picks from: the facility kind and, for civilian sites, what houses it. */
const KIND_CHOICES = ['MILITARY_QUARANTINE', 'HOSPITAL', 'HOTEL', 'SCHOOL', 'DORMITORY', 'OTHER', 'CHECKPOINT'] as const;
const SURVEY = ['NOT_SURVEYED', 'SURVEYED', 'INSTALLING', 'CONNECTED', 'NOT_COOPERATING'] as const;
const ORG_KINDS = ['MOH_IT_DEPARTMENT', 'PROVINCIAL_HEALTH_DEPARTMENT', 'PROVINCIAL_MILITARY_COMMAND', 'PROVINCIAL_POLICE', 'CDC', 'DISTRICT_HEALTH_CENTRE', 'TELECOM_INSTALLER', 'FACILITY_MANAGEMENT', 'OTHER'] as const;

const choiceOf = (f: { kind: string; siteType: string | null }) => (f.kind === 'CIVILIAN_QUARANTINE' ? f.siteType ?? 'OTHER' : f.kind);
const kindOf = (choice: string) => (choice === 'MILITARY_QUARANTINE' || choice === 'CHECKPOINT'
  ? { kind: choice, siteType: null }
  : { kind: 'CIVILIAN_QUARANTINE', siteType: choice });

/** Days until (positive) or since (negative) a YYYY-MM-DD deadline, counted in whole days. */
export function daysLeft(day: string, now = new Date()): number {
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((Date.parse(`${day}T00:00:00Z`) - today) / 86_400_000);
}

/** What the rows of this panel open. */
export interface FacilityPanels {
  cameras(f: { id: string; name: string }): void;
  installers(f: { id: string; name: string }): void;
  people(organizationId: string): void;
}

export class FacilitiesPanel {
  #unit: { id: string; name: string } | undefined;
  #facilities: Facility[] = [];
  #orgs: Organization[] = [];
  /** The organization being edited (undefined: the form adds one at the open unit). */
  #editingOrg: Organization | undefined;
  /** The facility being edited (undefined: the form adds one to the open unit). */
  #editing: Facility | undefined;
  #admin = false;
  readonly #onError: (err: unknown) => void;
  readonly #open: FacilityPanels;

  /** `open`: the panels a row leads to (a facility's cameras and installers, an organization's people). */
  constructor(onError: (err: unknown) => void, open: FacilityPanels) {
    this.#onError = onError;
    this.#open = open;
    $<HTMLFormElement>('facility-form').onsubmit = (e) => {
      e.preventDefault();
      void this.#save();
    };
    $('facility-cancel').onclick = () => this.#edit(undefined);
    $('organization-cancel').onclick = () => this.#editOrganization(undefined);
    $<HTMLFormElement>('organization-form').onsubmit = (e) => {
      e.preventDefault();
      void this.#saveOrganization();
    };
  }

  /** Whether the person administers anything (else the forms stay hidden). */
  set admin(value: boolean) {
    this.#admin = value;
  }

  /** The open unit and the facilities listed under it (where a new person's role may sit). */
  get context(): { unit: { id: string; name: string } | undefined; facilities: Array<{ id: string; name: string }> } {
    return { unit: this.#unit, facilities: this.#facilities.filter((f) => !f.retiredAt && f.may.edit).map((f) => ({ id: f.id, name: f.name })) };
  }

  /** Reads the list again (after cameras changed). */
  refresh(): Promise<void> {
    return this.show(this.#unit);
  }

  /** Shows the facilities under `unit` (everything in the caller's standing at the top). */
  async show(unit: { id: string; name: string } | undefined): Promise<void> {
    // The open unit changes at once (titles follow it); the lists when they arrive.
    this.#unit = unit;
    this.#editing = undefined;
    this.#editingOrg = undefined;
    this.#facilities = [];
    this.render();
    const [facilities, orgs] = await Promise.all([
      apiJson<Facility[]>(`/api/facilities${unit ? `?within=${unit.id}` : ''}`),
      this.#admin ? apiJson<Organization[]>('/api/organizations') : Promise.resolve([]),
    ]);
    this.#facilities = facilities;
    this.#orgs = orgs;
    this.render();
  }

  render(): void {
    const form = $<HTMLFormElement>('facility-form');
    $('facilities-hint').textContent = this.#unit ? t('facilities.in', { unit: this.#unit.name }) : t('facilities.openUnit');
    const table = $<HTMLTableElement>('facility-list');
    head(table, ['facilities.name', 'facilities.kind', 'facilities.place', 'facilities.cameras', 'facilities.connectBy', 'facilities.survey', 'facilities.leader', 'facilities.actions']);
    table.tBodies[0]!.replaceChildren(...(this.#facilities.length ? this.#facilities.map((f) => this.#row(f)) : [emptyRow(8, 'facilities.none')]));

    const el = form.elements;
    options(el.namedItem('kind') as HTMLSelectElement, KIND_CHOICES, (v) => t(`facilityKind.${v}` as MessageKey));
    options(el.namedItem('surveyStatus') as HTMLSelectElement, SURVEY, (v) => t(`survey.${v}` as MessageKey));
    options(el.namedItem('managingOrgId') as HTMLSelectElement, this.#orgs.filter((o) => !o.retiredAt).map((o) => o.id), (id) => this.#orgs.find((o) => o.id === id)!.name, t('facilities.noOrg'));
    // Adding needs an open unit; editing needs the right to (installers only set the survey).
    form.hidden = !(this.#editing ? this.#editing.may.survey : this.#admin && this.#unit);
    $('facility-form-title').textContent = this.#editing ? t('facilities.edit', { name: this.#editing.name }) : t('facilities.add', { unit: this.#unit?.name ?? '' });
    $('facility-save').textContent = t(this.#editing ? 'facilities.save' : 'facilities.create');
    $('facility-cancel').hidden = !this.#editing;
    const adminFields = ['name', 'kind', 'managingOrgId', 'address', 'capacity', 'leaderName', 'leaderPhone', 'camerasExpected', 'connectBy'];
    for (const name of adminFields) (el.namedItem(name) as HTMLInputElement).disabled = !!this.#editing && !this.#editing.may.edit;

    $('organizations-section').hidden = !this.#admin;
    const orgs = $<HTMLTableElement>('organization-list');
    head(orgs, ['orgs.name', 'orgs.kind', 'orgs.unit', 'orgs.people', 'facilities.actions']);
    orgs.tBodies[0]!.replaceChildren(...(this.#orgs.length ? this.#orgs.map((o) => {
      const tr = document.createElement('tr');
      tr.dataset.organizationId = o.id;
      if (o.retiredAt) tr.className = 'retired';
      const actions = document.createElement('td');
      actions.className = 'actions';
      actions.append(this.#button(t('orgs.peopleShort'), async () => this.#open.people(o.id)));
      if (!o.retiredAt) actions.append(this.#button(t('facilities.editShort'), async () => this.#editOrganization(o)), this.#button(t('facilities.retire'), () => this.#retireOrganization(o)));
      else actions.append(t('places.retiredShort'));
      tr.append(cell(o.name), cell(t(`orgKind.${o.kind}` as MessageKey)), cell(o.unitName ?? t('places.nation')), cell(String(o.people)), actions);
      return tr;
    }) : [emptyRow(5, 'orgs.none')]));
    options($<HTMLFormElement>('organization-form').elements.namedItem('kind') as HTMLSelectElement, ORG_KINDS, (v) => t(`orgKind.${v}` as MessageKey));
    const org = this.#editingOrg;
    $('organization-form-title').textContent = org ? t('orgs.edit', { name: org.name }) : t('orgs.add', { unit: this.#unit?.name ?? t('places.nation') });
    $('organization-save').textContent = t(org ? 'facilities.save' : 'orgs.create');
    $('organization-cancel').hidden = !org;
  }

  #editOrganization(o: Organization | undefined): void {
    this.#editingOrg = o;
    const form = $<HTMLFormElement>('organization-form');
    form.reset();
    $('organization-error').textContent = '';
    this.render();
    if (!o) return;
    (form.elements.namedItem('name') as HTMLInputElement).value = o.name;
    (form.elements.namedItem('kind') as HTMLSelectElement).value = o.kind;
    form.scrollIntoView({ block: 'nearest' });
  }

  #button(label: string, action: () => Promise<void>): HTMLButtonElement {
    return actionButton(label, action, this.#onError);
  }

  #row(f: Facility): HTMLTableRowElement {
    const tr = document.createElement('tr');
    tr.dataset.facilityId = f.id;
    if (f.retiredAt) tr.className = 'retired';
    let deadline = '–';
    if (f.connectBy) {
      const d = daysLeft(f.connectBy);
      deadline = `${f.connectBy} (${d >= 0 ? t('facilities.daysLeft', { count: d }) : t('facilities.daysOverdue', { count: -d })})`;
    }
    const survey = t(`survey.${f.surveyStatus}` as MessageKey) + (f.surveyNote ? ` – ${f.surveyNote}` : '') + (f.surveySetAt ? ` (${[f.surveySetBy, formatDateTime(f.surveySetAt)].filter(Boolean).join(', ')})` : '');
    const actions = document.createElement('td');
    actions.className = 'actions';
    if (f.may.survey && !f.retiredAt) {
      actions.append(this.#button(t('facilities.cameraWork'), async () => this.#open.cameras({ id: f.id, name: f.name })));
      if (f.may.edit) actions.append(this.#button(t('facilities.installers'), async () => this.#open.installers({ id: f.id, name: f.name })));
      actions.append(this.#button(t('facilities.editShort'), async () => this.#edit(f)));
    }
    if (f.may.edit && !f.retiredAt) actions.append(this.#button(t('facilities.retire'), () => this.#retire(f)));
    tr.append(
      cell(f.name), cell(t(`facilityKind.${choiceOf(f)}` as MessageKey)), cell(f.place), cell(`${f.cameras}/${f.camerasExpected}`),
      cell(deadline), cell(survey), cell([f.leaderName, f.leaderPhone].filter(Boolean).join(', ') || '–'), actions,
    );
    return tr;
  }

  #edit(f: Facility | undefined): void {
    this.#editing = f;
    const form = $<HTMLFormElement>('facility-form');
    form.reset();
    $('facility-error').textContent = '';
    this.render();
    if (!f) return;
    const set = (name: string, value: string | number | null) => ((form.elements.namedItem(name) as HTMLInputElement).value = value === null ? '' : String(value));
    set('name', f.name);
    set('kind', choiceOf(f));
    set('managingOrgId', f.managingOrgId);
    set('address', f.address);
    set('capacity', f.capacity);
    set('leaderName', f.leaderName);
    set('leaderPhone', f.leaderPhone);
    set('camerasExpected', f.camerasExpected);
    set('connectBy', f.connectBy);
    set('surveyStatus', f.surveyStatus);
    set('surveyNote', f.surveyNote);
    form.scrollIntoView({ block: 'nearest' });
  }

  async #save(): Promise<void> {
    const form = $<HTMLFormElement>('facility-form');
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const num = (name: string) => (text(name) === '' ? null : Number(text(name)));
    const fields = {
      name: text('name'), ...kindOf(text('kind')), managingOrgId: text('managingOrgId') || null, address: text('address') || null,
      capacity: num('capacity'), leaderName: text('leaderName') || null, leaderPhone: text('leaderPhone') || null,
      camerasExpected: num('camerasExpected') ?? 0, connectBy: text('connectBy') || null,
    };
    const survey = { status: text('surveyStatus'), note: text('surveyNote') || null };
    $('facility-error').textContent = '';
    try {
      const f = this.#editing;
      if (!f) {
        const created = await apiSend<Facility>('POST', '/api/facilities', { unitId: this.#unit!.id, ...fields });
        if (survey.status !== 'NOT_SURVEYED' || survey.note) await apiSend('PUT', `/api/facilities/${created!.id}/survey`, survey);
      } else {
        if (f.may.edit) await apiSend('PATCH', `/api/facilities/${f.id}`, fields);
        if (survey.status !== f.surveyStatus || survey.note !== f.surveyNote) await apiSend('PUT', `/api/facilities/${f.id}/survey`, survey);
      }
      form.reset();
      await this.show(this.#unit);
    } catch (err) {
      $('facility-error').textContent = formErrorText(err);
    }
  }

  async #retire(f: Facility): Promise<void> {
    if (!confirm(t('facilities.confirmRetire', { name: f.name }))) return;
    await apiSend('POST', `/api/facilities/${f.id}/retire`);
    await this.show(this.#unit);
  }

  async #saveOrganization(): Promise<void> {
    const form = $<HTMLFormElement>('organization-form');
    const data = new FormData(form);
    $('organization-error').textContent = '';
    try {
      const fields = { name: String(data.get('name') ?? '').trim(), kind: String(data.get('kind')) };
      const o = this.#editingOrg;
      if (o) {
        // Only what changed: an unchanged name is not a rename in the audit log.
        const patch = { ...(fields.name !== o.name ? { name: fields.name } : {}), ...(fields.kind !== o.kind ? { kind: fields.kind } : {}) };
        if (Object.keys(patch).length) await apiSend('PATCH', `/api/organizations/${o.id}`, patch);
      } else {
        await apiSend('POST', '/api/organizations', { ...fields, unitId: this.#unit?.id ?? null });
      }
      this.#editingOrg = undefined;
      form.reset();
      await this.show(this.#unit);
    } catch (err) {
      $('organization-error').textContent = formErrorText(err);
    }
  }

  async #retireOrganization(o: Organization): Promise<void> {
    if (!confirm(t('orgs.confirmRetire', { name: o.name }))) return;
    await apiSend('POST', `/api/organizations/${o.id}/retire`);
    await this.show(this.#unit);
  }
}
