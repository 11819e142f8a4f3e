// The installers of one facility, for its scope administrator: who holds the installer role
// over it (given this facility, or its district or province), a person of a telecom
// organization working there to assign it to, and taking a direct assignment away. Assigning
// is a grant (POST /api/assignments), audited like every grant.
import { apiJson, apiSend } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { $, actionButton, cell, emptyRow, formErrorText, head, options } from './dom.js';

interface Person {
  id: string;
  username: string;
  fullName: string;
  position: string;
  phone: string;
  organization: { id: string; name: string };
}

interface Holder {
  id: string;
  scopeType: string;
  scopeName: string | null;
  direct: boolean;
  effect: 'ALLOW' | 'DENY';
  grantedAt: string;
  grantedBy: { fullName: string } | null;
  user: Person;
}

export class InstallersPanel {
  #facility: { id: string; name: string } | undefined;
  #holders: Holder[] = [];
  #candidates: Person[] = [];
  readonly #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
    $<HTMLFormElement>('installer-form').onsubmit = (e) => {
      e.preventDefault();
      void this.#assign();
    };
    $('installers-close').onclick = () => this.close();
  }

  async open(facility: { id: string; name: string }): Promise<void> {
    this.#facility = facility;
    $('installer-error').textContent = '';
    await this.#load();
    $('installers-section').scrollIntoView({ block: 'start' });
  }

  close(): void {
    this.#facility = undefined;
    this.render();
  }

  async #load(): Promise<void> {
    const f = this.#facility;
    if (!f) return;
    const q = `scopeType=FACILITY&scopeId=${f.id}&role=INSTALLER`;
    [this.#holders, this.#candidates] = await Promise.all([apiJson<Holder[]>(`/api/assignments?${q}`), apiJson<Person[]>(`/api/people/candidates?${q}`)]);
    this.render();
  }

  render(): void {
    const f = this.#facility;
    $('installers-section').hidden = !f;
    if (!f) return;
    $('installers-title').textContent = t('installers.title', { facility: f.name });
    const table = $<HTMLTableElement>('installer-list');
    head(table, ['people.fullName', 'orgs.title', 'people.phone', 'people.scope', 'installers.since', 'installers.by', 'facilities.actions']);
    const allowed = this.#holders.filter((h) => h.effect === 'ALLOW');
    table.tBodies[0]!.replaceChildren(...(allowed.length ? allowed.map((h) => {
      const tr = document.createElement('tr');
      tr.dataset.userId = h.user.id;
      const actions = document.createElement('td');
      if (h.direct) actions.append(actionButton(t('installers.remove'), () => this.#remove(h), this.#onError));
      tr.append(
        cell(`${h.user.fullName} (${h.user.username})`), cell(h.user.organization.name), cell(h.user.phone),
        cell(h.direct ? t('installers.here') : h.scopeName ?? t('scope.NATION')), cell(formatDateTime(h.grantedAt)), cell(h.grantedBy?.fullName ?? '–'), actions,
      );
      return tr;
    }) : [emptyRow(7, 'installers.none')]));
    // Anyone not yet given this facility itself may be (someone holding the province may
    // still be given the facility: it stays theirs if the province is taken away).
    const direct = new Set(allowed.filter((h) => h.direct).map((h) => h.user.id));
    const free = this.#candidates.filter((p) => !direct.has(p.id));
    options($<HTMLFormElement>('installer-form').elements.namedItem('userId') as HTMLSelectElement, free.map((p) => p.id), (id) => {
      const p = free.find((c) => c.id === id)!;
      return `${p.fullName} (${p.username}) – ${p.organization.name}`;
    });
    $<HTMLButtonElement>('installer-assign').disabled = free.length === 0;
    $('installer-empty').hidden = free.length > 0;
    $('installer-empty').textContent = t(this.#candidates.length ? 'installers.allAssigned' : 'installers.noCandidates');
  }

  async #assign(): Promise<void> {
    const userId = ($<HTMLFormElement>('installer-form').elements.namedItem('userId') as HTMLSelectElement).value;
    if (!userId || !this.#facility) return;
    $('installer-error').textContent = '';
    try {
      await apiSend('POST', '/api/assignments', { userId, role: 'INSTALLER', scopeType: 'FACILITY', scopeId: this.#facility.id });
      await this.#load();
    } catch (err) {
      $('installer-error').textContent = formErrorText(err);
    }
  }

  async #remove(h: Holder): Promise<void> {
    if (!confirm(t('installers.confirmRemove', { name: h.user.fullName }))) return;
    await apiSend('DELETE', `/api/assignments/${h.id}`);
    await this.#load();
  }
}
