// The connection drive as files for the report to the provincial People's Committee: an
// XLSX workbook (by place, not yet connected, every facility, per day) and a PDF, in
// Vietnamese or English, each naming who exported it and when. The same figures as the page.
import ExcelJS from 'exceljs';
import { pdfDocument, pdfTable } from '../util/pdf.js';
import type { ConnectionDrive, DriveFacility } from './connection-drive.js';

export type Lang = 'vi' | 'en';

export interface DriveExportOptions {
  lang: Lang;
  exportedBy: string;
  exportedAt: Date;
}

const TEXT = {
  vi: {
    title: 'Tiến độ kết nối camera', period: 'Kỳ báo cáo', exportedBy: 'Người xuất', exportedAt: 'Thời điểm xuất (giờ Việt Nam)',
    byUnit: 'Theo địa bàn', notConnected: 'Chưa kết nối', facilities: 'Cơ sở', perDay: 'Theo ngày',
    unitCols: ['Địa bàn', 'Cấp', 'Số cơ sở', 'Cơ sở đã kết nối', 'Camera dự kiến', 'Camera đã đăng ký', 'Camera đang trực tuyến', 'Tỷ lệ hoạt động (%)'],
    facilityCols: ['Cơ sở', 'Địa bàn', 'Camera dự kiến', 'Camera đã đăng ký', 'Camera đang trực tuyến', 'Tỷ lệ hoạt động (%)', 'Khảo sát', 'Ghi chú khảo sát', 'Hạn kết nối', 'Số ngày còn lại (âm: quá hạn)', 'Đã kết nối', 'Kỹ thuật phụ trách'],
    dayCols: ['Ngày', 'Số cơ sở đã kết nối'],
    survey: { NOT_SURVEYED: 'Chưa khảo sát', SURVEYED: 'Đã khảo sát', INSTALLING: 'Đang lắp đặt', CONNECTED: 'Đã kết nối', NOT_COOPERATING: 'Không hợp tác' } as Record<string, string>,
    yes: 'Có', no: 'Chưa', none: 'Mọi cơ sở đã kết nối.', overdue: (n: number) => `quá hạn ${n} ngày`, left: (n: number) => `còn ${n} ngày`,
  },
  en: {
    title: 'Camera connection drive', period: 'Period', exportedBy: 'Exported by', exportedAt: 'Exported at (Vietnam time)',
    byUnit: 'By place', notConnected: 'Not connected', facilities: 'Facilities', perDay: 'Per day',
    unitCols: ['Place', 'Level', 'Facilities', 'Facilities connected', 'Cameras expected', 'Cameras registered', 'Cameras live', 'Uptime (%)'],
    facilityCols: ['Facility', 'Place', 'Cameras expected', 'Cameras registered', 'Cameras live', 'Uptime (%)', 'Survey', 'Survey note', 'Connect by', 'Days left (negative: overdue)', 'Connected', 'Installer'],
    dayCols: ['Day', 'Facilities connected'],
    survey: { NOT_SURVEYED: 'Not surveyed', SURVEYED: 'Surveyed', INSTALLING: 'Installing', CONNECTED: 'Connected', NOT_COOPERATING: 'Not cooperating' } as Record<string, string>,
    yes: 'Yes', no: 'No', none: 'Every facility is connected.', overdue: (n: number) => `${n} days overdue`, left: (n: number) => `${n} days left`,
  },
} as const;

const vnTime = (d: Date) => new Date(d.getTime() + 7 * 3_600_000).toISOString().replace('T', ' ').slice(0, 16);
const percent = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);
const installers = (f: DriveFacility) => f.installers.map((i) => `${i.fullName} (${i.phone}, ${i.organization})`).join('; ');

/** One row per unit, indented by depth in its name, in tree order (each unit, then its children). */
function unitRows(d: ConnectionDrive) {
  const children = new Map<string | null, ConnectionDrive['units']>();
  for (const u of d.units) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u]);
  const ids = new Set(d.units.map((u) => u.id));
  const out: Array<{ unit: ConnectionDrive['units'][number]; depth: number }> = [];
  const walk = (u: ConnectionDrive['units'][number], depth: number) => {
    out.push({ unit: u, depth });
    for (const c of children.get(u.id) ?? []) walk(c, depth + 1);
  };
  for (const u of d.units.filter((x) => !x.parentId || !ids.has(x.parentId))) walk(u, 1);
  return out;
}

function facilityCells(f: DriveFacility, lang: Lang): Array<string | number | null> {
  const tx = TEXT[lang];
  return [f.name, f.place, f.camerasExpected, f.camerasRegistered, f.camerasLive, percent(f.uptime), tx.survey[f.surveyStatus] ?? f.surveyStatus,
    f.surveyNote ?? '', f.connectBy ?? '', f.daysLeft, f.connected ? tx.yes : tx.no, installers(f)];
}

export async function connectionDriveXlsx(d: ConnectionDrive, o: DriveExportOptions): Promise<Buffer> {
  const tx = TEXT[o.lang];
  const wb = new ExcelJS.Workbook();
  wb.creator = o.exportedBy;
  wb.created = o.exportedAt;
  const sheet = (name: string, header: readonly string[], rows: Array<Array<string | number | null>>) => {
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 4 }] });
    ws.addRow([tx.title]).font = { bold: true, size: 14 };
    ws.addRow([`${tx.period}: ${vnTime(new Date(d.from))} – ${vnTime(new Date(d.to))}`]);
    ws.addRow([`${tx.exportedBy}: ${o.exportedBy} · ${tx.exportedAt}: ${vnTime(o.exportedAt)}`]);
    ws.addRow([...header]).font = { bold: true };
    for (const r of rows) ws.addRow(r);
    ws.columns.forEach((c, i) => { c.width = i === 0 || i === 1 ? 36 : Math.max(12, (header[i]?.length ?? 10) + 2); });
    return ws;
  };
  sheet(tx.byUnit, tx.unitCols, unitRows(d).map(({ unit: u, depth }) => [`${'  '.repeat(depth - 1)}${u.name}`, u.level, u.facilities, u.connectedFacilities, u.camerasExpected, u.camerasRegistered, u.camerasLive, percent(u.uptime)]));
  sheet(tx.notConnected, tx.facilityCols, d.notConnected.map((f) => facilityCells(f, o.lang)));
  sheet(tx.facilities, tx.facilityCols, d.facilities.map((f) => facilityCells(f, o.lang)));
  sheet(tx.perDay, tx.dayCols, d.perDay.map((p) => [p.day, p.connected]));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function connectionDrivePdf(d: ConnectionDrive, o: DriveExportOptions): Promise<Buffer> {
  const tx = TEXT[o.lang];
  const { doc, done } = pdfDocument({ size: 'A4', layout: 'landscape', margin: 36, info: { Title: tx.title } });
  doc.fontSize(16).text(tx.title);
  doc.moveDown(0.2).fontSize(9)
    .text(`${tx.period}: ${vnTime(new Date(d.from))} – ${vnTime(new Date(d.to))}`)
    .text(`${tx.exportedBy}: ${o.exportedBy} · ${tx.exportedAt}: ${vnTime(o.exportedAt)}`);

  /** A table with fixed column widths; rows wrap and start a new page when needed. */
  const table = (title: string, header: readonly string[], widths: number[], rows: Array<Array<string | number | null>>) => {
    doc.moveDown(0.8).fontSize(12).text(title, 36);
    doc.moveDown(0.2);
    pdfTable(doc, { x: 36, bottom: 36, widths }, header, rows);
  };
  table(tx.byUnit, tx.unitCols, [200, 80, 60, 80, 80, 80, 80, 80],
    unitRows(d).map(({ unit: u, depth }) => [`${'   '.repeat(depth - 1)}${u.name}`, u.level, u.facilities, u.connectedFacilities, u.camerasExpected, u.camerasRegistered, u.camerasLive, percent(u.uptime)]));
  const lateCols = [tx.facilityCols[0]!, tx.facilityCols[1]!, tx.facilityCols[2]!, tx.facilityCols[3]!, tx.facilityCols[4]!, tx.facilityCols[6]!, tx.facilityCols[8]!, tx.facilityCols[11]!];
  const line = (f: DriveFacility) => [f.name, f.place, f.camerasExpected, f.camerasRegistered, f.camerasLive,
    (tx.survey[f.surveyStatus] ?? f.surveyStatus) + (f.surveyNote ? ` – ${f.surveyNote}` : ''),
    f.connectBy ? `${f.connectBy} (${f.daysLeft! < 0 ? tx.overdue(-f.daysLeft!) : tx.left(f.daysLeft!)})` : '–', installers(f) || '–'];
  const widths = [130, 120, 55, 55, 55, 120, 110, 125];
  if (d.notConnected.length) table(tx.notConnected, lateCols, widths, d.notConnected.map(line));
  else doc.moveDown(0.8).fontSize(11).text(`${tx.notConnected}: ${tx.none}`, 36);
  table(tx.perDay, tx.dayCols, [100, 120], d.perDay.map((p) => [p.day, p.connected]));
  table(tx.facilities, lateCols, widths, d.facilities.map(line));
  doc.end();
  return done;
}
