// The header's page links and where a person lands. The server says which pages the person
// may use and which is theirs (GET /api/me); the header shows only those, and a page that is
// not theirs sends them to the one that is. On a narrow screen the links and controls fold
// into a menu behind one button.
import { apiJson } from './api.js';
import { t, type MessageKey } from './i18n.js';

export type Page = 'wall' | 'incidents' | 'recordings' | 'ops' | 'drive' | 'places' | 'people' | 'investigation' | 'lists' | 'account';

/** The signed-in person as GET /api/me describes them. */
export interface Me {
  id: string;
  username: string;
  fullName: string;
  position: string;
  phone: string;
  email: string;
  organization: { id: string; name: string; kind: string };
  assignments: Array<{
    id: string; role: string; scopeType: string; scopeId: string | null; scopeName: string | null;
    effect: 'ALLOW' | 'DENY'; expiresAt: string | null; grantedAt: string; state: 'active' | 'expired' | 'revoked';
  }>;
  pages: Page[];
  home: Page;
  /** No role is live any more: the account page says so, and whom to ask. */
  rolesEnded: boolean;
  contact: { fullName: string; position: string; phone: string; email: string; organization: string } | null;
}

export const PAGE_URL: Record<Page, string> = { wall: './', incidents: 'incidents.html', recordings: 'recordings.html', ops: 'ops.html', drive: 'drive.html', places: 'places.html', people: 'people.html', investigation: 'investigation.html', lists: 'lists.html', account: 'account.html' };
const LABEL: Record<Page, MessageKey> = { wall: 'nav.wall', incidents: 'nav.incidents', recordings: 'nav.recordings', ops: 'nav.ops', drive: 'nav.drive', places: 'nav.places', people: 'nav.people', investigation: 'nav.investigation', lists: 'nav.lists', account: 'nav.account' };

let me: Promise<Me> | undefined;

/** The signed-in person (asked once per page; a failure is asked again next time). */
export function whoAmI(): Promise<Me> {
  me ??= apiJson<Me>('/api/me').catch((err: unknown) => {
    me = undefined;
    throw err;
  });
  return me;
}

const links = () => document.querySelectorAll<HTMLAnchorElement>('#pages a[data-page]');

/**
 * Shows the header's links for the signed-in person on page `current`; when the page is not
 * one of theirs, goes to their own page instead and answers undefined.
 */
export async function enterPage(current: Page): Promise<Me | undefined> {
  const m = await whoAmI();
  if (!m.pages.includes(current)) {
    location.replace(PAGE_URL[m.home]);
    return undefined;
  }
  for (const a of links()) {
    const page = a.dataset.page as Page;
    a.hidden = !m.pages.includes(page);
    if (page === current) a.setAttribute('aria-current', 'page');
  }
  document.getElementById('pages')!.hidden = false;
  return m;
}

/** Signed out: no links (nothing behind them works yet). */
export function hidePages(): void {
  document.getElementById('pages')!.hidden = true;
  me = undefined;
}

export function relabelNav(): void {
  for (const a of links()) a.textContent = t(LABEL[a.dataset.page as Page]);
  document.getElementById('menu')?.setAttribute('aria-label', t('menu'));
  const notice = document.getElementById('demo-notice');
  if (notice) notice.textContent = t('demoNotice');
}

/** Every page of a demo (accounts with published passwords) says so, before sign-in too. */
export function showDemoNotice(): void {
  void fetch('/api/info').then((r) => r.json() as Promise<{ demo?: boolean }>).then((info) => {
    const notice = document.getElementById('demo-notice');
    if (!notice) return;
    notice.textContent = t('demoNotice');
    notice.hidden = info.demo !== true;
  }, () => undefined);
}

/** The menu button of narrow screens: opens and closes the header's links and controls. */
export function setupMenu(): void {
  const header = document.querySelector('header')!;
  const button = document.getElementById('menu')!;
  const set = (open: boolean) => {
    header.classList.toggle('menu-open', open);
    button.setAttribute('aria-expanded', String(open));
  };
  button.onclick = () => set(!header.classList.contains('menu-open'));
  document.getElementById('header-menu')!.addEventListener('click', (e) => {
    if ((e.target as HTMLElement).closest('a, button:not(#lang)')) set(false);
  });
}
