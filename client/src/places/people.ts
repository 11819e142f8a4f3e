// The people of one organization, for a scope administrator: each person with their status
// and live roles, and a form that makes an account for a named person (full name, position,
// phone, email, username) with a first role at a scope on this page: the nation, the unit
// open above, or one of its facilities. The answer is a one-time activation link that the
// administrator hands to that person; the server never sends a password.
import { apiJson, apiSend } from '../api.js';
import { formatDateTime, t, type MessageKey } from '../i18n.js';
import { $, cell, emptyRow, formErrorText, head, options } from './dom.js';

interface Role {
  id: string;
  role: string;
  scopeType: string;
  scopeName: string | null;
  effect: 'ALLOW' | 'DENY';
}

interface Member {
  id: string;
  username: string;
  fullName: string;
  position: string;
  phone: string;
  email: string;
  status: string;
  roles: Role[];
}

interface Members {
  organization: { id: string; name: string; kind: string; retired: boolean };
  roles: Array<{ role: string; scopes: string[] }>;
  people: Member[];
}

/** Where a new person's role may sit, from what the page shows. */
export interface ScopeChoices {
  unit: { id: string; name: string } | undefined;
  facilities: Array<{ id: string; name: string }>;
}

export class PeoplePanel {
  #members: Members | undefined;
  readonly #onError: (err: unknown) => void;
  readonly #scopes: () => ScopeChoices;
  /** Called after an account was made (the organization list counts people). */
  readonly #changed: () => void;

  constructor(onError: (err: unknown) => void, scopes: () => ScopeChoices, changed: () => void) {
    this.#onError = onError;
    this.#scopes = scopes;
    this.#changed = changed;
    const form = $<HTMLFormElement>('person-form');
    form.onsubmit = (e) => {
      e.preventDefault();
      void this.#create();
    };
    (form.elements.namedItem('role') as HTMLSelectElement).onchange = () => this.render();
    $('people-close').onclick = () => this.close();
    $('activation-copy').onclick = () => {
      const link = $<HTMLInputElement>('activation-link');
      link.select();
      void navigator.clipboard?.writeText(link.value).then(() => ($('activation-copy').textContent = t('people.copied'))).catch(() => undefined);
    };
  }

  async open(organizationId: string): Promise<void> {
    $<HTMLFormElement>('person-form').reset();
    $('person-error').textContent = '';
    $('activation').hidden = true;
    this.#members = await apiJson<Members>(`/api/organizations/${organizationId}/people`);
    this.render();
    $('people-section').scrollIntoView({ block: 'start' });
  }

  close(): void {
    this.#members = undefined;
    this.render();
  }

  render(): void {
    const m = this.#members;
    $('people-section').hidden = !m;
    if (!m) return;
    $('people-title').textContent = t('people.title', { organization: m.organization.name });
    const table = $<HTMLTableElement>('people-list');
    head(table, ['people.fullName', 'people.position', 'people.phone', 'people.email', 'people.username', 'people.status', 'people.roles']);
    table.tBodies[0]!.replaceChildren(...(m.people.length ? m.people.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.username = p.username;
      const roles = p.roles.filter((r) => r.effect === 'ALLOW').map((r) => `${t(`role.${r.role}` as MessageKey)} – ${r.scopeName ?? t('scope.NATION')}`);
      tr.append(cell(p.fullName), cell(p.position), cell(p.phone), cell(p.email), cell(p.username), cell(t(`userStatus.${p.status}` as MessageKey)), cell(roles.join('; ') || t('people.noRole')));
      return tr;
    }) : [emptyRow(7, 'people.none')]));

    const form = $<HTMLFormElement>('person-form');
    form.hidden = m.organization.retired;
    const roleSelect = form.elements.namedItem('role') as HTMLSelectElement;
    options(roleSelect, m.roles.map((r) => r.role), (r) => t(`role.${r}` as MessageKey));
    const fits = m.roles.find((r) => r.role === roleSelect.value)?.scopes ?? [];
    const { unit, facilities } = this.#scopes();
    const scopes = [
      ...(fits.includes('NATION') ? [{ value: 'NATION:', label: t('scope.NATION') }] : []),
      ...(fits.includes('UNIT') && unit ? [{ value: `UNIT:${unit.id}`, label: unit.name }] : []),
      ...(fits.includes('FACILITY') ? facilities.map((f) => ({ value: `FACILITY:${f.id}`, label: f.name })) : []),
    ];
    options(form.elements.namedItem('scope') as HTMLSelectElement, scopes.map((s) => s.value), (v) => scopes.find((s) => s.value === v)!.label);
    $<HTMLButtonElement>('person-create').disabled = scopes.length === 0;
  }

  async #create(): Promise<void> {
    const m = this.#members;
    if (!m) return;
    const form = $<HTMLFormElement>('person-form');
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const [scopeType, scopeId] = text('scope').split(':') as [string, string];
    $('person-error').textContent = '';
    try {
      const made = await apiSend<{ username: string; activationToken: string; activationExpiresAt: string }>('POST', `/api/organizations/${m.organization.id}/people`, {
        fullName: text('fullName'), position: text('position'), phone: text('phone'), email: text('email'), username: text('username'),
        role: text('role'), scopeType, scopeId: scopeId || null,
      });
      form.reset();
      $('activation-text').textContent = t('people.activation', { username: made!.username, expires: formatDateTime(made!.activationExpiresAt) });
      $<HTMLInputElement>('activation-link').value = `${location.origin}/activate.html#token=${made!.activationToken}`;
      $('activation-copy').textContent = t('people.copy');
      $('activation').hidden = false;
      this.#members = await apiJson<Members>(`/api/organizations/${m.organization.id}/people`);
      this.render();
      this.#changed();
    } catch (err) {
      $('person-error').textContent = formErrorText(err);
    }
  }
}
