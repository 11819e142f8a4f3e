// Incident reports for a facility and period, as CSV (for spreadsheets) and PDF (to print,
// sign and file), in Vietnamese or English, with times in the reader's time zone.
import { toCsv } from '../util/csv.js';
import { pdfDocument } from '../util/pdf.js';
import type { IncidentView } from './IncidentService.js';

export type ExportLang = 'vi' | 'en';

const TEXT = {
  vi: {
    title: 'Báo cáo sự cố camera giám sát',
    period: 'Thời gian', facility: 'Cơ sở', all: 'Tất cả cơ sở trong phạm vi', count: 'Số sự cố', generated: 'Lập lúc', exportedBy: 'Người xuất',
    zone: 'giờ',
    columns: ['Mã', 'Thời điểm', 'Tỉnh/Thành phố', 'Địa bàn', 'Cơ sở', 'Camera', 'Loại', 'Ghi chú', 'Người báo', 'Trạng thái', 'Xử lý lúc', 'Người xử lý', 'Kết quả xử lý', 'Số bình luận'],
    status: { OPEN: 'Đang mở', RESOLVED: 'Đã xử lý' },
    category: {
      PERSON_LEFT_ROOM: 'Người cách ly rời phòng', MISSING_MASK: 'Không đeo khẩu trang', UNAUTHORISED_VISITOR: 'Người lạ vào khu cách ly',
      STAFF_PROTOCOL_BREACH: 'Nhân viên vi phạm quy trình', CAMERA_TAMPERING: 'Camera bị che, xoay hoặc phá', OTHER: 'Khác',
    },
    none: 'Không có sự cố nào trong thời gian này.',
  },
  en: {
    title: 'Supervision camera incident report',
    period: 'Period', facility: 'Facility', all: 'All facilities in scope', count: 'Incidents', generated: 'Generated', exportedBy: 'Exported by',
    zone: 'time zone',
    columns: ['Id', 'Time', 'Province', 'Local unit', 'Facility', 'Camera', 'Category', 'Note', 'Filed by', 'Status', 'Resolved at', 'Resolved by', 'Resolution', 'Comments'],
    status: { OPEN: 'Open', RESOLVED: 'Resolved' },
    category: {
      PERSON_LEFT_ROOM: 'Person left their room', MISSING_MASK: 'Missing mask', UNAUTHORISED_VISITOR: 'Unauthorised visitor',
      STAFF_PROTOCOL_BREACH: 'Staff protocol breach', CAMERA_TAMPERING: 'Camera tampering', OTHER: 'Other',
    },
    none: 'No incidents in this period.',
  },
} as const;

export interface ExportOptions {
  lang: ExportLang;
  timeZone: string;
  from: Date;
  to: Date;
  facilityName: string | null;
  /** Who exported it ("Full Name (username)") and when: printed on the report and burnt into its frames. */
  exportedBy: string;
  exportedAt: Date;
}

function formatter(o: ExportOptions): (d: Date | null) => string {
  const f = new Intl.DateTimeFormat(o.lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: o.timeZone, dateStyle: 'short', timeStyle: 'medium' });
  return (d) => (d ? f.format(d) : '');
}

/**
 * `YYYY-MM-DD HH:MM:SS` in the export's time zone: sorts as text and reads the same in every
 * spreadsheet locale (the zone is named in the column header).
 */
export function sortableTime(timeZone: string): (d: Date | null) => string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return (d) => {
    if (!d) return '';
    const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  };
}

/** The zone's name and its offset at `at`, e.g. "Asia/Ho_Chi_Minh UTC+07:00" (no comma: it heads a CSV column). */
function zoneLabel(timeZone: string, at: Date): string {
  const offset = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${timeZone} ${offset.replace('GMT', 'UTC') || 'UTC'}`;
}

/** The frame text burnt into exported pictures. */
export function exportMark(o: ExportOptions): string {
  return `${o.exportedBy} · ${sortableTime(o.timeZone)(o.exportedAt)}`;
}

export function categoryLabel(lang: ExportLang, category: IncidentView['category']): string {
  return TEXT[lang].category[category];
}

export function incidentsCsv(rows: IncidentView[], o: ExportOptions): string {
  const tx = TEXT[o.lang];
  const when = sortableTime(o.timeZone);
  const zone = `(${tx.zone} ${zoneLabel(o.timeZone, o.exportedAt)})`;
  // The time columns (occurred, resolved) name their zone.
  const header = tx.columns.map((c, i) => (i === 1 || i === 10 ? `${c} ${zone}` : c));
  return toCsv([
    header,
    ...rows.map((r) => [
      r.id, when(r.occurredAt), r.provinceName ?? '', r.localUnitName ?? '', r.facilityName ?? '', r.cameraName, tx.category[r.category], r.note,
      r.createdBy.fullName, tx.status[r.status], when(r.resolvedAt), r.resolvedBy ?? '', r.resolution ?? '', r.comments,
    ]),
  ]);
}


/**
 * The report as a PDF: a header naming who exported it and when, then one block per incident
 * with its snapshot when there is one (the caller passes frames already watermarked).
 */
export function incidentsPdf(rows: IncidentView[], snapshots: Map<string, Buffer>, o: ExportOptions): Promise<Buffer> {
  const tx = TEXT[o.lang];
  const when = formatter(o);
  const { doc, done } = pdfDocument({ size: 'A4', margin: 48, info: { Title: tx.title } });
  doc.fontSize(16).text(tx.title);
  doc.moveDown(0.3).fontSize(10)
    .text(`${tx.facility}: ${o.facilityName ?? tx.all}`)
    .text(`${tx.period}: ${when(o.from)} – ${when(o.to)}`)
    .text(`${tx.count}: ${rows.length}`)
    .text(`${tx.generated}: ${when(o.exportedAt)}`)
    .text(`${tx.exportedBy}: ${o.exportedBy}`);
  doc.moveDown();
  if (rows.length === 0) doc.fontSize(11).text(tx.none);
  const [, time, , , facility, camera, category, note, filedBy, status, , resolvedBy, resolution] = tx.columns;
  for (const r of rows) {
    const image = snapshots.get(r.id);
    if (doc.y > doc.page.height - (image ? 300 : 160)) doc.addPage();
    doc.moveTo(48, doc.y).lineTo(doc.page.width - 48, doc.y).strokeColor('#999999').stroke().moveDown(0.4);
    doc.fontSize(12).text(`${tx.category[r.category]} — ${tx.status[r.status]}`);
    doc.fontSize(9)
      .text(`${time}: ${when(r.occurredAt)}    ${camera}: ${r.cameraName}`)
      .text(`${facility}: ${[r.facilityName, r.localUnitName, r.provinceName].filter(Boolean).join(', ')}`)
      .text(`${filedBy}: ${r.createdBy.fullName}    ${category}: ${tx.category[r.category]}`)
      .text(`${note}: ${r.note}`);
    if (r.status === 'RESOLVED') doc.text(`${status}: ${tx.status[r.status]} — ${when(r.resolvedAt)} — ${resolvedBy}: ${r.resolvedBy ?? ''} — ${resolution}: ${r.resolution ?? ''}`);
    if (image) {
      try {
        doc.moveDown(0.3).image(image, { fit: [260, 160] });
      } catch {
        doc.text('(snapshot unreadable)');
      }
    }
    doc.moveDown();
  }
  doc.end();
  return done;
}
