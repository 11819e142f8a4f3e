// CSV for people who open it in a spreadsheet program: RFC 4180 quoting, UTF-8 with a BOM
// (so Vietnamese names read right), CRLF lines, and cells that would run as formulas made
// inert.

/** One table as CSV text, the first row being the header. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return '\ufeff' + rows.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvCell(v: string | number): string {
  const s = String(v);
  // A leading =, +, - or @ would be run as a formula by spreadsheet programs.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
