// What every secondary page (incidents, recordings, operations, account) shares: the header's
// person, page links, sign-out and language switch, the sign-in form, and the switch between
// it and the page's content.
import { ApiError } from './api.js';
import { currentSession, keepSessionFresh, signOut } from './auth.js';
import { currentLang, errorText, setLang, t, type MessageKey } from './i18n.js';
import { LoginForm } from './login-form.js';
import { enterPage, hidePages, relabelNav, setupMenu, showDemoNotice, type Me, type Page } from './nav.js';

export interface PageOptions {
  /** Which page this is (the server says whether the person may use it). */
  page: Page;
  /** The page title's message. */
  title: MessageKey;
  /** The element holding the page's content (hidden while signed out). */
  content: HTMLElement;
  /** Signed in (from the form or a session kept by the tab), and the page is the person's. */
  onSignedIn(me: Me): void;
  /** Signed out or the session ended: stop polling. */
  onSignedOut?(): void;
  /** Re-labels the page's own parts (after a language switch). */
  render(): void;
}

export class PageShell {
  readonly #o: PageOptions;
  readonly #login: LoginForm;

  constructor(options: PageOptions) {
    this.#o = options;
    this.#login = new LoginForm((session) => this.#enter(session.fullName));
    this.#login.mount();
    document.getElementById('lang')!.onclick = () => {
      void setLang(currentLang() === 'vi' ? 'en' : 'vi').then(() => this.render(), () => undefined);
    };
    document.getElementById('sign-out')!.onclick = () => void signOut().then(() => location.reload());
    setupMenu();
    showDemoNotice();
    void setLang(currentLang());
    this.render();
    const session = currentSession();
    if (session) this.#enter(session.fullName);
    else this.showLogin();
  }

  render(): void {
    document.title = t(this.#o.title);
    document.getElementById('title')!.textContent = t(this.#o.title);
    document.getElementById('lang')!.textContent = t('language');
    document.getElementById('sign-out')!.textContent = t('signOut');
    document.querySelectorAll<HTMLElement>('[data-t]').forEach((el) => (el.textContent = t(el.dataset.t as MessageKey)));
    relabelNav();
    this.#login.relabel();
    this.#o.render();
  }

  /** The session is gone (refused token that could not be renewed): back to the form. */
  showLogin(reason?: string): void {
    this.#o.onSignedOut?.();
    document.body.classList.add('signed-out');
    this.#o.content.hidden = true;
    hidePages();
    document.getElementById('who')!.textContent = '';
    document.getElementById('sign-out')!.hidden = true;
    this.#login.show(reason);
  }

  /** Shows a failure at the top of the page, in the person's language. */
  showError(err: unknown): void {
    const banner = document.getElementById('banner')!;
    banner.textContent = errorText(err);
    banner.hidden = false;
  }

  #enter(fullName: string): void {
    this.#login.hide();
    document.body.classList.remove('signed-out');
    document.getElementById('who')!.textContent = fullName;
    document.getElementById('sign-out')!.hidden = false;
    keepSessionFresh(() => this.showLogin(t('session.expired')));
    enterPage(this.#o.page).then((me) => {
      if (!me) return; // on the way to the person's own page
      this.#o.content.hidden = false;
      this.#o.onSignedIn(me);
    }, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) this.showLogin(t('session.expired'));
      else this.showError(err);
    });
  }
}
