// The sign-in form every page shares: password, then the authenticator code when the role
// asks for one, or the enrolment of a new second factor. It builds its own markup, so each
// page only says where it goes and what happens once signed in.
import { enrollTotp, signIn, type Session } from './auth.js';
import { errorText, t } from './i18n.js';

const MARKUP = `
  <h2 id="login-title"></h2>
  <label><span id="username-label"></span><input name="username" autocomplete="username" required maxlength="100"></label>
  <label><span id="password-label"></span><input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>
  <div id="enroll" hidden>
    <p id="enroll-help"></p>
    <code id="enroll-secret"></code>
    <a id="enroll-uri" href="#">otpauth://</a>
  </div>
  <label id="totp-field" hidden><span id="totp-label"></span><input name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></label>
  <p id="login-prompt" role="status" hidden></p>
  <button id="login-submit" type="submit"></button>
  <p id="login-error" role="alert"></p>
  <p id="login-notice" class="muted"></p>`;

export class LoginForm {
  readonly el: HTMLFormElement;
  /** The enrolment in progress, when the account must add a second factor first. */
  #pendingEnrollment: string | undefined;

  constructor(onSignedIn: (session: Session) => void) {
    this.el = document.createElement('form');
    this.el.id = 'login';
    this.el.hidden = true;
    this.el.innerHTML = MARKUP;
    this.el.onsubmit = (ev) => {
      ev.preventDefault();
      void this.#submit(onSignedIn);
    };
    this.relabel();
  }

  /**
   * Puts the form on the page, below the header's notices: the demo warning (whose published
   * passwords the form asks for) and the banner that says why a session ended are read first.
   */
  mount(): void {
    (document.getElementById('banner') ?? document.getElementById('demo-notice') ?? document.querySelector('header')!).after(this.el);
  }

  #q<T extends HTMLElement = HTMLElement>(selector: string): T {
    return this.el.querySelector<T>(selector)!;
  }

  #input(name: string): HTMLInputElement {
    return this.el.elements.namedItem(name) as HTMLInputElement;
  }

  relabel(): void {
    this.#q('#login-title').textContent = t('signIn');
    this.#q('#login-submit').textContent = t('signIn');
    this.#q('#username-label').textContent = t('username');
    this.#q('#password-label').textContent = t('password');
    this.#q('#login-notice').textContent = t('notice');
    this.#q('#totp-label').textContent = t('totp');
    if (!this.#q('#login-prompt').hidden) this.#q('#login-prompt').textContent = t('totpAsk');
  }

  /** Shows the form, with why the person must sign in (their session ended) when there is a reason. */
  show(reason?: string): void {
    this.#q('#login-error').textContent = reason ?? '';
    this.el.hidden = false;
    this.#input('username').focus();
  }

  hide(): void {
    this.el.hidden = true;
  }

  async #submit(onSignedIn: (session: Session) => void): Promise<void> {
    const data = new FormData(this.el);
    const error = this.#q('#login-error');
    error.textContent = '';
    const code = String(data.get('totp') ?? '') || undefined;
    try {
      const r = this.#pendingEnrollment && code
        ? { kind: 'session' as const, session: await enrollTotp(this.#pendingEnrollment, code) }
        : await signIn(String(data.get('username')), String(data.get('password')), code);
      if (r.kind === 'session') {
        this.el.reset();
        this.#q('#totp-field').hidden = true;
        this.#q('#enroll').hidden = true;
        this.#q('#login-prompt').hidden = true;
        this.#pendingEnrollment = undefined;
        onSignedIn(r.session);
      } else {
        this.#askForCode(r.kind === 'enroll' ? r : undefined);
      }
    } catch (err) {
      // The server's answer is the same for a wrong name, password, code or status, on purpose.
      const code = (err as { code?: string }).code;
      const why = code === 'UNAUTHENTICATED' ? t(this.#pendingEnrollment ? 'enrollFailed' : 'loginFailed') : errorText(err);
      error.textContent = `${t('signInFailed')}: ${why}`;
    }
  }

  #askForCode(enrollment?: { enrollmentToken: string; secret: string; uri: string }): void {
    this.#q('#totp-field').hidden = false;
    this.#input('totp').required = true;
    this.#pendingEnrollment = enrollment?.enrollmentToken;
    this.#q('#enroll').hidden = !enrollment;
    if (enrollment) {
      this.#q('#enroll-help').textContent = t('enrollHelp');
      this.#q('#enroll-secret').textContent = enrollment.secret;
      const link = this.#q<HTMLAnchorElement>('#enroll-uri');
      link.href = enrollment.uri;
      link.textContent = enrollment.uri;
    } else {
      // A question for the person, not an error: it gets its own, calm line.
      const prompt = this.#q('#login-prompt');
      prompt.textContent = t('totpAsk');
      prompt.hidden = false;
    }
    this.#input('totp').focus();
  }
}
