// What every secondary page (operations, recordings) shares: the header's person, sign-out
// and language switch, the sign-in form, and the switch between it and the page's content.
import { currentSession, keepSessionFresh, signOut } from './auth.js';
import { currentLang, setLang, t, type MessageKey } from './i18n.js';
import { LoginForm } from './login-form.js';

export interface PageOptions {
  /** The page title's message. */
  title: MessageKey;
  /** The element holding the page's content (hidden while signed out). */
  content: HTMLElement;
  /** Signed in (from the form or a session kept by the tab). */
  onSignedIn(): void;
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
    document.querySelector('header')!.after(this.#login.el);
    document.getElementById('lang')!.onclick = () => {
      setLang(currentLang() === 'vi' ? 'en' : 'vi');
      this.render();
    };
    document.getElementById('sign-out')!.onclick = () => void signOut().then(() => location.reload());
    setLang(currentLang());
    this.render();
    const session = currentSession();
    if (session) this.#enter(session.fullName);
    else this.showLogin();
  }

  render(): void {
    document.title = t(this.#o.title);
    document.getElementById('title')!.textContent = t(this.#o.title);
    document.getElementById('back')!.textContent = t('ops.back');
    document.getElementById('lang')!.textContent = t('language');
    document.getElementById('sign-out')!.textContent = t('signOut');
    document.querySelectorAll<HTMLElement>('[data-t]').forEach((el) => (el.textContent = t(el.dataset.t as MessageKey)));
    this.#login.relabel();
    this.#o.render();
  }

  /** The session is gone (refused token that could not be renewed): back to the form. */
  showLogin(): void {
    this.#o.onSignedOut?.();
    this.#o.content.hidden = true;
    document.getElementById('who')!.textContent = '';
    document.getElementById('sign-out')!.hidden = true;
    this.#login.show();
  }

  #enter(fullName: string): void {
    this.#login.hide();
    document.getElementById('who')!.textContent = fullName;
    document.getElementById('sign-out')!.hidden = false;
    this.#o.content.hidden = false;
    keepSessionFresh(() => this.showLogin());
    this.#o.onSignedIn();
  }
}
