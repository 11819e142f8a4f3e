// User interface strings (client/src/messages.ts), Vietnamese by default and English, filled in by
// translate.ts (interpolation with {{name}}, plurals with _one/_other). Every string shown to a person comes from here;
// the English table must hold every Vietnamese key (the type says so). Dates and numbers are
// formatted for the chosen language with Intl. The choice is remembered in localStorage.
import { en, vi, type Key } from './messages.js';
import { translate, type Table } from './translate.js';

export type Lang = 'vi' | 'en';
/** Keys as callers write them: plural forms (_one, _other) are chosen from `count` (translate.ts). */
type Base<K> = K extends `${infer B}_${'one' | 'other'}` ? B : K;
type BaseKey = Base<Key>;
export type MessageKey = BaseKey;
const LOCALES: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };

let lang: Lang = localStorage.getItem('lang') === 'en' ? 'en' : 'vi';

const TABLES: Record<Lang, Table> = { vi, en };

export function t(key: BaseKey, vars?: Record<string, string | number>): string {
  return translate(TABLES[lang], vi, LOCALES[lang], key, vars);
}

/** Is `key` a message (for keys built from server codes)? */
export function hasMessage(key: string): key is BaseKey {
  return key in vi;
}

/**
 * What to tell a person about a failure: the translation of its error code (server codes
 * travel as `code` on ApiError and RequestError), a network failure as such, and never the
 * server's own English text.
 */
export function errorText(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && hasMessage(`err.${code}`)) return t(`err.${code}` as BaseKey);
  if (err instanceof TypeError) return t('err.NETWORK'); // fetch() could not reach the server
  return t('err.INTERNAL');
}

export function currentLang(): Lang {
  return lang;
}

/** The BCP 47 locale of the chosen language (for Intl and toLocale* calls). */
export function locale(): string {
  return LOCALES[lang];
}

/**
 * One formatter per locale and style, made once: toLocaleString builds a new one on every
 * call, a few milliseconds each, and every tile's watermark formats the time every second.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(style: 'dateTime' | 'time'): Intl.DateTimeFormat {
  const key = `${locale()} ${style}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), style === 'time'
      ? { hour: '2-digit', minute: '2-digit' }
      // What toLocaleString shows by default: the date and the time to the second.
      : { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(key, f);
  }
  return f;
}

/** Date and time as people of the chosen language write it. */
export function formatDateTime(d: Date | string | number): string {
  return formatter('dateTime').format(new Date(d));
}

export function formatTime(d: Date | string | number): string {
  return formatter('time').format(new Date(d));
}

/** A remaining time as h:mm:ss or m:ss. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem('lang', next);
  document.documentElement.lang = next;
}
