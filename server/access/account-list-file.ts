// An account list as a focal point fills it in: a spreadsheet (XLSX) or a CSV with one person
// per line. Reading is pure and judged whole: a file that cannot be read, a missing column or
// too many lines is one problem; the lines' contents are judged by AccountRequests. The
// template the page offers is built here too, so its columns and the reader's are one list.
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ListError, type ListProblem } from '../util/list-problems.js';
import { foldText } from '../util/fold.js';

/** The columns of a list, in the template's order, with the headers accepted for each. */
export const LIST_COLUMNS = [
  { key: 'fullName', vi: 'Họ và tên', en: 'Full name', required: true },
  { key: 'position', vi: 'Chức vụ', en: 'Position', required: true },
  { key: 'phone', vi: 'Điện thoại', en: 'Phone', required: true },
  { key: 'email', vi: 'Email', en: 'Email', required: true },
  { key: 'role', vi: 'Vai trò', en: 'Role', required: true },
  { key: 'scope', vi: 'Phạm vi', en: 'Scope', required: true },
  // Optional: made from the email when empty (see AccountRequests).
  { key: 'username', vi: 'Tên đăng nhập', en: 'Username', required: false },
] as const;
export type ListColumn = (typeof LIST_COLUMNS)[number]['key'];
export type ListLine = { line: number } & Record<ListColumn, string>;

export type FileProblemCode = 'too-large' | 'not-readable' | 'not-utf8' | 'empty-file' | 'missing-column' | 'no-lines' | 'too-many-people';

/** A list is a few hundred people at most (the hourly allowance of one focal point). */
export const MAX_LIST_LINES = 300;
export const MAX_LIST_FILE_BYTES = 2 * 1024 * 1024;
/** What an XLSX may unpack to: a template filled with 300 people is well under 1 MB. */
const MAX_XLSX_UNPACKED = 20 * 1024 * 1024;

const fileProblem = (code: FileProblemCode, message: string, params?: Record<string, string | number>, line = 0): ListError<FileProblemCode> =>
  new ListError([{ line, column: 'file', code, message, ...(params ? { params } : {}) }]);

/** Reads an uploaded list into its lines (line numbers as the person sees them; blank lines skipped). */
export async function readAccountList(bytes: Buffer, format: 'csv' | 'xlsx'): Promise<ListLine[]> {
  if (bytes.length > MAX_LIST_FILE_BYTES) throw fileProblem('too-large', `larger than ${MAX_LIST_FILE_BYTES / 1024 / 1024} MB`, { mb: MAX_LIST_FILE_BYTES / 1024 / 1024 });
  const rows = format === 'csv' ? readCsv(bytes) : await readXlsx(bytes);
  return toLines(rows);
}

function readCsv(bytes: Buffer): Array<{ line: number; cells: string[] }> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fileProblem('not-utf8', 'not UTF-8 text: save the file as "CSV UTF-8", or upload the spreadsheet itself');
  }
  try {
    const records: string[][] = parse(text, { bom: true, relax_column_count: true, trim: true, delimiter: [',', ';', '\t'], skip_empty_lines: false });
    return records.map((cells, i) => ({ line: i + 1, cells }));
  } catch (err) {
    throw fileProblem('not-readable', `not a CSV file (${(err as Error).message})`, undefined, (err as { lines?: number }).lines ?? 0);
  }
}

/**
 * The first worksheet's rows. The archive's own directory is read first: a small file that
 * would unpack to gigabytes (a zip bomb) is refused before anything is unpacked.
 */
async function readXlsx(bytes: Buffer): Promise<Array<{ line: number; cells: string[] }>> {
  const unpacked = zipUnpackedSize(bytes);
  if (unpacked === undefined) throw fileProblem('not-readable', 'not an XLSX spreadsheet');
  if (unpacked > MAX_XLSX_UNPACKED) throw fileProblem('too-large', `the spreadsheet unpacks to more than ${MAX_XLSX_UNPACKED / 1024 / 1024} MB`, { mb: MAX_XLSX_UNPACKED / 1024 / 1024 });
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (err) {
    throw fileProblem('not-readable', `not an XLSX spreadsheet (${(err as Error).message})`);
  }
  const sheet = book.worksheets[0];
  if (!sheet) throw fileProblem('empty-file', 'the spreadsheet has no sheet');
  const rows: Array<{ line: number; cells: string[] }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, line) => {
    if (rows.length > MAX_LIST_LINES + 1) return;
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell);
    });
    rows.push({ line, cells: Array.from(cells, (c) => (c ?? '').trim()) });
  });
  return rows;
}

function cellText(cell: ExcelJS.Cell): string {
  // A phone typed into a number cell loses its leading 0 (0912 345 678 becomes 912345678):
  // Vietnamese numbers have ten digits starting with 0, so nine digits get it back.
  if (cell.type === ExcelJS.ValueType.Number) {
    const digits = String(cell.value);
    return /^[1-9][0-9]{8}$/.test(digits) ? `0${digits}` : digits;
  }
  return cell.text ?? '';
}

/**
 * The sum of the uncompressed sizes a ZIP's central directory declares, or undefined when the
 * bytes are not a ZIP. (Entries whose real size exceeds the declared one fail their check when
 * unpacked.)
 */
function zipUnpackedSize(b: Buffer): number | undefined {
  // The end-of-central-directory record is in the last 22 + 65535 bytes.
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65_535); i--) {
    if (b.readUInt32LE(i) !== 0x06054b50) continue;
    const entries = b.readUInt16LE(i + 10);
    let at = b.readUInt32LE(i + 16);
    let total = 0;
    for (let n = 0; n < entries; n++) {
      if (at + 46 > b.length || b.readUInt32LE(at) !== 0x02014b50) return undefined;
      const size = b.readUInt32LE(at + 24);
      if (size === 0xffffffff) return Infinity; // ZIP64: no spreadsheet of a list needs it
      total += size;
      at += 46 + b.readUInt16LE(at + 28) + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
    }
    return total;
  }
  return undefined;
}

/** Maps the header's names to columns (either language, with or without diacritics) and reads the lines. */
function toLines(rows: Array<{ line: number; cells: string[] }>): ListLine[] {
  const filled = rows.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const [header, ...body] = filled;
  if (!header) throw fileProblem('empty-file', 'the file is empty');
  const names = header.cells.map((h) => foldText(h.trim()));
  const index = new Map<ListColumn, number>();
  const missing: Array<ListProblem<FileProblemCode>> = [];
  for (const c of LIST_COLUMNS) {
    const i = names.findIndex((n) => n === foldText(c.vi) || n === foldText(c.en) || n === foldText(c.key));
    if (i >= 0) index.set(c.key, i);
    else if (c.required) missing.push({ line: header.line, column: c.vi, code: 'missing-column', params: { names: `${c.vi}, ${c.en}` }, message: `missing column "${c.en}" ("${c.vi}")` });
  }
  if (missing.length) throw new ListError(missing);
  if (body.length === 0) throw fileProblem('no-lines', 'the list has no people', undefined, header.line + 1);
  if (body.length > MAX_LIST_LINES) throw fileProblem('too-many-people', `more than ${MAX_LIST_LINES} people: split the list`, { max: MAX_LIST_LINES }, body[MAX_LIST_LINES]!.line);
  return body.map((r) => {
    const line = { line: r.line } as ListLine;
    for (const c of LIST_COLUMNS) line[c.key] = (index.has(c.key) ? r.cells[index.get(c.key)!] ?? '' : '').trim();
    return line;
  });
}

/** What the template's second sheet lists: the roles and scopes this focal point may request. */
export interface TemplateChoices {
  roles: Array<{ label: string; code: string }>;
  scopes: Array<{ name: string; kind: string; code: string }>;
}

/** The template as XLSX: the list sheet (headers, one example line, text-formatted phone column) and the choices. */
export async function listTemplateXlsx(choices: TemplateChoices, lang: 'vi' | 'en'): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet(lang === 'vi' ? 'Danh sách' : 'List');
  sheet.columns = LIST_COLUMNS.map((c) => ({ header: c[lang], key: c.key, width: c.key === 'scope' || c.key === 'fullName' ? 34 : 22, style: { numFmt: '@' } }));
  sheet.getRow(1).font = { bold: true };
  const help = book.addWorksheet(lang === 'vi' ? 'Hướng dẫn' : 'Help');
  help.columns = [{ width: 40 }, { width: 48 }, { width: 40 }];
  help.addRow([lang === 'vi' ? 'Vai trò (ghi tên hoặc mã)' : 'Role (its name or code)', lang === 'vi' ? 'Mã' : 'Code']).font = { bold: true };
  for (const r of choices.roles) help.addRow([r.label, r.code]);
  help.addRow([]);
  help.addRow([lang === 'vi' ? 'Phạm vi (ghi tên hoặc mã)' : 'Scope (its name or code)', lang === 'vi' ? 'Loại' : 'Kind', lang === 'vi' ? 'Mã' : 'Code']).font = { bold: true };
  for (const s of choices.scopes) help.addRow([s.name, s.kind, s.code]);
  help.addRow([]);
  help.addRow([lang === 'vi'
    ? 'Mỗi dòng một người. Tên đăng nhập có thể để trống: hệ thống tạo từ email. Danh sách có dòng sai sẽ bị trả lại cả danh sách, kèm lỗi từng dòng.'
    : 'One person per line. The username may be left empty: it is made from the email. A list with any wrong line is refused whole, with each line\'s errors.']);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The template as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the diacritics). */
export function listTemplateCsv(lang: 'vi' | 'en'): Buffer {
  return Buffer.from(`\ufeff${LIST_COLUMNS.map((c) => c[lang]).join(',')}\r\n`, 'utf8');
}
