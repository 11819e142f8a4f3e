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
