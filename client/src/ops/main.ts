// The operations page: for the ops role, live charts of the SFU (worker load,
// producers/consumers, bitrate in/out), headline figures and the camera table; for provincial
// and national monitors (and ops), the 24/7 connection report with its CSV export. What the
// account may see decides which parts appear; the server filters every figure by scope.
import 'uplot/dist/uPlot.min.css';
import type { OpsOverview } from '../../../server/observability/ops-overview.js';
import type { UptimeReport } from '../../../server/observability/uptime-report.js';
import { ApiError, apiGet } from '../api.js';
import { currentLang, errorText, formatDateTime, locale, t, type MessageKey } from '../i18n.js';
import { PageShell } from '../page-shell.js';
import { TimeChart, type SeriesSpec } from './TimeChart.js';

const POLL_MS = 2000;
const COLORS = ['#4a90e2', '#2ecc71', '#f1c40f', '#e67e22', '#9b59b6', '#1abc9c'];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const banner = $('banner');

const charts = {
  load: new TimeChart($('chart-load')),
  media: new TimeChart($('chart-media')),
  bitrate: new TimeChart($('chart-bitrate')),
};
let last: OpsOverview | undefined;
let report: UptimeReport | undefined;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
/** Parts the account turned out not to have (404): when neither is there, say so. */
const refused = new Set<'dashboard' | 'report'>();

function refuse(part: 'dashboard' | 'report'): void {
  refused.add(part);
  $(part).hidden = true;
  if (refused.size === 2) {
    banner.textContent = t('ops.noDuty');
    banner.hidden = false;
  }
}

// ---- formatting --------------------------------------------------------------------------

const num = (n: number, digits = 0) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
const pct = (r: number | null) => (r === null ? '–' : `${num(r * 100, 1)} %`);
const mbps = (bps: number) => `${num(bps / 1e6, 2)} Mbit/s`;
const when = (iso: string) => formatDateTime(iso);

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function head(table: HTMLTableElement, keys: MessageKey[]): void {
  const tr = document.createElement('tr');
  for (const k of keys) tr.append(Object.assign(document.createElement('th'), { textContent: t(k) }));
  table.tHead!.replaceChildren(tr);
}

// ---- dashboard ---------------------------------------------------------------------------

function renderCards(o: OpsOverview): void {
  const cards: Array<[MessageKey, string]> = [
    ['ops.cameras', `${o.totals.live} / ${o.totals.cameras}`],
    ['ops.producers', num(o.totals.producers)],
    ['ops.consumers', num(o.totals.consumers)],
    ['ops.bitrateIn', mbps(o.totals.bitrateIn)],
    ['ops.bitrateOut', mbps(o.totals.bitrateOut)],
    ['ops.sockets', num(o.server.sockets)],
    ['ops.serverCpu', `${num(o.server.cpuLoad * 100, 1)} %`],
  ];
  $('cards').replaceChildren(...cards.map(([k, v]) => {
    const div = document.createElement('div');
    div.className = 'card';
    div.dataset.card = k;
    div.innerHTML = '<span class="card-label"></span><strong class="card-value"></strong>';
    div.querySelector('.card-label')!.textContent = t(k);
    div.querySelector('.card-value')!.textContent = v;
    return div;
  }));
}

function renderCameraTable(o: OpsOverview): void {
  const table = $<HTMLTableElement>('camera-table');
  const owners = cluster?.owners;
  head(table, ['ops.camera', 'ops.facility', 'ops.state', 'fps', 'ops.bitrateIn', 'ops.uptime24h', 'ops.lastError', 'ops.viewers', ...(owners ? ['ops.ingestedBy' as const] : [])]);
  table.tBodies[0]!.replaceChildren(...o.cameras.map((c) => {
    const tr = document.createElement('tr');
    tr.dataset.cameraId = c.id;
    const state = cell(t(`state.${c.health.state}` as MessageKey), `badge state-${c.health.state}`);
    const viewers = cell(num(c.viewers));
    if (c.viewerNames?.length) viewers.title = c.viewerNames.join(', ');
    if (c.viewerNames?.length) viewers.textContent = `${num(c.viewers)} (${c.viewerNames.join(', ')})`;
    tr.append(
      cell(c.name), cell(c.facility ?? '–'), state, cell(num(c.health.fps, 1)), cell(`${num(c.health.bitrateKbps)} kbit/s`),
      cell(pct(c.uptime24h)), cell(c.lastError ? `${when(c.lastError.at)} – ${c.lastError.reason}` : '–'), viewers,
    );
    if (owners) tr.append(cell(owners[c.id] ?? '–'));
    return tr;
  }));
}

function pushCharts(o: OpsOverview): void {
  const at = Date.parse(o.at);
  const workers: SeriesSpec[] = o.workers.map((w, i) => ({ label: `${t('ops.worker')} ${w.index}`, color: COLORS[i % COLORS.length]! }));
  charts.load.push(at, [...workers, { label: t('ops.server'), color: '#e74c3c' }], [...o.workers.map((w) => w.cpuLoad * 100), o.server.cpuLoad * 100]);
  charts.media.push(at, [{ label: t('ops.producers'), color: COLORS[0]! }, { label: t('ops.consumers'), color: COLORS[1]! }], [o.totals.producers, o.totals.consumers]);
  charts.bitrate.push(at, [{ label: t('ops.in'), color: COLORS[2]! }, { label: t('ops.out'), color: COLORS[3]! }], [o.totals.bitrateIn / 1e6, o.totals.bitrateOut / 1e6]);
}

// ---- the cluster (national ops only; absent for a node alone) ------------------------------

interface ClusterState {
  clustered: true;
  nodes: Array<{ id: string; role: 'media' | 'edge' | 'both'; region?: string; address: string; capacity: number; load: number; draining: boolean; self: boolean }>;
  owners: Record<string, string>;
  pipes: { exported: unknown[]; imported: unknown[] };
  moves: number;
}
let cluster: ClusterState | undefined;

async function loadCluster(): Promise<void> {
  try {
    const body = (await (await apiGet('/api/ops/cluster')).json()) as ClusterState | { clustered: false };
    cluster = body.clustered ? body : undefined;
  } catch {
    cluster = undefined; // not national ops (404), or not now: the section stays hidden
  }
}

function renderCluster(): void {
  $('cluster').hidden = !cluster;
  if (!cluster) return;
  $('cluster-title').textContent = t('ops.cluster');
  const table = $<HTMLTableElement>('node-table');
  head(table, ['ops.node', 'ops.role', 'ops.region', 'ops.address', 'ops.load', 'ops.nodeState']);
  table.tBodies[0]!.replaceChildren(...cluster.nodes.map((n) => {
    const tr = document.createElement('tr');
    tr.dataset.nodeId = n.id;
    tr.append(
      cell(n.self ? `${n.id} ${t('ops.thisNode')}` : n.id), cell(t(`ops.role.${n.role}`)), cell(n.region ?? '–'), cell(n.address),
      cell(`${num(n.load)} / ${num(n.capacity)}`), cell(t(n.draining ? 'ops.draining' : 'ops.serving'), `badge ${n.draining ? 'state-stalled' : 'state-live'}`),
    );
    return tr;
  }));
  $('cluster-pipes').textContent = t('ops.pipes', { out: num(cluster.pipes.exported.length), in: num(cluster.pipes.imported.length), moves: num(cluster.moves) });
}

function renderDashboard(): void {
  if (!last) return;
  renderCards(last);
  renderCameraTable(last);
  renderCluster();
  $('updated').textContent = `${t('ops.updated')}: ${when(last.at)}`;
}

async function poll(): Promise<void> {
  try {
    [last] = await Promise.all([(await apiGet('/api/ops/overview')).json() as Promise<OpsOverview>, loadCluster()]);
    $('dashboard').hidden = false;
    banner.hidden = true;
    pushCharts(last);
    renderDashboard();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return refuse('dashboard'); // the report may still be there
    if (err instanceof ApiError && err.status === 401) return shell.showLogin();
    banner.textContent = `${t('disconnected')} (${errorText(err)})`;
    banner.hidden = false;
  }
  pollTimer = setTimeout(() => void poll(), POLL_MS);
}

// ---- connection report -------------------------------------------------------------------

const reportForm = $<HTMLFormElement>('report-form');

function reportQuery(format: 'json' | 'csv'): string {
  const data = new FormData(reportForm);
  const from = new Date(`${String(data.get('from'))}T00:00:00`);
  const to = new Date(`${String(data.get('to'))}T00:00:00`);
  to.setDate(to.getDate() + 1); // the whole last day
  const q = new URLSearchParams({ from: from.toISOString(), to: (to > new Date() ? new Date() : to).toISOString(), threshold: String(data.get('threshold')), format });
  return `/api/reports/uptime?${q}`;
}

function renderReport(): void {
  const table = $<HTMLTableElement>('report-table');
  if (!report) return;
  head(table, ['report.place', 'ops.facility', 'report.cameras', 'report.connected', 'report.uptime']);
  // Each unit (as many levels as the unit list has), then its child units, then its facilities.
  type Unit = UptimeReport['units'][number];
  type Row = readonly [string, string, number, number, number | null, string];
  const children = new Map<string | null, Unit[]>();
  for (const u of report.units) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u]);
  const ids = new Set(report.units.map((u) => u.id));
  const facilitiesIn = (unitId: string) => report!.facilities.filter((f) => f.units[f.units.length - 1] === unitId);
  const walk = (u: Unit, depth: number): Row[] => [
    [`${'\u2003'.repeat(depth - 1)}${u.name}`, '', u.cameras, u.connectedCameras, u.uptime, `unit-${depth}`],
    ...(children.get(u.id) ?? []).flatMap((c) => walk(c, depth + 1)),
    ...facilitiesIn(u.id).map((f): Row => [u.name, f.name, f.cameras, f.connectedCameras, f.uptime, 'facility']),
  ];
  // Top: units whose parent is not in the report (the top level, or the edge of the caller's scope).
  const rows = report.units.filter((u) => !u.parentId || !ids.has(u.parentId)).flatMap((u) => walk(u, 1));
  table.tBodies[0]!.replaceChildren(...rows.map(([place, f, cams, connected, uptime, level]) => {
    const tr = document.createElement('tr');
    tr.className = `level-${level}`;
    tr.append(cell(place), cell(f), cell(num(cams)), cell(num(connected)), cell(pct(uptime), uptime !== null && uptime < report!.threshold ? 'below' : undefined));
    return tr;
  }));
  $('shortfalls-title').textContent = t('report.shortfalls');
  $('shortfalls').replaceChildren(...(report.shortfalls.length ? report.shortfalls : [undefined]).map((s) => {
    const li = document.createElement('li');
    if (!s) li.textContent = t('report.none');
    else {
      li.dataset.facilityId = s.facilityId;
      li.textContent = `${s.facility} (${s.place}): ${t(`problem.${s.problem}` as MessageKey)}${s.uptime !== null ? ` – ${pct(s.uptime)}` : ''}`;
    }
    return li;
  }));
}

async function loadReport(): Promise<void> {
  const error = $('report-error');
  error.textContent = '';
  try {
    report = (await (await apiGet(reportQuery('json'))).json()) as UptimeReport;
    $('report').hidden = false;
    renderReport();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return refuse('report');
    error.textContent = `${t('error')}: ${errorText(err)}`;
  }
}

/** The CSV through an authenticated fetch (a plain link could not carry the token). */
async function downloadCsv(): Promise<void> {
  const res = await apiGet(reportQuery('csv'));
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'uptime.csv';
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

reportForm.onsubmit = (ev) => {
  ev.preventDefault();
  void loadReport();
};
$('report-csv').onclick = () => void downloadCsv().catch((err: unknown) => ($('report-error').textContent = `${t('error')}: ${errorText(err)}`));

// ---- page ----------------------------------------------------------------------------------

/** The page's own labels (the shell does the header and the form). */
function render(): void {
  $('report-title').textContent = t('report.title');
  $('chart-load').querySelector('figcaption')!.textContent = t('ops.chartLoad');
  $('chart-media').querySelector('figcaption')!.textContent = t('ops.chartMedia');
  $('chart-bitrate').querySelector('figcaption')!.textContent = t('ops.chartBitrate');
  renderDashboard();
  renderReport();
}

function start(): void {
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86_400_000);
  const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  (reportForm.elements.namedItem('from') as HTMLInputElement).value = day(weekAgo);
  (reportForm.elements.namedItem('to') as HTMLInputElement).value = day(today);
  void poll();
  void loadReport();
}

const shell = new PageShell({ page: 'ops', title: 'ops.title', content: $('ops'), onSignedIn: start, onSignedOut: () => clearTimeout(pollTimer), render });
