// The leak investigation page (scope administrators): who watched a camera at a moment or
// during a period, live or through its recordings and snapshots of that time, with their
// organization, position, phone and email; or everything one person watched. Both as XLSX
// or PDF. The audit chain's state is shown first: the answer is only as good as the log.
import { chainText, type ChainCheck } from '../audit-chain.js';
import { apiDownload, apiJson } from '../api.js';
import { currentLang, errorText, t, type MessageKey } from '../i18n.js';
import { PageShell } from '../page-shell.js';
import type { InvestigationAnswer, WatchRecord } from '../../../server/access/ViewInvestigation.js';
import type { DirectoryEntry } from '../../../server/access/PeopleAdmin.js';

/** The answer as JSON carries dates as strings. */
type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] extends object ? Json<T[K]> : T[K] };
type Answer = Omit<Json<InvestigationAnswer>, 'rows'> & { rows: Array<Json<WatchRecord>> };

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('inv-form');
const field = <T extends HTMLInputElement | HTMLSelectElement>(name: string) => form.elements.namedItem(name) as T;
const cell = (text: string) => Object.assign(document.createElement('td'), { textContent: text });

let answer: Answer | undefined;
let person: { id: string; fullName: string } | undefined;
let chain: ChainCheck | undefined;

const local = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};
const shown = (iso: string | null) => (iso ? new Date(iso).toLocaleString(currentLang() === 'vi' ? 'vi-VN' : 'en-GB') : t('inv.stillWatching'));

function period(): { from: Date; to: Date } {
  if (field('when').value === 'moment') {
    const at = new Date(field('at').value);
    return { from: at, to: at };
  }
  return { from: new Date(field('from').value), to: new Date(field('to').value) };
}

/** Shows the inputs of the chosen question (camera or person, moment or period). */
function showInputs(): void {
  const byCamera = field('by').value === 'camera';
  const moment = field('when').value === 'moment';
  for (const el of form.querySelectorAll<HTMLElement>('.by-camera')) el.hidden = !byCamera;
  for (const el of form.querySelectorAll<HTMLElement>('.by-person')) el.hidden = byCamera;
  for (const el of form.querySelectorAll<HTMLElement>('.when-moment')) el.hidden = !moment;
  for (const el of form.querySelectorAll<HTMLElement>('.when-period')) el.hidden = moment;
  if (byCamera) $('inv-people').hidden = true;
}

function render(): void {
  const labels: Array<[string, string, MessageKey]> = [['by', 'camera', 'inv.byCamera'], ['by', 'person', 'inv.byPerson'], ['when', 'moment', 'inv.moment'], ['when', 'period', 'inv.period']];
  for (const [name, value, key] of labels) form.querySelector<HTMLOptionElement>(`select[name="${name}"] option[value="${value}"]`)!.textContent = t(key);
  field<HTMLInputElement>('personQuery').placeholder = t('inv.personHint');
  if (chain) {
    $('chain-state').textContent = chainText(chain);
    $('chain-state').className = chain.ok ? 'ok' : 'error';
  }
  const table = $<HTMLTableElement>('inv-results');
  const columns: MessageKey[] = ['inv.kind', 'inv.fullName', 'inv.organization', 'inv.position', 'inv.phone', 'inv.email', 'inv.camera', 'inv.start', 'inv.end', 'inv.address'];
  const tr = document.createElement('tr');
  for (const k of columns) tr.append(Object.assign(document.createElement('th'), { textContent: t(k) }));
  table.tHead!.replaceChildren(tr);
  if (!answer) {
    table.tBodies[0]!.replaceChildren();
    $('inv-summary').textContent = '';
    return;
  }
  const people = new Set(answer.rows.map((r) => r.person.id)).size;
  const subject = answer.camera ? answer.camera.name : answer.person ? `${answer.person.fullName} (${answer.person.organization})` : '';
  $('inv-summary').textContent = `${subject}: ${t('inv.summary', { views: answer.rows.length, people })}${answer.truncated ? ` ${t('inv.truncated')}` : ''}`;
  table.tBodies[0]!.replaceChildren(...(answer.rows.length ? answer.rows.map((r) => {
    const row = document.createElement('tr');
    row.dataset.userId = r.person.id;
    row.dataset.kind = r.kind;
    const name = cell('');
    // From a camera's watchers to everything one of them watched, over the same period.
    const link = Object.assign(document.createElement('a'), { href: '#', textContent: r.person.fullName, className: 'person' });
    link.onclick = (e) => {
      e.preventDefault();
      person = r.person;
      field('by').value = 'person';
      field<HTMLInputElement>('personQuery').value = r.person.fullName;
      showInputs();
      void ask();
    };
    const who = document.createElement('span');
    who.append(link, Object.assign(document.createElement('div'), { className: 'muted', textContent: r.person.username }));
    name.append(who);
    const kind = t(`inv.kind.${r.kind}` as MessageKey) + (r.kind === 'recording' && r.recordedFrom ? ` (${t('inv.recorded')} ${shown(r.recordedFrom)})` : r.kind === 'live' && r.detail === 'sub' ? ` (${t('inv.sub')})` : '');
    row.append(cell(kind), name, cell(r.person.organization), cell(r.person.position), cell(r.person.phone), cell(r.person.email),
      cell(r.camera.facility ? `${r.camera.name} (${r.camera.facility})` : r.camera.name), cell(shown(r.startedAt)), cell(r.kind === 'live' ? shown(r.endedAt) : '–'), cell(r.address));
    // Each cell names its column, for the card layout of narrow screens.
    [...row.cells].forEach((td, i) => (td.dataset.label = t(columns[i]!)));
    return row;
  }) : [Object.assign(document.createElement('tr'), { className: 'none' })]));
  const none = table.tBodies[0]!.querySelector('tr.none');
  if (none) none.append(Object.assign(cell(t('inv.none')), { colSpan: columns.length }));
}

/** The question as a path, or a message saying what is missing. */
function question(): { path: string; from: Date; to: Date } | string {
  const p = period();
  if (Number.isNaN(p.from.getTime()) || Number.isNaN(p.to.getTime())) return t('inv.needTime');
  if (p.to < p.from) return t('inv.toBeforeFrom');
  if (field('by').value === 'camera') {
    const id = field('camera').value;
    return id ? { path: `/api/investigation/cameras/${id}`, ...p } : t('inv.needCamera');
  }
  return person ? { path: `/api/investigation/people/${person.id}`, ...p } : t('inv.needPerson');
}

/** The question, after clearing the last error; or undefined, saying what is missing. */
function questionOrSay(): Exclude<ReturnType<typeof question>, string> | undefined {
  const q = question();
  $('inv-error').textContent = typeof q === 'string' ? q : '';
  return typeof q === 'string' ? undefined : q;
}

async function ask(): Promise<void> {
  const q = questionOrSay();
  if (!q) return;
  try {
    answer = await apiJson<Answer>(`${q.path}?${new URLSearchParams({ from: q.from.toISOString(), to: q.to.toISOString() })}`);
    $<HTMLButtonElement>('inv-xlsx').disabled = false;
    $<HTMLButtonElement>('inv-pdf').disabled = false;
    render();
  } catch (err) {
    $('inv-error').textContent = `${t('error')}: ${errorText(err)}`;
  }
}

/** The answer as a file in the page's language (the server records the export). */
async function download(format: 'xlsx' | 'pdf'): Promise<void> {
  const q = questionOrSay();
  if (!q) return;
  try {
    await apiDownload(`${q.path}?${new URLSearchParams({ from: q.from.toISOString(), to: q.to.toISOString(), format, lang: currentLang() })}`, `truy-vet.${format}`);
  } catch (err) {
    $('inv-error').textContent = `${t('error')}: ${errorText(err)}`;
  }
}

/** People in the caller's scope matching what is typed (with or without diacritics). */
let searchSeq = 0;
async function searchPeople(): Promise<void> {
  const q = field<HTMLInputElement>('personQuery').value.trim();
  const list = $('inv-people');
  const seq = ++searchSeq;
  if (q.length < 2) {
    list.hidden = true;
    return;
  }
  try {
    const found = await apiJson<DirectoryEntry[]>(`/api/people?${new URLSearchParams({ q })}`);
    if (seq !== searchSeq) return; // a later keystroke has asked again
    list.replaceChildren(...(found.length ? found.map((p) => {
      const li = document.createElement('li');
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: `${p.fullName} · ${p.position} · ${p.organization.name} · ${p.phone}` });
      b.dataset.userId = p.id;
      b.onclick = () => {
        person = p;
        field<HTMLInputElement>('personQuery').value = p.fullName;
        list.hidden = true;
        void ask();
      };
      li.append(b);
      return li;
    }) : [Object.assign(document.createElement('li'), { className: 'muted', textContent: t('inv.noPeople') })]));
    list.hidden = false;
  } catch (err) {
    $('inv-error').textContent = `${t('error')}: ${errorText(err)}`;
  }
}

form.onsubmit = (e) => {
  e.preventDefault();
  void ask();
};
field('by').onchange = showInputs;
field('when').onchange = showInputs;
field<HTMLInputElement>('personQuery').oninput = () => {
  person = undefined;
  void searchPeople();
};
$('inv-xlsx').onclick = () => void download('xlsx');
$('inv-pdf').onclick = () => void download('pdf');

new PageShell({
  page: 'investigation', title: 'inv.title', content: $('investigation'), render,
  onSignedIn: () => {
    // A link may name the camera and the moment: investigation.html?camera=<id>&at=<ISO time>.
    const params = new URLSearchParams(location.search);
    const at = params.get('at') ? new Date(params.get('at')!) : new Date();
    field<HTMLInputElement>('at').value ||= local(Number.isNaN(at.getTime()) ? new Date() : at);
    field<HTMLInputElement>('to').value ||= local(new Date());
    field<HTMLInputElement>('from').value ||= local(new Date(Date.now() - 86_400_000));
    showInputs();
    void apiJson<NonNullable<typeof chain>>('/api/audit/verify').then((c) => {
      chain = c;
      render();
    }, (err: unknown) => ($('chain-state').textContent = `${t('error')}: ${errorText(err)}`));
    void apiJson<Array<{ id: string; name: string; location: string | null }>>('/api/cameras').then((cams) => {
      const select = field<HTMLSelectElement>('camera');
      select.replaceChildren(...cams.sort((a, b) => a.name.localeCompare(b.name, 'vi')).map((c) => Object.assign(document.createElement('option'), { value: c.id, textContent: c.location ? `${c.name} – ${c.location}` : c.name })));
      const wanted = params.get('camera');
      if (wanted && cams.some((c) => c.id === wanted)) {
        select.value = wanted;
        void ask();
      }
    }, (err: unknown) => ($('inv-error').textContent = `${t('error')}: ${errorText(err)}`));
  },
});
