// The printable activation sheet: what a focal point hands to an approved person when the
// deployment sends no email. One page per person: who they are, their username and role, the
// one-time link as text and as a QR code a phone opens, and until when it works.
import QRCode from 'qrcode';
import { pdfDocument } from '../util/pdf.js';

export interface SheetPerson {
  fullName: string;
  position: string;
  organization: string;
  username: string;
  role: string;
  scope: string;
  link: string;
  expiresAt: Date;
}

const TEXT = {
  vi: {
    title: 'Phiếu kích hoạt tài khoản giám sát camera',
    fields: ['Họ và tên', 'Chức vụ', 'Đơn vị', 'Tên đăng nhập', 'Vai trò', 'Phạm vi'],
    steps: 'Quét mã QR bằng điện thoại hoặc mở đường dẫn dưới đây, đặt mật khẩu, rồi đăng nhập. Đường dẫn chỉ dùng được một lần.',
    until: 'Hết hạn',
    warn: 'Giữ phiếu này kín: ai có đường dẫn đều có thể kích hoạt tài khoản. Hủy phiếu sau khi kích hoạt.',
  },
  en: {
    title: 'Camera supervision account activation sheet',
    fields: ['Full name', 'Position', 'Organization', 'Username', 'Role', 'Scope'],
    steps: 'Scan the QR code with a phone or open the link below, set a password, then sign in. The link works once.',
    until: 'Expires',
    warn: 'Keep this sheet private: anyone holding the link can activate the account. Destroy it once the account is activated.',
  },
} as const;

export async function activationSheetPdf(p: SheetPerson, lang: 'vi' | 'en'): Promise<Buffer> {
  const tx = TEXT[lang];
  const { doc, done } = pdfDocument({ size: 'A4', margin: 56, info: { Title: `${tx.title}: ${p.username}` } });
  doc.fontSize(17).text(tx.title);
  doc.moveDown();
  const values = [p.fullName, p.position, p.organization, p.username, p.role, p.scope];
  doc.fontSize(11);
  tx.fields.forEach((f, i) => doc.text(`${f}: `, { continued: true }).text(values[i]!));
  doc.moveDown();
  doc.text(tx.steps);
  doc.moveDown(0.5);
  // The QR code drawn as squares: sharp at any print size, no image library.
  const qr = QRCode.create(p.link, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const cell = Math.min(5, 200 / n);
  const x0 = doc.page.margins.left;
  const y0 = doc.y;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.modules.get(r, c)) doc.rect(x0 + c * cell, y0 + r * cell, cell, cell);
  }
  doc.fill('#000');
  doc.y = y0 + n * cell + 12;
  doc.x = x0;
  doc.fontSize(9).text(p.link, { link: p.link });
  doc.moveDown();
  doc.fontSize(11).text(`${tx.until}: ${p.expiresAt.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' })}`);
  doc.moveDown();
  doc.fontSize(10).fillColor('#a00').text(tx.warn);
  doc.end();
  return done;
}
