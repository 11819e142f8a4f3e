// The incidents page: incidents the person may see, by facility, period and status; one
// incident with its captured frame (under the viewer's watermark, as any camera picture),
// its discussion, and resolving it; the period's export as CSV or PDF. The server decides
// what is visible and who may resolve; this page only asks.
import { ApiError, apiDownload, apiGet, apiJson, apiSend } from '../api.js';
import { currentSession } from '../auth.js';
import { currentLang, errorText, formatDateTime, t, type MessageKey } from '../i18n.js';
import { PageShell } from '../page-shell.js';
import { facilitiesOf, type PlacesTree } from '../places.js';
import { Watermark, watermarkText } from '../Watermark.js';

interface Incident {
  id: string;
  cameraName: string;
  facilityName: string | null;
  category: string;
  note: string;
  occurredAt: string;
  createdBy: { fullName: string };
  status: 'OPEN' | 'RESOLVED';
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
  hasSnapshot: boolean;
}
interface IncidentDetail extends Incident {
  commentList: Array<{ id: string; body: string; createdAt: string; author: { fullName: string } }>;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('incident-filter');
const detail = $('incident-detail');
let incidents: Incident[] | undefined;
let selected: string | undefined;
let snapshotUrl: string | undefined;
let facilities: Array<{ id: string; name: string }> = [];

/** A datetime-local value for `d` in the browser's time zone. */
const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
const category = (c: string) => t(`cat.${c}` as MessageKey);
const status = (s: string) => t(`status.${s}` as MessageKey);

/**
 * The period ends now until the person picks another end: each search and refresh moves it,
 * so incidents filed while the page is open are in it (and nothing in the future is asked).
 */
let toIsNow = true;
const toField = () => form.elements.namedItem('to') as HTMLInputElement;
toField().addEventListener('input', () => { toIsNow = false; });

function query(): string {
  const now = new Date();
  if (toIsNow) toField().value = local(now);
  const data = new FormData(form);
  const to = toIsNow ? now : new Date(String(data.get('to')));
  const q = new URLSearchParams({ from: new Date(String(data.get('from'))).toISOString(), to: to.toISOString() });
  if (data.get('facility')) q.set('facilityId', String(data.get('facility')));
  if (data.get('status')) q.set('status', String(data.get('status')));
  return q.toString();
}

function renderFilter(): void {
  const facility = form.elements.namedItem('facility') as HTMLSelectElement;
  const chosen = facility.value;
  facility.replaceChildren(
    Object.assign(document.createElement('option'), { value: '', textContent: t('incident.allFacilities') }),
    ...facilities.map((f) => Object.assign(document.createElement('option'), { value: f.id, textContent: f.name })),
  );
  facility.value = chosen;
  const statusSelect = form.elements.namedItem('status') as HTMLSelectElement;
  const s = statusSelect.value;
  statusSelect.replaceChildren(...[['', t('incident.all')], ['OPEN', status('OPEN')], ['RESOLVED', status('RESOLVED')]].map(([value, text]) => Object.assign(document.createElement('option'), { value, textContent: text })));
  statusSelect.value = s;
}

function renderList(): void {
  const body = $('incident-list').querySelector('tbody')!;
  if (!incidents) return body.replaceChildren();
  if (!incidents.length) {
    const row = document.createElement('tr');
    row.innerHTML = '<td colspan="5"></td>';
    row.querySelector('td')!.textContent = t('incident.none');
    return body.replaceChildren(row);
  }
  body.replaceChildren(...incidents.map((i) => {
    const row = document.createElement('tr');
    row.dataset.incidentId = i.id;
    row.classList.toggle('selected', i.id === selected);
    row.classList.toggle('fresh', fresh.has(i.id));
    for (const [text, cls] of [[formatDateTime(i.occurredAt), ''], [i.facilityName ?? '', ''], [i.cameraName, ''], [category(i.category), ''], [status(i.status), `status-${i.status}`]]) {
      row.append(Object.assign(document.createElement('td'), { textContent: text, className: cls ?? '' }));
    }
    row.onclick = () => void select(i.id);
    return row;
  }));
}

async function search(): Promise<void> {
  $('filter-error').textContent = '';
  try {
    incidents = await apiJson<Incident[]>(`/api/incidents?${query()}`);
  } catch (err) {
    $('filter-error').textContent = errorText(err);
    incidents = undefined;
  }
  renderList();
  if (selected && !incidents?.some((i) => i.id === selected)) selected = undefined;
  if (selected) await select(selected);
  else renderDetail(undefined);
}

/** How often the open list is read again (new incidents and status changes by others). */
const LIST_REFRESH_MS = 30_000;
/** Incidents first seen by a background refresh, marked until the person opens them. */
const fresh = new Set<string>();
let refreshTimer: number | undefined;

/** Reads the list again in the background; the detail (maybe a comment being typed) stays. */
async function refreshList(): Promise<void> {
  if (document.hidden || !incidents || !form.checkValidity()) return;
  const known = new Set(incidents.map((i) => i.id));
  try {
    incidents = await apiJson<Incident[]>(`/api/incidents?${query()}`);
  } catch {
    return; // the next refresh tries again; a signed-out session is the shell's to handle
  }
  for (const i of incidents) if (!known.has(i.id)) fresh.add(i.id);
  renderList();
}

async function select(id: string): Promise<void> {
  fresh.delete(id);
  selected = id;
  renderList();
  try {
    renderDetail(await apiJson<IncidentDetail>(`/api/incidents/${id}`));
  } catch (err) {
    detail.textContent = errorText(err);
  }
}

function renderDetail(i: IncidentDetail | undefined): void {
  if (snapshotUrl) URL.revokeObjectURL(snapshotUrl);
  snapshotUrl = undefined;
  if (!i) {
    detail.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: t('incident.pick') }));
    return;
  }
  detail.innerHTML = `<h2></h2><p class="meta muted"></p><p class="note"></p><div class="snapshot-frame" hidden><img alt=""></div>
    <p class="resolved"></p><h3 class="l-comments"></h3><ol class="comments"></ol>
    <form class="incident-form comment-form"><textarea name="body" rows="2" maxlength="2000" required></textarea><button type="submit" class="b-comment"></button></form>
    <form class="incident-form resolve-form"><label><span class="l-resolution"></span><textarea name="resolution" rows="2" maxlength="2000" required></textarea></label><button type="submit" class="b-resolve"></button></form>
    <p class="error" role="alert"></p>`;
  const q = <T extends HTMLElement = HTMLElement>(s: string) => detail.querySelector<T>(s)!;
  q('h2').textContent = `${category(i.category)} — ${status(i.status)}`;
  q('.meta').textContent = `${formatDateTime(i.occurredAt)} · ${i.cameraName} · ${i.facilityName ?? ''} · ${t('incident.filedBy')}: ${i.createdBy.fullName}`;
  q('.note').textContent = i.note;
  q('.resolved').textContent = i.status === 'RESOLVED' ? t('incident.resolvedBy', { name: i.resolvedBy ?? '', time: formatDateTime(i.resolvedAt!), resolution: i.resolution ?? '' }) : '';
  q('.l-comments').textContent = t('incident.comments');
  q('.comments').replaceChildren(...i.commentList.map((c) => {
    const li = document.createElement('li');
    li.innerHTML = '<div class="who"></div><div class="body"></div>';
    li.querySelector('.who')!.textContent = `${c.author.fullName} · ${formatDateTime(c.createdAt)}`;
    li.querySelector('.body')!.textContent = c.body;
    return li;
  }));
  q('.b-comment').textContent = t('incident.comment');
  q('.l-resolution').textContent = t('incident.resolution');
  q('.b-resolve').textContent = t('incident.resolve');
  q('.resolve-form').hidden = i.status !== 'OPEN';
  const act = (formSel: string, run: (data: FormData) => Promise<unknown>) => {
    const f = q<HTMLFormElement>(formSel);
    f.onsubmit = (e) => {
      e.preventDefault();
      run(new FormData(f)).then(() => search(), (err: unknown) => (q('.error').textContent = errorText(err)));
    };
  };
  act('.comment-form', (d) => apiSend('POST', `/api/incidents/${i.id}/comments`, { body: String(d.get('body')) }));
  act('.resolve-form', (d) => apiSend('POST', `/api/incidents/${i.id}/resolve`, { resolution: String(d.get('resolution')) }));
  if (i.hasSnapshot) void showSnapshot(i.id);
}

/** The frame, fetched with the session's token; shown under the viewer's watermark. */
async function showSnapshot(id: string): Promise<void> {
  const blob = await (await apiGet(`/api/incidents/${id}/snapshot`)).blob();
  if (selected !== id) return;
  snapshotUrl = URL.createObjectURL(blob);
  const frame = detail.querySelector<HTMLElement>('.snapshot-frame')!;
  frame.querySelector('img')!.src = snapshotUrl;
  frame.append(new Watermark(watermarkText(currentSession())).el);
  frame.hidden = false;
}

/** Downloads the period's export (fetched with the token, saved under the server's file name). */
async function download(format: 'csv' | 'pdf'): Promise<void> {
  $('filter-error').textContent = '';
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    await apiDownload(`/api/incidents/export?${query()}&format=${format}&lang=${currentLang()}&tz=${encodeURIComponent(tz)}`, `incidents.${format}`);
  } catch (err) {
    $('filter-error').textContent = errorText(err);
  }
}

const shell = new PageShell({
  page: 'incidents',
  title: 'incident.title',
  content: $('incidents'),
  async onSignedIn() {
    const now = new Date();
    (form.elements.namedItem('from') as HTMLInputElement).value ||= local(new Date(now.getTime() - 7 * 86_400_000));
    if (toIsNow) toField().value = local(now);
    try {
      const places = await apiJson<PlacesTree>('/api/places');
      facilities = facilitiesOf(places.units).map((f) => ({ id: f.id, name: f.name }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return shell.showLogin(t('session.expired'));
    }
    renderFilter();
    await search();
    if (refreshTimer === undefined) {
      refreshTimer = window.setInterval(() => void refreshList(), LIST_REFRESH_MS);
      // Coming back to the tab shows what happened meanwhile at once.
      document.addEventListener('visibilitychange', () => void refreshList());
    }
  },
  render() {
    renderFilter();
    renderList();
    if (selected) void select(selected);
    else renderDetail(undefined);
  },
});
form.onsubmit = (e) => {
  e.preventDefault();
  void search();
};
$('export-csv').onclick = () => void download('csv');
$('export-pdf').onclick = () => void download('pdf');
