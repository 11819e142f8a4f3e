// User interface strings, Vietnamese by default (client/src/messages.ts) and English
// (messages-en.ts, loaded only when chosen), filled in by translate.ts (interpolation with
// {{name}}, plurals with _one/_other). Every string shown to a person comes from here; the
// English table must hold every Vietnamese key (the type says so). Dates and numbers are
// formatted for the chosen language with Intl. The choice is remembered in localStorage.
import { vi, type Key } from './messages.js';
import { translate, type Table } from './translate.js';

export type Lang = 'vi' | 'en';
/** Keys as callers write them: plural forms (_one, _other) are chosen from `count` (translate.ts). */
type Base<K> = K extends `${infer B}_${'one' | 'other'}` ? B : K;
type BaseKey = Base<Key>;
export type MessageKey = BaseKey;
const LOCALES: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };

let lang: Lang = localStorage.getItem('lang') === 'en' ? 'en' : 'vi';

/**
 * The tables loaded so far. English is a chunk of its own (26 KB, a twelfth of the supervision
 * page's script, which every page open parses before its first picture): most people read
 * Vietnamese, and the few who chose English load it once and keep it in the HTTP cache.
 */
const tables: Partial<Record<Lang, Table>> = { vi };

function loadTable(l: Lang): Promise<Table> {
  const loaded = tables[l];
  if (loaded) return Promise.resolve(loaded);
  return import('./messages-en.js').then(({ en }) => (tables.en = en));
}

// A page opened in English waits for its table before any module that shows text runs (top-level
// await). Should it not load (the server gone in between), the page opens in Vietnamese.
if (lang === 'en') await loadTable('en').catch(() => { lang = 'vi'; });

export function t(key: BaseKey, vars?: Record<string, string | number>): string {
  return translate(tables[lang] ?? vi, vi, LOCALES[lang], key, vars);
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

/**
 * Switches to `next` once its table is loaded (at once when it is: the page's language at
 * start always is). A table that cannot be loaded leaves the language as it was.
 */
export function setLang(next: Lang): Promise<void> {
  const apply = () => {
    lang = next;
    localStorage.setItem('lang', next);
    document.documentElement.lang = next;
  };
  if (tables[next]) {
    apply();
    return Promise.resolve();
  }
  return loadTable(next).then(apply);
}
