// A leak investigation's answer as files for the case: an XLSX workbook (to sort and contact
// people from) and a PDF (to print, sign and file), in Vietnamese or English, naming who
// exported it and when, and whether the audit chain verified at that moment.
import ExcelJS from 'exceljs';
import { pdfDocument, pdfTable } from '../util/pdf.js';
import type { InvestigationAnswer, WatchKind, WatchRecord } from './ViewInvestigation.js';

export type Lang = 'vi' | 'en';

export interface InvestigationExportOptions {
  lang: Lang;
  exportedBy: string;
  exportedAt: Date;
  /** The chain's state when the file was made: "verified (N entries)" or where it breaks. */
  chain: { ok: boolean; checked: number; brokenAt?: string };
}

const TEXT = {
  vi: {
    titleCamera: 'Danh sách người đã xem camera', titlePerson: 'Những gì một người đã xem',
    camera: 'Camera', person: 'Người xem', period: 'Thời gian (giờ Việt Nam)', exportedBy: 'Người xuất', exportedAt: 'Thời điểm xuất',
    chainOk: (n: number) => `Chuỗi nhật ký kiểm toán toàn vẹn (${n} mục)`, chainBroken: (at: string) => `CẢNH BÁO: chuỗi nhật ký kiểm toán bị phá vỡ tại mục ${at}`,
    truncated: 'Kết quả bị cắt bớt: hãy thu hẹp khoảng thời gian.', none: 'Không có ai xem trong khoảng thời gian này.',
    columns: ['Hình thức', 'Họ và tên', 'Tên đăng nhập', 'Cơ quan', 'Chức vụ', 'Điện thoại', 'Email', 'Camera', 'Cơ sở', 'Bắt đầu', 'Kết thúc', 'Địa chỉ máy', 'Trình duyệt', 'Chi tiết'],
    kind: { live: 'Xem trực tiếp', recording: 'Xem lại bản ghi', snapshot: 'Ảnh chụp', other: 'Tư liệu khác' } as Record<WatchKind, string>,
    open: 'đang xem', recorded: 'ghi lúc', stream: { main: 'luồng chính', sub: 'luồng phụ' } as Record<string, string>,
  },
  en: {
    titleCamera: 'People who watched a camera', titlePerson: 'What one person watched',
    camera: 'Camera', person: 'Person', period: 'Period (Vietnam time)', exportedBy: 'Exported by', exportedAt: 'Exported at',
    chainOk: (n: number) => `Audit chain verified (${n} entries)`, chainBroken: (at: string) => `WARNING: the audit chain is broken at entry ${at}`,
    truncated: 'The answer was cut short: narrow the period.', none: 'Nobody watched during this period.',
    columns: ['How', 'Full name', 'Username', 'Organization', 'Position', 'Phone', 'Email', 'Camera', 'Facility', 'Start', 'End', 'Client address', 'Browser', 'Detail'],
    kind: { live: 'Live view', recording: 'Recording played', snapshot: 'Snapshot', other: 'Other material' } as Record<WatchKind, string>,
    open: 'still watching', recorded: 'recorded', stream: { main: 'main stream', sub: 'sub-stream' } as Record<string, string>,
  },
} as const;

const vnTime = (d: Date) => new Date(d.getTime() + 7 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);

function cells(r: WatchRecord, lang: Lang): string[] {
  const tx = TEXT[lang];
  const detail = r.kind === 'recording' && r.recordedFrom
    ? `${tx.recorded} ${vnTime(r.recordedFrom)}${r.recordedTo ? ` – ${vnTime(r.recordedTo).slice(11)}` : ''}`
    : r.kind === 'live' ? (tx.stream[r.detail ?? ''] ?? r.detail ?? '') : (r.detail ?? '');
  return [tx.kind[r.kind], r.person.fullName, r.person.username, r.person.organization, r.person.position, r.person.phone, r.person.email,
    r.camera.name, r.camera.facility ?? '', vnTime(r.startedAt), r.endedAt ? vnTime(r.endedAt) : tx.open, r.address, r.userAgent, detail];
}

function heading(a: InvestigationAnswer, o: InvestigationExportOptions): { title: string; lines: string[] } {
  const tx = TEXT[o.lang];
  const subject = a.camera
    ? `${tx.camera}: ${a.camera.name}${a.camera.facility ? ` (${a.camera.facility})` : ''}`
    : `${tx.person}: ${a.person!.fullName} (${a.person!.username}), ${a.person!.position}, ${a.person!.organization}, ${a.person!.phone}, ${a.person!.email}`;
  return {
    title: a.camera ? tx.titleCamera : tx.titlePerson,
    lines: [
      subject,
      `${tx.period}: ${vnTime(a.from)} – ${vnTime(a.to)}`,
      `${tx.exportedBy}: ${o.exportedBy} · ${tx.exportedAt}: ${vnTime(o.exportedAt)}`,
      o.chain.ok ? tx.chainOk(o.chain.checked) : tx.chainBroken(o.chain.brokenAt ?? '?'),
      ...(a.truncated ? [tx.truncated] : []),
    ],
  };
}

export async function investigationXlsx(a: InvestigationAnswer, o: InvestigationExportOptions): Promise<Buffer> {
  const tx = TEXT[o.lang];
  const { title, lines } = heading(a, o);
  const wb = new ExcelJS.Workbook();
  wb.creator = o.exportedBy;
  wb.created = o.exportedAt;
  const ws = wb.addWorksheet(title.slice(0, 31), { views: [{ state: 'frozen', ySplit: lines.length + 2 }] });
  ws.addRow([title]).font = { bold: true, size: 14 };
  for (const l of lines) ws.addRow([l]);
  ws.addRow([...tx.columns]).font = { bold: true };
  for (const r of a.rows) ws.addRow(cells(r, o.lang));
  const widths = [16, 24, 16, 28, 18, 14, 26, 24, 24, 20, 20, 16, 30, 30];
  ws.columns.forEach((c, i) => { c.width = widths[i] ?? 16; });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function investigationPdf(a: InvestigationAnswer, o: InvestigationExportOptions): Promise<Buffer> {
  const tx = TEXT[o.lang];
  const { title, lines } = heading(a, o);
  const { doc, done } = pdfDocument({ size: 'A4', layout: 'landscape', margin: 30, info: { Title: title } });
  doc.fontSize(15).text(title);
  doc.moveDown(0.2).fontSize(9);
  for (const l of lines) doc.text(l);
  doc.moveDown(0.6);
  // The browser column is left to the XLSX: on paper it crowds out the contacts.
  const keep = [0, 1, 3, 4, 5, 6, 7, 9, 10, 11, 13];
  const widths = [56, 84, 86, 58, 62, 96, 78, 60, 60, 54, 88];
  const pick = (row: readonly string[]) => keep.map((i) => row[i] ?? '');
  pdfTable(doc, { x: 30, bottom: 30, widths, fontSize: 7.5 }, pick(tx.columns), a.rows.map((r) => pick(cells(r, o.lang))));
  if (a.rows.length === 0) doc.moveDown(0.5).fontSize(10).text(tx.none, 30);
  doc.end();
  return done;
}
