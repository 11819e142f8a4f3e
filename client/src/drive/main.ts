// The connection-drive page (health departments, the information department, national
// monitors, installers): per administrative unit and facility in the person's scope, cameras
// expected, registered and live now, uptime over the period, survey status, days left or
// overdue, installers; the facilities not yet connected, most overdue first; and connected
// facilities per day.
import { apiDownload, apiJson } from '../api.js';
import { currentLang, errorText, t, type MessageKey } from '../i18n.js';
import { PageShell } from '../page-shell.js';
import type { ConnectionDrive, DriveFacility } from '../../../server/observability/connection-drive.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const cell = (text: string, className?: string) => Object.assign(document.createElement('td'), { textContent: text, ...(className ? { className } : {}) });
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);
let drive: ConnectionDrive | undefined;

function head(table: HTMLTableElement, keys: MessageKey[]): void {
  const tr = document.createElement('tr');
  for (const k of keys) tr.append(Object.assign(document.createElement('th'), { textContent: t(k) }));
  table.tHead!.replaceChildren(tr);
}

function deadline(f: DriveFacility): string {
  if (f.daysLeft === null) return '–';
  return `${f.connectBy} (${f.daysLeft >= 0 ? t('facilities.daysLeft', { count: f.daysLeft }) : t('facilities.daysOverdue', { count: -f.daysLeft })})`;
}
const installers = (f: DriveFacility) => f.installers.map((i) => `${i.fullName} (${i.phone})`).join(', ') || '–';

function facilityRow(f: DriveFacility, withPlace: boolean): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.facilityId = f.id;
  tr.append(
    cell(f.name), ...(withPlace ? [cell(f.place)] : []),
    cell(String(f.camerasExpected)), cell(String(f.camerasRegistered)), cell(String(f.camerasLive)), cell(pct(f.uptime)),
    cell(t(`survey.${f.surveyStatus}` as MessageKey) + (f.surveyNote ? ` – ${f.surveyNote}` : '')),
    cell(deadline(f), f.daysLeft !== null && f.daysLeft < 0 && !f.connected ? 'below' : undefined), cell(installers(f)),
  );
  return tr;
}

function render(): void {
  if (!drive) return;
  const units = $<HTMLTableElement>('drive-units');
  head(units, ['report.place', 'drive.connectedFacilities', 'drive.expected', 'drive.registered', 'drive.live', 'report.uptime']);
  // Each unit (every level), then its child units, indented by depth.
  const children = new Map<string | null, ConnectionDrive['units']>();
  for (const u of drive.units) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u]);
  const ids = new Set(drive.units.map((u) => u.id));
  const rows: HTMLTableRowElement[] = [];
  const walk = (u: ConnectionDrive['units'][number], depth: number) => {
    const tr = document.createElement('tr');
    tr.className = `level-unit-${depth}`;
    tr.dataset.unitId = u.id;
    tr.append(cell(`${'\u2003'.repeat(depth - 1)}${u.name}`), cell(`${u.connectedFacilities}/${u.facilities}`), cell(String(u.camerasExpected)), cell(String(u.camerasRegistered)), cell(String(u.camerasLive)), cell(pct(u.uptime)));
    rows.push(tr);
    for (const c of children.get(u.id) ?? []) walk(c, depth + 1);
  };
  for (const u of drive.units.filter((x) => !x.parentId || !ids.has(x.parentId))) walk(u, 1);
  units.tBodies[0]!.replaceChildren(...rows);

  const late = $<HTMLTableElement>('drive-late');
  const columns: MessageKey[] = ['facilities.name', 'facilities.place', 'drive.expected', 'drive.registered', 'drive.live', 'report.uptime', 'facilities.survey', 'facilities.connectBy', 'drive.installer'];
  head(late, columns);
  late.tBodies[0]!.replaceChildren(...(drive.notConnected.length ? drive.notConnected.map((f) => facilityRow(f, true))
    : [Object.assign(document.createElement('tr'), { innerHTML: `<td colspan="${columns.length}"></td>` })]));
  if (!drive.notConnected.length) late.tBodies[0]!.querySelector('td')!.textContent = t('drive.allConnected');

  const all = $<HTMLTableElement>('drive-facilities');
  head(all, columns);
  all.tBodies[0]!.replaceChildren(...drive.facilities.map((f) => facilityRow(f, true)));

  // Connected facilities per day, as bars.
  const svg = $('drive-chart');
  const max = Math.max(1, ...drive.perDay.map((d) => d.connected));
  const w = 800 / Math.max(1, drive.perDay.length);
  svg.replaceChildren(...drive.perDay.map((d, i) => {
    const h = (d.connected / max) * 190;
    const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    rect.setAttribute('x', String(i * w + w * 0.1));
    rect.setAttribute('width', String(w * 0.8));
    rect.setAttribute('y', String(200 - h));
    rect.setAttribute('height', String(h));
    rect.dataset.day = d.day;
    rect.dataset.connected = String(d.connected);
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = `${d.day}: ${d.connected}`;
    rect.append(title);
    return rect;
  }));
  const last = drive.perDay.at(-1);
  $('drive-chart-caption').textContent = last ? t('drive.chartCaption', { from: drive.perDay[0]!.day, to: last.day, count: last.connected, max }) : '';
}

function period(): { from: Date; to: Date } {
  const data = new FormData($<HTMLFormElement>('drive-form'));
  const from = new Date(`${String(data.get('from'))}T00:00:00`);
  const to = new Date(`${String(data.get('to'))}T00:00:00`);
  to.setDate(to.getDate() + 1);
  return { from, to: to > new Date() ? new Date() : to };
}

/** The same figures as a file (XLSX or PDF) in the page's language. */
async function download(format: 'xlsx' | 'pdf'): Promise<void> {
  $('drive-error').textContent = '';
  try {
    const p = period();
    await apiDownload(`/api/reports/connection?${new URLSearchParams({ from: p.from.toISOString(), to: p.to.toISOString(), format, lang: currentLang() })}`, `ket-noi.${format}`);
  } catch (err) {
    $('drive-error').textContent = `${t('error')}: ${errorText(err)}`;
  }
}
$('drive-xlsx').onclick = () => void download('xlsx');
$('drive-pdf').onclick = () => void download('pdf');

async function load(): Promise<void> {
  $('drive-error').textContent = '';
  try {
    const p = period();
    drive = await apiJson<ConnectionDrive>(`/api/reports/connection?${new URLSearchParams({ from: p.from.toISOString(), to: p.to.toISOString() })}`);
    render();
  } catch (err) {
    $('drive-error').textContent = `${t('error')}: ${errorText(err)}`;
  }
}

const local = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
$<HTMLFormElement>('drive-form').onsubmit = (e) => {
  e.preventDefault();
  void load();
};

new PageShell({
  page: 'drive', title: 'drive.title', content: $('drive'), render,
  onSignedIn: () => {
    const form = $<HTMLFormElement>('drive-form');
    const now = new Date();
    (form.elements.namedItem('to') as HTMLInputElement).value ||= local(now);
    (form.elements.namedItem('from') as HTMLInputElement).value ||= local(new Date(now.getTime() - 13 * 86_400_000));
    void load();
  },
});
