// The official list of administrative units as a deployment imports it: a CSV of unit code,
// name, parent code and level, of any depth. Parsing and checking are pure so a list is judged
// whole before anything is stored: an import is all or nothing.
import { parse } from 'csv-parse/sync';
import { ListError, type ListProblem } from '../util/list-problems.js';

/** One unit of a list, as read. */
export interface UnitRow {
  /** The line of the file it came from (the header is line 1). */
  line: number;
  code: string;
  name: string;
  /** Empty for a top-level unit (a province). */
  parentCode: string;
  /** The list's own label of the level ("Tỉnh", "Huyện", "Xã"…). */
  level: string;
}

/** What is wrong, as a stable code the page translates (with `params`); `message` is the English. */
export type ProblemCode = 'too-large' | 'not-csv' | 'empty-file' | 'missing-column' | 'no-units' | 'too-many' | 'bad-code' | 'empty'
  | 'duplicate' | 'too-long' | 'self-parent' | 'unknown-parent' | 'loop' | 'too-deep';

export type UnitListProblem = ListProblem<ProblemCode>;

/** Largest list accepted: all of Vietnam's communes (about 10,600 before 2025) fit many times. */
export const MAX_UNITS = 50_000;
export const MAX_LIST_BYTES = 8 * 1024 * 1024;

// Header names accepted for each column: English, and the Vietnamese of the official lists.
const COLUMNS = {
  code: ['code', 'unit_code', 'ma', 'mã', 'ma_don_vi', 'mã đơn vị'],
  name: ['name', 'unit_name', 'ten', 'tên', 'ten_don_vi', 'tên đơn vị'],
  parentCode: ['parent_code', 'parent', 'ma_cha', 'mã cấp trên', 'ma_cap_tren'],
  level: ['level', 'cap', 'cấp'],
} as const;

/** Levels below the nation: Vietnam has used three (province, district, commune) and two. */
export const MAX_DEPTH = 6;

const CODE = /^[0-9A-Za-z._-]{1,20}$/;

/**
 * Reads and checks a unit list. Every problem of every line is reported at once: a missing
 * column, an empty or malformed code, a duplicate code, a parent code that is not in the
 * list, a cycle. Parents may come after their children in the file.
 */
export function parseUnitList(text: string): UnitRow[] {
  if (Buffer.byteLength(text) > MAX_LIST_BYTES) throw new ListError<ProblemCode>([{ line: 0, column: 'file', code: 'too-large', params: { mb: MAX_LIST_BYTES / 1024 / 1024 }, message: `larger than ${MAX_LIST_BYTES / 1024 / 1024} MB` }]);
  let records: string[][];
  try {
    records = parse(text.replace(/^\ufeff/, ''), { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, delimiter: [',', ';', '\t'] });
  } catch (err) {
    throw new ListError<ProblemCode>([{ line: (err as { lines?: number }).lines ?? 0, column: 'file', code: 'not-csv', message: `not a CSV file (${(err as Error).message})` }]);
  }
  const [header, ...body] = records;
  if (!header) throw new ListError<ProblemCode>([{ line: 1, column: 'file', code: 'empty-file', message: 'the file is empty' }]);
  const names = header.map((h) => h.toLowerCase().trim());
  const index = {} as Record<keyof typeof COLUMNS, number>;
  const missing: UnitListProblem[] = [];
  for (const [key, accepted] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, readonly string[]]>) {
    index[key] = names.findIndex((n) => accepted.includes(n));
    if (index[key] < 0) missing.push({ line: 1, column: accepted[0]!, code: 'missing-column', params: { names: accepted.join(', ') }, message: `missing column (accepted names: ${accepted.join(', ')})` });
  }
  if (missing.length) throw new ListError<ProblemCode>(missing);
  if (body.length === 0) throw new ListError<ProblemCode>([{ line: 2, column: 'file', code: 'no-units', message: 'the list has no units' }]);
  if (body.length > MAX_UNITS) throw new ListError<ProblemCode>([{ line: MAX_UNITS + 2, column: 'file', code: 'too-many', params: { max: MAX_UNITS }, message: `more than ${MAX_UNITS} units` }]);

  const problems: UnitListProblem[] = [];
  const rows: UnitRow[] = body.map((r, i) => ({
    line: i + 2,
    code: r[index.code] ?? '',
    name: r[index.name] ?? '',
    parentCode: r[index.parentCode] ?? '',
    level: r[index.level] ?? '',
  }));
  const byCode = new Map<string, UnitRow>();
  for (const row of rows) {
    if (!CODE.test(row.code)) problems.push(row.code
      ? { line: row.line, column: 'code', code: 'bad-code', params: { value: row.code }, message: `"${row.code}" is not a unit code (letters, digits, . _ -; at most 20)` }
      : { line: row.line, column: 'code', code: 'empty', message: 'empty' });
    else if (byCode.has(row.code)) problems.push({ line: row.line, column: 'code', code: 'duplicate', params: { value: row.code, first: byCode.get(row.code)!.line }, message: `duplicate code "${row.code}" (first on line ${byCode.get(row.code)!.line})` });
    else byCode.set(row.code, row);
    if (!row.name) problems.push({ line: row.line, column: 'name', code: 'empty', message: 'empty' });
    else if (row.name.length > 200) problems.push({ line: row.line, column: 'name', code: 'too-long', params: { max: 200 }, message: 'longer than 200 characters' });
    if (!row.level) problems.push({ line: row.line, column: 'level', code: 'empty', message: 'empty' });
    else if (row.level.length > 60) problems.push({ line: row.line, column: 'level', code: 'too-long', params: { max: 60 }, message: 'longer than 60 characters' });
    if (row.parentCode && row.parentCode === row.code) problems.push({ line: row.line, column: 'parent_code', code: 'self-parent', message: 'a unit cannot be its own parent' });
  }
  for (const row of rows) {
    if (row.parentCode && row.parentCode !== row.code && !byCode.has(row.parentCode)) {
      problems.push({ line: row.line, column: 'parent_code', code: 'unknown-parent', params: { value: row.parentCode }, message: `unknown parent code "${row.parentCode}"` });
    }
  }
  if (problems.length === 0) {
    // A cycle (a → b → a) would leave units with no way up to a top-level unit.
    for (const row of rows) {
      const seen = new Set<string>();
      for (let u: UnitRow | undefined = row; u?.parentCode; u = byCode.get(u.parentCode)) {
        if (seen.has(u.code)) {
          problems.push({ line: row.line, column: 'parent_code', code: 'loop', params: { chain: [...seen].join(' → ') }, message: `the parent chain loops (${[...seen].join(' → ')})` });
          break;
        }
        if (seen.size >= MAX_DEPTH) {
          problems.push({ line: row.line, column: 'parent_code', code: 'too-deep', params: { max: MAX_DEPTH }, message: `more than ${MAX_DEPTH} levels deep` });
          break;
        }
        seen.add(u.code);
      }
    }
  }
  if (problems.length) throw new ListError<ProblemCode>(problems.sort((a, b) => a.line - b.line));
  return rows;
}

/** Rows ordered so that every parent comes before its children, each with its depth (1 = top). */
export function orderByDepth(rows: readonly UnitRow[]): Array<UnitRow & { depth: number }> {
  const byCode = new Map(rows.map((r) => [r.code, r]));
  const depth = new Map<string, number>();
  const depthOf = (r: UnitRow): number => {
    let d = depth.get(r.code);
    if (d === undefined) {
      d = r.parentCode ? depthOf(byCode.get(r.parentCode)!) + 1 : 1;
      depth.set(r.code, d);
    }
    return d;
  };
  return rows.map((r) => ({ ...r, depth: depthOf(r) })).sort((a, b) => a.depth - b.depth || a.line - b.line);
}
