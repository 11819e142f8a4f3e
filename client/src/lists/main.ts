// Account lists. A focal point downloads the template, sends a filled list (XLSX or CSV) or
// one person through the form, sees every problem of a refused list by line and column, and
// follows each line of what they sent: its decision, and how the person gets their activation
// link (the email, or a sheet to print and hand over). A scope administrator sees the lines
// waiting for their decision, grouped by list, and approves or rejects each with a reason.
import { ApiError, apiDownload, apiJson, apiSend } from '../api.js';
import { currentLang, errorText, hasMessage, t, type MessageKey } from '../i18n.js';
import type { Me } from '../nav.js';
import { PageShell } from '../page-shell.js';
import type { AccountRequests } from '../../../server/access/AccountRequests.js';

type Json<T> = T extends Date ? string : T extends Array<infer U> ? Array<Json<U>> : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
type MyList = Json<Awaited<ReturnType<AccountRequests['myLists']>>>[number];
type Pending = Json<Awaited<ReturnType<AccountRequests['decidableRequests']>>>[number];
type Choices = Awaited<ReturnType<AccountRequests['choices']>>;
interface Problem { line: number; column: string; code: string; params?: Record<string, string | number>; message: string }

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}) => Object.assign(document.createElement(tag), props);
const cell = (text: string) => el('td', { textContent: text });
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString(currentLang() === 'vi' ? 'vi-VN' : 'en-GB') : '');
const roleName = (role: string) => t(`role.${role}` as MessageKey);

let me: Me | undefined;
let focal = false;
let admin = false;
let choices: Choices | undefined;
let mine: MyList[] = [];
let pending: Pending[] = [];
let problems: Problem[] = [];
let submitError = '';
let submitStatus = '';
let decideStatus = '';
let decideError = '';

function head(keys: Array<MessageKey | ''>): HTMLTableSectionElement {
  const tr = el('tr');
  for (const k of keys) tr.append(el('th', { textContent: k ? t(k) : '' }));
  const thead = el('thead');
  thead.append(tr);
  return thead;
}

/** One list as a titled, scrollable table of its lines. */
function listSection(title: string, columns: Array<MessageKey | ''>, rows: HTMLTableRowElement[], id?: string): HTMLElement {
  const section = el('section', { className: 'request-list' });
  if (id) section.dataset.listId = id;
  const table = el('table', { className: 'data' });
  const body = el('tbody');
  body.append(...rows);
  table.append(head(columns), body);
  const scroll = el('div', { className: 'table-scroll' });
  scroll.append(table);
  section.append(el('h3', { textContent: title }), scroll);
  return section;
}

function problemText(p: Problem): string {
  const key = `listProblem.${p.code}`;
  return t('places.problem', { line: p.line, column: p.column, message: hasMessage(key) ? t(key as MessageKey, p.params ?? {}) : p.message });
}

/** A button that downloads the line's printable activation sheet. */
function sheetButton(id: string, username: string): HTMLButtonElement {
  const b = el('button', { type: 'button', textContent: t('lists.sheet') });
  b.dataset.sheet = id;
  b.onclick = () => void apiDownload(`/api/account-requests/${id}/activation-sheet?lang=${currentLang()}`, `kich-hoat-${username}.pdf`).catch((err: unknown) => shell.showError(err));
  return b;
}

function renderMine(): void {
  $('my-lists').replaceChildren(...(mine.length ? mine.map((list) => listSection(`${when(list.createdAt)} · ${list.source}`,
    ['lists.line', 'account.fullName', 'lists.username', 'account.role', 'account.scope', 'lists.status', 'lists.reason', 'lists.activation'],
    list.lines.map((l) => {
      const tr = el('tr');
      tr.dataset.username = l.username;
      const activation = el('td');
      if (l.status === 'APPROVED' && !l.roleRequest) {
        if (l.mailedAt) activation.append(el('span', { textContent: t('lists.mailed', { at: when(l.mailedAt) }) }), ' ');
        else if (l.mailError) activation.append(el('span', { className: 'error', textContent: t('lists.mailFailed') }), ' ');
        activation.append(l.sheet ? sheetButton(l.id, l.username) : el('span', { className: 'muted', textContent: t('lists.sheetGone') }));
      }
      tr.append(
        cell(String(l.line ?? '')), cell(l.fullName), cell(l.roleRequest ? `${l.username} (${t('lists.roleRequest')})` : l.username),
        cell(roleName(l.role)), cell(l.scopeName ?? t(`scope.${l.scopeType}` as MessageKey)),
        el('td', { className: `request-${l.status}`, textContent: t(`lists.status.${l.status}` as MessageKey) }),
        cell([l.reason, l.decidedBy].filter(Boolean).join(' · ')), activation,
      );
      return tr;
    }), list.id)) : [el('p', { className: 'muted', textContent: t('lists.none') })]));
}

function renderPending(): void {
  const byList = new Map<string, Pending[]>();
  for (const p of pending) byList.set(p.listId ?? p.id, [...(byList.get(p.listId ?? p.id) ?? []), p]);
  $('decide-lists').replaceChildren(...(byList.size ? [...byList.values()].map((lines) => {
    const first = lines[0]!;
    return listSection(t('lists.listOf', { organization: first.organization ?? '', submitter: first.submittedBy ?? '', at: when(first.createdAt) }),
      ['lists.line', 'account.fullName', 'account.position', 'account.phone', 'account.email', 'lists.username', 'account.role', 'account.scope', 'lists.reason', ''],
      lines.map(decisionRow));
  }) : [el('p', { className: 'muted', textContent: t('lists.noPending') })]));
}

/** A line waiting for the administrator: its person, and approve or reject with a reason. */
function decisionRow(r: Pending): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.username = r.username;
  const reason = document.createElement('input');
  Object.assign(reason, { name: 'reason', maxLength: 1000, placeholder: t('lists.reasonHint') });
  const approve = el('button', { type: 'button', textContent: t('lists.approve'), className: 'approve' });
  const reject = el('button', { type: 'button', textContent: t('lists.reject'), className: 'reject' });
  approve.onclick = () => void decide(r, 'approve', reason.value.trim());
  reject.onclick = () => void decide(r, 'reject', reason.value.trim());
  const actions = document.createElement('td');
  actions.className = 'buttons';
  actions.append(approve, reject);
  const reasonCell = document.createElement('td');
  reasonCell.append(reason);
  tr.append(
    cell(String(r.line ?? '')), cell(r.fullName), cell(r.position), cell(r.phone), cell(r.email),
    cell(r.roleRequest ? `${r.username} (${t('lists.roleRequest')})` : r.username), cell(roleName(r.role)),
    cell(r.scopeName ?? t(`scope.${r.scopeType}` as MessageKey)), reasonCell, actions,
  );
  return tr;
}

function render(): void {
  $('lists-submit').hidden = !focal;
  $('lists-decide').hidden = !admin;
  $('submit-status').textContent = submitStatus;
  $('submit-error').textContent = submitError;
  $('submit-problems').replaceChildren(...problems.map((p) => el('li', { textContent: problemText(p) })));
  $('decide-status').textContent = decideStatus;
  $('decide-error').textContent = decideError;
  const role = document.querySelector<HTMLSelectElement>('#person-form select[name="role"]')!;
  const chosen = role.value;
  role.replaceChildren(el('option', { value: '', textContent: '' }), ...(choices?.roles ?? []).map((r) => el('option', { value: r, textContent: roleName(r) })));
  if (chosen) role.value = chosen;
  $('scope-choices').replaceChildren(...(choices?.scopes ?? []).map((s) => el('option', { value: s.name, label: `${s.kind} · ${s.code}` })));
  if (focal) renderMine();
  if (admin) renderPending();
}

async function load(): Promise<void> {
  const [c, m, p] = await Promise.all([
    focal ? apiJson<Choices>('/api/account-lists/choices') : undefined,
    focal ? apiJson<MyList[]>('/api/account-lists') : [],
    admin ? apiJson<Pending[]>('/api/account-requests') : [],
  ]);
  choices = c;
  mine = m;
  pending = p;
  render();
}

/** What a refused submission says: every problem of the list, or the one error. */
function refused(err: unknown): void {
  const details = err instanceof ApiError ? err.details as { problems?: Problem[] } | undefined : undefined;
  problems = details?.problems ?? [];
  submitStatus = '';
  submitError = problems.length ? t('lists.refused', { count: problems.length }) : `${t('error')}: ${errorText(err)}`;
  render();
}

async function submitted(count: number): Promise<void> {
  problems = [];
  submitError = '';
  submitStatus = t('lists.stored', { count });
  await load();
}

$<HTMLFormElement>('upload-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const file = $<HTMLInputElement>('list-file').files?.[0];
  if (!file) return;
  try {
    const r = await apiSend<{ lines: number }>('POST', `/api/account-lists/upload?name=${encodeURIComponent(file.name.slice(0, 200))}`, file);
    $<HTMLFormElement>('upload-form').reset();
    await submitted(r!.lines);
  } catch (err) {
    refused(err);
  }
};

$<HTMLFormElement>('person-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const line = Object.fromEntries(['fullName', 'position', 'phone', 'email', 'role', 'scope', 'username'].map((k) => [k, String(new FormData(form).get(k) ?? '').trim()]));
  try {
    const r = await apiSend<{ lines: number }>('POST', '/api/account-lists', { lines: [line] });
    form.reset();
    await submitted(r!.lines);
  } catch (err) {
    refused(err);
  }
};

async function decide(r: Pending, how: 'approve' | 'reject', reason: string): Promise<void> {
  decideError = '';
  decideStatus = '';
  if (how === 'reject' && !reason) {
    decideError = t('lists.needReason');
    return render();
  }
  try {
    if (how === 'approve') {
      const a = await apiSend<{ delivery?: string }>('POST', `/api/account-requests/${r.id}/approve`, reason ? { reason } : {});
      decideStatus = !a?.delivery ? t('lists.approvedRole', { name: r.fullName }) : a.delivery === 'sent' ? t('lists.approvedSent', { name: r.fullName }) : t('lists.approvedSheet', { name: r.fullName });
    } else {
      await apiSend('POST', `/api/account-requests/${r.id}/reject`, { reason });
      decideStatus = t('lists.rejected', { name: r.fullName });
    }
    await load();
  } catch (err) {
    decideError = `${t('error')}: ${errorText(err)}`;
    render();
  }
}

$('template-xlsx').onclick = () => void apiDownload(`/api/account-lists/template?format=xlsx&lang=${currentLang()}`, 'mau-danh-sach.xlsx').catch((err: unknown) => shell.showError(err));
$('template-csv').onclick = () => void apiDownload(`/api/account-lists/template?format=csv&lang=${currentLang()}`, 'mau-danh-sach.csv').catch((err: unknown) => shell.showError(err));

const shell = new PageShell({
  page: 'lists', title: 'lists.title', content: $('lists'), render,
  onSignedIn: (m) => {
    me = m;
    const live = (role: string) => me!.assignments.some((a) => a.state === 'active' && a.role === role && a.effect === 'ALLOW');
    focal = live('FOCAL_POINT');
    admin = live('SCOPE_ADMIN');
    render();
    void load().catch((err: unknown) => shell.showError(err));
  },
});
