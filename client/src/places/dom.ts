// The small DOM helpers every panel of the places page uses: elements by id, table cells and
// headers, select options, an empty-table row, action buttons whose failures reach the page's
// error line, and a form's error text (the translated code, then the server's own words).
import { ApiError } from '../api.js';
import { errorText, t, type MessageKey } from '../i18n.js';

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export const cell = (text: string) => Object.assign(document.createElement('td'), { textContent: text });

export function head(table: HTMLTableElement, keys: MessageKey[]): void {
  const tr = document.createElement('tr');
  for (const k of keys) tr.append(Object.assign(document.createElement('th'), { textContent: t(k) }));
  table.tHead!.replaceChildren(tr);
}

/** Fills a select, keeping the chosen value when it is still offered. */
export function options(select: HTMLSelectElement, values: readonly string[], label: (v: string) => string, empty?: string): void {
  const keep = select.value;
  select.replaceChildren(...(empty !== undefined ? [new Option(empty, '')] : []), ...values.map((v) => new Option(label(v), v)));
  if (keep && values.includes(keep)) select.value = keep;
}

export function emptyRow(span: number, key: MessageKey): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(Object.assign(document.createElement('td'), { colSpan: span, textContent: t(key) }));
  return tr;
}

export function actionButton(label: string, action: () => Promise<void>, onError: (err: unknown) => void): HTMLButtonElement {
  const b = Object.assign(document.createElement('button'), { type: 'button', textContent: label });
  b.onclick = () => void action().catch(onError);
  return b;
}

/** What a form shows when the server refused it: the reason in the page's language, and the field the server named. */
export function formErrorText(err: unknown): string {
  return err instanceof ApiError ? `${errorText(err)} (${err.message})` : errorText(err);
}
