// A message from a table, filled in: `{{name}}` from the values given, and, when a `count` is
// given, the plural form the language's rules choose (`key_one`, `key_other`, as CLDR names
// them; Vietnamese has only `other`). Values are not escaped: text goes into textContent, never
// innerHTML. Pure, so tests run it without a page. This is all the pages need of an i18n
// library, in a few hundred bytes instead of i18next's 50 KB of the supervision page's bundle,
// which every page open parses before its first picture.
export type Table = Readonly<Record<string, string>>;
export type Values = Readonly<Record<string, string | number>>;

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralForm(locale: string, count: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules.select(count);
}

/**
 * `key` from `table`, else from `fallback`, else the key itself (a missing message shows as its
 * name, never as nothing). A placeholder without a value becomes empty.
 */
export function translate(table: Table, fallback: Table, locale: string, key: string, values?: Values): string {
  let text: string | undefined;
  const count = values?.count;
  if (typeof count === 'number') {
    const plural = `${key}_${pluralForm(locale, count)}`;
    text = table[plural] ?? table[`${key}_other`] ?? fallback[plural] ?? fallback[`${key}_other`];
  }
  text ??= table[key] ?? fallback[key] ?? key;
  if (!values) return text;
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : ''));
}
