// The activation page an administrator's link opens (`npm run admin:create`, an approved
// account request, an activation email or sheet): the person sets their password with the
// one-time token from the link's fragment (never sent in a request line, so never in a log).
// Where their role needs a second factor it is enrolled right here (QR code and first code),
// which also signs them in.
import QRCode from 'qrcode';
import { enrollTotp } from '../auth.js';
import { currentLang, errorText, setLang, t, type MessageKey } from '../i18n.js';
import { showDemoNotice } from '../nav.js';

const form = document.getElementById('activate') as HTMLFormElement;
const error = document.getElementById('activate-error')!;
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
let errorKey: MessageKey | undefined;

function render(): void {
  document.title = t('activate.title');
  document.getElementById('title')!.textContent = t('activate.title');
  document.getElementById('lang')!.textContent = t('language');
  document.querySelectorAll<HTMLElement>('[data-t]').forEach((el) => (el.textContent = t(el.dataset.t as MessageKey)));
  if (errorKey) error.textContent = t(errorKey);
}

function show(key: MessageKey | undefined, text = key ? t(key) : ''): void {
  errorKey = key;
  error.textContent = text;
}

form.onsubmit = async (ev) => {
  ev.preventDefault();
  const data = new FormData(form);
  const password = String(data.get('password'));
  if (password.length < 10) return show('password.short');
  if (password !== String(data.get('repeat'))) return show('activate.mismatch');
  show(undefined);
  try {
    const res = await fetch('/api/auth/activate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password }) });
    const body = res.status === 204 ? {} : await res.json().catch(() => ({})) as { error?: { code?: string; details?: { password?: { tooShort: boolean } } }; totpEnrollment?: { enrollmentToken: string; secret: string; uri: string } };
    if (res.status === 400 && body.error?.details?.password) return show(body.error.details.password.tooShort ? 'password.short' : 'password.weak');
    if (res.status === 401 || res.status === 400) return show('activate.invalid');
    if (!res.ok) return show(undefined, errorText({ code: body.error?.code }));
    // Used: the link cannot be replayed from this tab's history.
    history.replaceState(null, '', location.pathname);
    form.querySelectorAll('input, button').forEach((el) => ((el as HTMLInputElement).disabled = true));
    if (body.totpEnrollment) return enrol(body.totpEnrollment);
    document.getElementById('activate-done')!.hidden = false;
  } catch (err) {
    show(undefined, errorText(err));
  }
};

/** The second factor, enrolled at activation: the app scans the QR code (or takes the key), the first code confirms it. */
function enrol(e: { enrollmentToken: string; secret: string; uri: string }): void {
  form.hidden = true;
  const enrolForm = document.getElementById('enrol') as HTMLFormElement;
  enrolForm.hidden = false;
  document.getElementById('enrol-secret')!.textContent = e.secret;
  void QRCode.toString(e.uri, { type: 'svg', margin: 1, width: 200 }).then((svg) => (document.getElementById('enrol-qr')!.innerHTML = svg));
  enrolForm.onsubmit = async (ev) => {
    ev.preventDefault();
    const error = document.getElementById('enrol-error')!;
    try {
      await enrollTotp(e.enrollmentToken, String(new FormData(enrolForm).get('code')));
      error.textContent = '';
      enrolForm.querySelectorAll('input, button').forEach((el) => ((el as HTMLInputElement).disabled = true));
      document.getElementById('enrol-done')!.hidden = false;
    } catch (err) {
      error.textContent = errorText(err);
    }
  };
}

document.getElementById('lang')!.onclick = () => {
  void setLang(currentLang() === 'vi' ? 'en' : 'vi').then(render, () => undefined);
};
void setLang(currentLang());
render();
showDemoNotice();
if (!token) {
  show('activate.noToken');
  (document.getElementById('activate-submit') as HTMLButtonElement).disabled = true;
}
