// The account page: the signed-in person's own record (who they are, their roles and scopes,
// each with its state and end), where an account whose roles have all ended learns whom to
// ask, and where they change their password; for scope administrators, how many account
// requests wait for their decision (decided on the lists page) and the access log's chain.
import { chainText, type ChainCheck } from '../audit-chain.js';
import { ApiError, apiJson, apiSend } from '../api.js';
import { currentSession } from '../auth.js';
import { errorText, formatDateTime, t, type MessageKey } from '../i18n.js';
import type { Me } from '../nav.js';
import { PageShell } from '../page-shell.js';

interface PendingRequest {
  id: string;
  fullName: string;
  position: string;
  phone: string;
  email: string;
  role: string;
  scopeType: string;
  createdAt: string;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let me: Me | undefined;
let requests: PendingRequest[] | undefined;
let audit: ChainCheck | undefined;

const cell = (text: string) => Object.assign(document.createElement('td'), { textContent: text });
function head(table: HTMLTableElement, keys: MessageKey[]): void {
  const tr = document.createElement('tr');
  for (const k of keys) tr.append(Object.assign(document.createElement('th'), { textContent: t(k) }));
  table.tHead!.replaceChildren(tr);
}
const roleName = (role: string) => t(`role.${role}` as MessageKey);
const scopeText = (type: string, name: string | null) => (name ? `${t(`scope.${type}` as MessageKey)}: ${name}` : t(`scope.${type}` as MessageKey));

function render(): void {
  if (!me) return;
  const ended = $('roles-ended');
  ended.hidden = !me.rolesEnded;
  $('ended-text').textContent = t('account.ended');
  const c = me.contact;
  $('ended-contact').textContent = c
    ? t('account.contact', { name: c.fullName, position: c.position, organization: c.organization, phone: c.phone, email: c.email })
    : t('account.contactUnknown');

  const facts: Array<[MessageKey, string]> = [
    ['account.fullName', me.fullName], ['account.position', me.position], ['account.organization', me.organization.name],
    ['account.phone', me.phone], ['account.email', me.email],
  ];
  $('person').replaceChildren(...facts.flatMap(([k, v]) => [
    Object.assign(document.createElement('dt'), { textContent: t(k) }),
    Object.assign(document.createElement('dd'), { textContent: v }),
  ]));

  const roles = $<HTMLTableElement>('roles');
  head(roles, ['account.role', 'account.scope', 'account.state', 'account.expires']);
  roles.tBodies[0]!.replaceChildren(...(me.assignments.length ? me.assignments.map((a) => {
    const tr = document.createElement('tr');
    tr.className = `role-${a.state}`;
    tr.append(
      cell(a.effect === 'DENY' ? `${roleName(a.role)} (${t('effect.DENY')})` : roleName(a.role)),
      cell(scopeText(a.scopeType, a.scopeName)),
      cell(t(`state.${a.state}` as MessageKey)),
      cell(a.expiresAt ? formatDateTime(a.expiresAt) : t('account.never')),
    );
    return tr;
  }) : [Object.assign(document.createElement('tr'), { innerHTML: '<td colspan="4"></td>' })]));
  if (!me.assignments.length) roles.tBodies[0]!.querySelector('td')!.textContent = t('account.noRoles');

  $('requests-waiting').textContent = requests ? t('lists.waiting', { count: requests.length }) : '';
  if (audit) {
    $('audit-state').textContent = chainText(audit);
    $('audit-state').className = audit.ok ? 'ok' : 'error';
  }
}

async function load(m: Me): Promise<void> {
  me = m;
  render();
  if (!m.assignments.some((a) => a.state === 'active' && a.role === 'SCOPE_ADMIN' && a.effect === 'ALLOW')) return;
  // A scope administrator's work: what waits for their decision; the log's chain (nation only).
  const [pending, chain] = await Promise.all([
    apiJson<PendingRequest[]>('/api/account-requests').catch((err: unknown) => { shell.showError(err); return undefined; }),
    apiJson<NonNullable<typeof audit>>('/api/audit/verify').catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 404)) shell.showError(err);
      return undefined;
    }),
  ]);
  requests = pending;
  audit = chain;
  $('requests').hidden = !requests;
  $('audit').hidden = !audit;
  render();
}

/** What a refused password says, in the page's language. */
function passwordError(err: unknown): string {
  const d = err instanceof ApiError ? err.details as { field?: string; password?: { tooShort: boolean } } | undefined : undefined;
  if (d?.field === 'current') return t('account.wrongCurrent');
  if (d?.password) return t(d.password.tooShort ? 'password.short' : 'password.weak');
  return `${t('error')}: ${errorText(err)}`;
}

$<HTMLFormElement>('password-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const data = new FormData(form);
  $('password-done').textContent = '';
  if (String(data.get('password')) !== String(data.get('repeat'))) {
    $('password-error').textContent = t('activate.mismatch');
    return;
  }
  try {
    // This session stays signed in; every other one ends.
    await apiSend('POST', '/api/me/password', { current: String(data.get('current')), password: String(data.get('password')), refreshToken: currentSession()?.refreshToken });
    form.reset();
    $('password-error').textContent = '';
    $('password-done').textContent = t('account.passwordChanged');
  } catch (err) {
    $('password-error').textContent = passwordError(err);
  }
};

const shell = new PageShell({
  page: 'account', title: 'account.title', content: $('account'), render,
  onSignedIn: (m) => void load(m).catch((err: unknown) => ($('audit-state').textContent = errorText(err))),
});
