// The places registry page: the administrative units of the deployment, browsed level by
// level (as many levels as the imported list has), with what hangs on each; and, for a
// national administrator, the import of the official list: checked first (a dry run that
// says what would change, or every problem with its line and column), then imported.
import { ApiError, apiGet, apiJson, apiSend } from '../api.js';
import { errorText, hasMessage, t, type MessageKey } from '../i18n.js';
import type { Me } from '../nav.js';
import { PageShell } from '../page-shell.js';
import { CamerasPanel } from './cameras.js';
import { $, cell, head } from './dom.js';
import { FacilitiesPanel } from './facilities.js';
import { InstallersPanel } from './installers.js';
import { PeoplePanel } from './people.js';
import type { ImportOutcome as Outcome } from '../../../server/places/units.repository.js';

/** POST /api/units/import's answer. */
type ImportOutcome = Outcome & { dryRun: boolean };

interface UnitRow {
  id: string;
  code: string;
  name: string;
  level: string;
  retiredAt: string | null;
  children: number;
  facilities: number;
  organizations: number;
}



/** Where the person is in the tree: the top level, then each unit opened. */
let trail: Array<{ id: string; name: string }> = [];
let units: UnitRow[] | undefined;
let outcome: ImportOutcome | undefined;
let problems: Array<{ line: number; column: string; code: string; params?: Record<string, string | number>; message: string }> = [];
let importError = '';
let checkedText: string | undefined;

function render(): void {
  const crumbs = $('crumbs');
  const top = Object.assign(document.createElement('a'), { href: '#', textContent: t('places.nation') });
  top.onclick = (e) => { e.preventDefault(); void open(-1); };
  crumbs.replaceChildren(top, ...trail.flatMap((c, i) => {
    const a = Object.assign(document.createElement('a'), { href: '#', textContent: c.name });
    a.onclick = (e) => { e.preventDefault(); void open(i); };
    return [document.createTextNode(' › '), a];
  }));
  const table = $<HTMLTableElement>('unit-list');
  head(table, ['places.code', 'places.name', 'places.level', 'places.subunits', 'places.facilities', 'places.state']);
  const list = units ?? [];
  $('units-summary').textContent = units ? t('places.count', { count: list.filter((u) => !u.retiredAt).length, retired: list.filter((u) => u.retiredAt).length }) : '';
  table.tBodies[0]!.replaceChildren(...list.map((u) => {
    const tr = document.createElement('tr');
    tr.dataset.unitId = u.id;
    if (u.retiredAt) tr.className = 'retired';
    // Every unit opens: to its sub-units, and to its facilities (a leaf unit has only those).
    const name = document.createElement('td');
    const a = Object.assign(document.createElement('a'), { href: '#', textContent: u.name });
    a.onclick = (e) => { e.preventDefault(); trail.push({ id: u.id, name: u.name }); void load(); };
    name.append(a);
    tr.append(cell(u.code), name, cell(u.level), cell(String(u.children)), cell(String(u.facilities)), cell(u.retiredAt ? t('places.retired') : t('places.current')));
    return tr;
  }));

  const result = $('import-result');
  result.className = importError ? 'error' : '';
  result.textContent = importError || (outcome ? t(outcome.dryRun ? 'places.wouldImport' : 'places.imported', {
    total: outcome.total, created: outcome.created, updated: outcome.updated, unchanged: outcome.unchanged,
    restored: outcome.restored, retired: outcome.retired, deleted: outcome.deleted,
  }) : '');
  // Each problem in the page's language (the server's English is the fallback).
  $('import-problems').replaceChildren(...problems.map((p) => Object.assign(document.createElement('li'), {
    textContent: t('places.problem', { line: p.line, column: p.column, message: hasMessage(`listProblem.${p.code}`) ? t(`listProblem.${p.code}` as MessageKey, p.params ?? {}) : p.message }),
  })));
  $<HTMLButtonElement>('import-run').disabled = !(outcome?.dryRun && checkedText !== undefined);
  facilities.render();
  cameras.render();
  installers.render();
  people.render();
}

async function load(): Promise<void> {
  const parent = trail.at(-1);
  units = await apiJson<UnitRow[]>(`/api/units${parent ? `?parentId=${parent.id}` : ''}`);
  render();
  await facilities.show(parent);
}

async function open(index: number): Promise<void> {
  trail = trail.slice(0, index + 1);
  cameras.close();
  installers.close();
  people.close();
  await load();
}

/** Sends the chosen file: a dry run first (`dryRun`), the import once the check passed. */
async function send(dryRun: boolean): Promise<void> {
  const file = $<HTMLInputElement>('import-file').files?.[0];
  if (!file) return;
  const text = dryRun ? await file.text() : checkedText!;
  outcome = undefined;
  problems = [];
  importError = '';
  try {
    outcome = await apiSend<ImportOutcome>('POST', `/api/units/import${dryRun ? '?dryRun=1' : ''}`, new Blob([text], { type: 'text/csv' }));
    checkedText = dryRun ? text : undefined;
    if (!dryRun) await load();
  } catch (err) {
    checkedText = undefined;
    const details = err instanceof ApiError ? err.details as { problems?: typeof problems } | undefined : undefined;
    problems = details?.problems ?? [];
    importError = problems.length ? t('places.refused', { count: problems.length }) : `${t('error')}: ${errorText(err)}`;
  }
  render();
}

async function downloadList(): Promise<void> {
  const res = await apiGet('/api/units/export');
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: 'units.csv' });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

$<HTMLFormElement>('import-form').onsubmit = (e) => {
  e.preventDefault();
  void send(true);
};
$('import-run').onclick = () => void send(false);
$('import-file').onchange = () => {
  checkedText = undefined;
  outcome = undefined;
  problems = [];
  importError = '';
  render();
};
$('export-units').onclick = () => void downloadList().catch((err: unknown) => shell.showError(err));

const showError = (err: unknown) => shell.showError(err);
const refreshFacilities = () => void facilities.refresh().catch(showError);
const cameras = new CamerasPanel(showError, refreshFacilities);
const installers = new InstallersPanel(showError);
const people = new PeoplePanel(showError, () => facilities.context, refreshFacilities);
const facilities = new FacilitiesPanel(showError, {
  cameras: (f) => void cameras.open(f).catch(showError),
  installers: (f) => void installers.open(f).catch(showError),
  people: (id) => void people.open(id).catch(showError),
});

const shell = new PageShell({
  page: 'places', title: 'places.title', content: $('places'), render,
  onSignedIn: (m: Me) => {
    facilities.admin = m.assignments.some((a) => a.state === 'active' && a.effect === 'ALLOW' && a.role === 'SCOPE_ADMIN');
    // Importing the list is the nation's: only a national administrator sees the form.
    $('import').hidden = !m.assignments.some((a) => a.state === 'active' && a.effect === 'ALLOW' && a.role === 'SCOPE_ADMIN' && a.scopeType === 'NATION');
    void load().catch((err: unknown) => shell.showError(err));
  },
});
