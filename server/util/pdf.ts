// PDF documents for the exports: set in a font with Vietnamese glyphs (PDF's built-in fonts
// have none), collected into one buffer.
import fs from 'node:fs';
import PDFDocument from 'pdfkit';
import { AppError, ErrorCode } from '../errors.js';

/** A TrueType font with Vietnamese glyphs (Debian: fonts-dejavu-core); PDF_FONT overrides it. */
export const PDF_FONT = process.env.PDF_FONT ?? '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/**
 * A new document in the Vietnamese-capable font, and the whole file once `doc.end()` is
 * called. Throws a clear error when the font is missing.
 */
export function pdfDocument(options: PDFKit.PDFDocumentOptions): { doc: PDFKit.PDFDocument; done: Promise<Buffer> } {
  if (!fs.existsSync(PDF_FONT)) throw new AppError(ErrorCode.Internal, `PDF export needs a Unicode font at ${PDF_FONT} (Debian: fonts-dejavu-core)`);
  const doc = new PDFDocument({ ...options, info: { Producer: 'giamsat', ...options.info } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('body', PDF_FONT);
  doc.font('body');
  return { doc, done };
}

export interface PdfTableOptions {
  /** Left edge, and the page's bottom margin a row must not cross. */
  x: number;
  bottom: number;
  /** Column widths in points. */
  widths: readonly number[];
  fontSize?: number;
}

/**
 * A header row and data rows in fixed-width columns from the current line: cells wrap, a
 * row that does not fit starts a new page, and empty cells (null) print as a dash.
 */
export function pdfTable(doc: PDFKit.PDFDocument, o: PdfTableOptions, header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): void {
  const draw = (cells: ReadonlyArray<string | number | null>, bold: boolean) => {
    doc.fontSize(o.fontSize ?? 8);
    const texts = cells.map((c) => (c === null ? '–' : String(c)));
    const height = Math.max(...texts.map((t, i) => doc.heightOfString(t || ' ', { width: o.widths[i]! - 4 }))) + 4;
    if (doc.y + height > doc.page.height - o.bottom) doc.addPage();
    const y = doc.y;
    let x = o.x;
    texts.forEach((t, i) => {
      doc.fillColor(bold ? '#000000' : '#222222').text(t, x + 2, y + 2, { width: o.widths[i]! - 4 });
      x += o.widths[i]!;
    });
    doc.moveTo(o.x, y + height).lineTo(x, y + height).strokeColor('#bbbbbb').stroke();
    doc.y = y + height;
    doc.x = o.x;
  };
  draw(header, true);
  for (const r of rows) draw(r, false);
}
