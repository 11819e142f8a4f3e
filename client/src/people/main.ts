// The people directory (scope administrators): find a person of an organization in the scope
// by name (with or without diacritics), phone, email or organization; see their profile, every
// role with its scope and validity, the views they have open now and their recent sign-ins;
// grant a role or a deny (with scope and expiry), revoke one, suspend or reactivate the
// account, reset the second factor. Every action asks for a reason, recorded in the audit log.
import { apiJson, apiSend } from '../api.js';
import { currentLang, errorText, t, type MessageKey } from '../i18n.js';
import type { Me } from '../nav.js';
import { PageShell } from '../page-shell.js';
import type { DirectoryEntry, PeopleAdmin } from '../../../server/access/PeopleAdmin.js';

type Json<T> = T extends Date ? string : T extends Array<infer U> ? Array<Json<U>> : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
type Person = Json<Awaited<ReturnType<PeopleAdmin['person']>>>;

const ROLES = ['NATIONAL_MONITOR', 'PROVINCIAL_HEALTH_MONITOR', 'MILITARY_MONITOR', 'POLICE_MONITOR', 'FACILITY_LEADER', 'INSPECTOR', 'INSTALLER', 'OPS', 'SCOPE_ADMIN', 'FOCAL_POINT'] as const;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('dir-actions');
const field = <T extends HTMLInputElement | HTMLSelectElement>(name: string) => form.elements.namedItem(name) as T;
const cell = (text: string) => Object.assign(document.createElement('td'), { textContent: text });
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString(currentLang() === 'vi' ? 'vi-VN' : 'en-GB') : '–');

let person: Person | undefined;
/** Scopes the administrator may grant at: their own, and the facilities they administer. */
let scopes: Array<{ scopeType: string; scopeId: string | null; label: string }> = [];
/** Facilities the administrator may open spot checks on. */
let facilities: Array<{ id: string; name: string }> = [];

function say(error: string, done = ''): void {
  $('dir-error').textContent = error;
  $('dir-done').textContent = done;
}

function render(): void {
  field<HTMLSelectElement>('role').replaceChildren(...ROLES.map((r) => Object.assign(document.createElement('option'), { value: r, textContent: t(`role.${r}` as MessageKey) })));
  field<HTMLSelectElement>('scope').replaceChildren(...scopes.map((s, i) => Object.assign(document.createElement('option'), { value: String(i), textContent: s.label })));
  form.querySelector<HTMLOptionElement>('option[value="ALLOW"]')!.textContent = t('dir.allow');
  form.querySelector<HTMLOptionElement>('option[value="DENY"]')!.textContent = t('dir.deny');
  field<HTMLInputElement>('reason').placeholder = t('dir.reasonHint');
  $<HTMLInputElement>('dir-q').placeholder = t('inv.personHint');
  if (!person) return;
  const p = person;
  $('dir-name').textContent = `${p.fullName} (${p.username})`;
  const facts: Array<[MessageKey, string]> = [
    ['inv.position', p.position], ['inv.organization', p.organization.name], ['inv.phone', p.phone], ['inv.email', p.email],
    ['account.state', t(`userStatus.${p.status}` as MessageKey)], ['dir.secondFactor', p.secondFactor ? t('dir.enrolled') : t('dir.notEnrolled')],
  ];
  $('dir-profile').replaceChildren(...facts.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: t(k) }), Object.assign(document.createElement('dd'), { textContent: v })]));
  $('dir-profile').querySelectorAll('dd')[4]!.className = `status-${p.status}`;
  $('dir-suspend').hidden = p.status !== 'ACTIVE' || p.self;
  $('dir-reactivate').hidden = p.status !== 'SUSPENDED' || p.self;
  $('dir-reset-2fa').hidden = !p.secondFactor || p.self;

  const roles = $<HTMLTableElement>('dir-roles');
  const head = document.createElement('tr');
  for (const k of ['dir.role', 'dir.effect', 'dir.scope', 'dir.expires', 'dir.grantedBy', 'account.state', ''] as const) head.append(Object.assign(document.createElement('th'), { textContent: k ? t(k as MessageKey) : '' }));
  roles.tHead!.replaceChildren(head);
  roles.tBodies[0]!.replaceChildren(...p.roles.map((a) => {
    const tr = document.createElement('tr');
    tr.dataset.assignmentId = a.id;
    tr.dataset.state = a.state;
    const revoke = cell('');
    if (a.state === 'active' && !p.self) {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t('dir.revoke'), className: 'revoke' });
      b.onclick = () => void act(() => apiSend('DELETE', `/api/assignments/${a.id}`, { reason: reason() }), 'dir.revoked');
      revoke.append(b);
    }
    tr.append(cell(t(`role.${a.role}` as MessageKey)), cell(a.effect === 'DENY' ? t('dir.deny') : t('dir.allow')),
      cell(a.scopeName ?? t(`scope.${a.scopeType}` as MessageKey)), cell(a.expiresAt ? when(a.expiresAt) : t('dir.noExpiry')),
      cell(`${a.grantedBy?.fullName ?? '–'}, ${when(a.grantedAt)}`), cell(t(`state.${a.state}` as MessageKey)), revoke);
    return tr;
  }));
  renderSpotChecks(p);
  $('dir-views').replaceChildren(...(p.liveViews.length
    ? p.liveViews.map((v) => Object.assign(document.createElement('li'), { textContent: `${v.cameraName} · ${when(v.startedAt)} · ${v.address}` }))
    : [Object.assign(document.createElement('li'), { className: 'muted', textContent: t('dir.noViews') })]));
  $('dir-signins').replaceChildren(...(p.signIns.length
    ? p.signIns.map((e) => Object.assign(document.createElement('li'), { textContent: `${when(e.at)} · ${t(`dir.event.${e.action}` as MessageKey)}${e.reason ? ` (${e.reason})` : ''} · ${e.address ?? ''}` }))
    : [Object.assign(document.createElement('li'), { className: 'muted', textContent: t('dir.noSignIns') })]));
}

/**
 * Spot checks: an inspector (a live INSPECTOR role) is opened onto facilities from now for a
 * chosen number of hours, one spot check per facility; a running or coming one can end early.
 */
function renderSpotChecks(p: Person): void {
  const inspector = p.roles.some((a) => a.role === 'INSPECTOR' && a.effect === 'ALLOW' && a.state === 'active');
  $('dir-spot').hidden = !inspector || p.self;
  if ($('dir-spot').hidden) return;
  const sf = $<HTMLFormElement>('dir-spot-form');
  for (const o of sf.querySelectorAll<HTMLOptionElement>('select[name="hours"] option')) o.textContent = t('dir.hours', { count: Number(o.value) });
  const box = $('dir-spot-facilities');
  const legend = box.querySelector('legend')!;
  box.replaceChildren(legend, ...facilities.map((f) => {
    const label = Object.assign(document.createElement('label'), { className: 'check' });
    label.append(Object.assign(document.createElement('input'), { type: 'checkbox', value: f.id, name: 'facility' }), document.createTextNode(f.name));
    return label;
  }));
  const table = $<HTMLTableElement>('dir-spots');
  const head = document.createElement('tr');
  for (const k of ['dir.scope', 'report.from', 'report.to', 'dir.reasonShort', 'account.state', ''] as const) head.append(Object.assign(document.createElement('th'), { textContent: k ? t(k as MessageKey) : '' }));
  table.tHead!.replaceChildren(head);
  const now = Date.now();
  table.tBodies[0]!.replaceChildren(...p.spotChecks.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.spotCheckId = s.id;
    const over = new Date(s.endsAt).getTime() <= now;
    tr.dataset.state = over ? 'over' : 'running';
    const end = cell('');
    if (!over) {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t('dir.spotEnd'), className: 'end-spot' });
      b.onclick = () => void act(() => apiSend('DELETE', `/api/spot-checks/${s.id}`, { reason: reason() }), 'dir.spotEnded');
      end.append(b);
    }
    tr.append(cell(s.facility?.name ?? t('dir.spotCameras', { count: s.cameraIds.length })), cell(when(s.startsAt)), cell(when(s.endsAt)), cell(s.reason),
      cell(over ? t('dir.spotOver') : new Date(s.startsAt).getTime() > now ? t('dir.spotComing') : t('dir.spotRunning')), end);
    return tr;
  }));
}

/** The reason typed for an action (every action needs one). */
function reason(): string {
  const r = field<HTMLInputElement>('reason').value.trim();
  if (!r) throw new Error(t('dir.needReason'));
  return r;
}

/** Runs an action on the open person, then reads them again. */
async function act(action: () => Promise<unknown>, done: MessageKey): Promise<void> {
  say('');
  try {
    await action();
    field<HTMLInputElement>('reason').value = '';
    await open(person!.id);
    say('', t(done));
  } catch (err) {
    say(err instanceof Error && !('status' in err) ? err.message : `${t('error')}: ${errorText(err)}`);
  }
}

async function open(id: string): Promise<void> {
  person = await apiJson<Person>(`/api/people/${id}`);
  $('dir-person').hidden = false;
  render();
}

let searchSeq = 0;
async function search(): Promise<void> {
  const q = $<HTMLInputElement>('dir-q').value.trim();
  const seq = ++searchSeq;
  if (q.length < 2) {
    $('dir-results').replaceChildren();
    return;
  }
  try {
    const found = await apiJson<DirectoryEntry[]>(`/api/people?${new URLSearchParams({ q })}`);
    if (seq !== searchSeq) return; // a later keystroke asked again
    $('dir-results').replaceChildren(...(found.length ? found.map((p) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: `${p.fullName} · ${p.position} · ${p.organization.name} · ${p.phone}` });
      b.dataset.userId = p.id;
      b.onclick = () => void open(p.id).then(() => say(''), (err: unknown) => say(`${t('error')}: ${errorText(err)}`));
      const li = document.createElement('li');
      li.append(b);
      return li;
    }) : [Object.assign(document.createElement('li'), { className: 'muted', textContent: t('inv.noPeople') })]));
  } catch (err) {
    say(`${t('error')}: ${errorText(err)}`);
  }
}

$<HTMLInputElement>('dir-q').oninput = () => void search();
$('dir-suspend').onclick = () => void act(() => apiSend('PATCH', `/api/users/${person!.id}/status`, { status: 'SUSPENDED', reason: reason() }), 'dir.suspended');
$('dir-reactivate').onclick = () => void act(() => apiSend('PATCH', `/api/users/${person!.id}/status`, { status: 'ACTIVE', reason: reason() }), 'dir.reactivated');
$('dir-reset-2fa').onclick = () => void act(() => apiSend('POST', `/api/people/${person!.id}/second-factor/reset`, { reason: reason() }), 'dir.reset2faDone');
$('dir-spot-open').onclick = () => void act(async () => {
  const chosen = [...document.querySelectorAll<HTMLInputElement>('#dir-spot-facilities input:checked')].map((i) => i.value);
  if (!chosen.length) throw new Error(t('dir.spotNeedFacility'));
  const why = reason();
  const hours = Number(new FormData($<HTMLFormElement>('dir-spot-form')).get('hours'));
  const endsAt = new Date(Date.now() + hours * 3_600_000).toISOString();
  // One spot check per facility, each ended on its own.
  for (const facilityId of chosen) await apiSend('POST', '/api/spot-checks', { inspectorId: person!.id, facilityId, endsAt, reason: why });
}, 'dir.spotOpened');
$('dir-grant').onclick = () => void act(() => {
  const scope = scopes[Number(field('scope').value)];
  const expires = field<HTMLInputElement>('expiresAt').value;
  return apiSend('POST', '/api/assignments', {
    userId: person!.id, role: field('role').value, scopeType: scope?.scopeType, scopeId: scope?.scopeId ?? null,
    effect: field('effect').value, expiresAt: expires ? new Date(`${expires}T23:59:59`).toISOString() : null, reason: reason(),
  });
}, 'dir.granted');

new PageShell({
  page: 'people', title: 'dir.title', content: $('people'), render,
  onSignedIn: (me: Me) => {
    const own = me.assignments.filter((a) => a.role === 'SCOPE_ADMIN' && a.effect === 'ALLOW' && a.state === 'active')
      .map((a) => ({ scopeType: a.scopeType, scopeId: a.scopeId, label: a.scopeName ?? t(`scope.${a.scopeType}` as MessageKey) }));
    void apiJson<Array<{ id: string; name: string; retiredAt: string | null }>>('/api/facilities').then((fs) => {
      facilities = fs.filter((f) => !f.retiredAt).map((f) => ({ id: f.id, name: f.name }));
      scopes = [...own, ...facilities.map((f) => ({ scopeType: 'FACILITY', scopeId: f.id, label: `${t('scope.FACILITY')}: ${f.name}` }))];
      render();
    }, (err: unknown) => say(`${t('error')}: ${errorText(err)}`));
    // A link may open a person: people.html?id=<uuid>.
    const id = new URLSearchParams(location.search).get('id');
    if (id) void open(id).catch((err: unknown) => say(`${t('error')}: ${errorText(err)}`));
  },
});
