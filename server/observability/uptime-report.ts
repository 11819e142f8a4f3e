// The 24/7 connection report: uptime per camera, facility, district and province over a
// period, and the facilities that are not connected (no camera, never live in the period, or
// below a threshold). The caller's scope is a predicate over places; nothing outside it is
// read into the answer.
import type { Place } from '../access/policy.js';
import { streamUptime, sumUptime, type Transition, type UptimeFigures } from './uptime.js';
import type { ReportFacility, UptimeRepository } from './uptime.repository.js';
import { toCsv } from '../util/csv.js';

export interface CameraUptime extends UptimeFigures {
  id: string;
  name: string;
  facilityId: string | null;
  /** The last failure reason recorded for the camera up to the end of the period. */
  lastError: { at: string; state: string; reason: string } | null;
}

export interface PlaceUptime extends UptimeFigures {
  id: string;
  name: string;
  cameras: number;
  /** Cameras that were live at some time in the period. */
  connectedCameras: number;
}

export interface FacilityUptime extends PlaceUptime {
  kind: ReportFacility['kind'];
  districtId: string;
  provinceId: string;
}

export type Shortfall = 'no-camera' | 'never-connected' | 'below-threshold';

export interface UptimeReport {
  from: string;
  to: string;
  /** Facilities below this uptime (0..1) are listed as shortfalls. */
  threshold: number;
  provinces: PlaceUptime[];
  districts: Array<PlaceUptime & { provinceId: string }>;
  facilities: FacilityUptime[];
  cameras: CameraUptime[];
  shortfalls: Array<{ facilityId: string; facility: string; district: string; province: string; problem: Shortfall; uptime: number | null }>;
}

export interface ReportQuery {
  from: Date;
  to: Date;
  threshold: number;
  /** Does the caller's scope cover this place? */
  covers(place: Place): boolean;
}

/** States whose reason is a failure (a 'connecting' row repeats the reason of the failure it retries). */
const FAILURE_STATES = new Set(['stalled', 'offline']);

export async function buildUptimeReport(repo: UptimeRepository, q: ReportQuery): Promise<UptimeReport> {
  const [facilities, unplaced, initial, transitions] = await Promise.all([
    repo.facilities(), repo.unplacedCameras(), repo.statesAt(q.from), repo.transitions(q.from, q.to),
  ]);
  const byCamera = new Map<string, Transition[]>();
  for (const t of transitions) {
    const list = byCamera.get(t.cameraId) ?? [];
    list.push(t);
    byCamera.set(t.cameraId, list);
  }
  const lastErrors = await lastErrorsOf(repo, q.from, transitions);
  const cameraFigures = (c: { id: string; name: string }, facilityId: string | null): CameraUptime => {
    const own = byCamera.get(c.id) ?? [];
    return { id: c.id, name: c.name, facilityId, ...streamUptime(initial.get(c.id), own, q.from, q.to), lastError: lastErrors.get(c.id) ?? null };
  };

  const cameras: CameraUptime[] = [];
  const facilityRows: FacilityUptime[] = [];
  const districts = new Map<string, { id: string; name: string; provinceId: string; parts: UptimeFigures[]; cameras: number; connected: number }>();
  const provinces = new Map<string, { id: string; name: string; parts: UptimeFigures[]; cameras: number; connected: number }>();
  const shortfalls: UptimeReport['shortfalls'] = [];

  for (const f of facilities) {
    const place: Place = { facilityId: f.id, facilityKind: f.kind, districtId: f.district.id, provinceId: f.district.province.id };
    if (!q.covers(place)) continue;
    const own = f.cameras.map((c) => cameraFigures(c, f.id));
    cameras.push(...own);
    const total = sumUptime(own);
    const connected = own.filter((c) => c.upMs > 0).length;
    facilityRows.push({ id: f.id, name: f.name, kind: f.kind, districtId: f.district.id, provinceId: f.district.province.id, cameras: own.length, connectedCameras: connected, ...total });
    const d = districts.get(f.district.id) ?? { id: f.district.id, name: f.district.name, provinceId: f.district.province.id, parts: [], cameras: 0, connected: 0 };
    const p = provinces.get(f.district.province.id) ?? { id: f.district.province.id, name: f.district.province.name, parts: [], cameras: 0, connected: 0 };
    for (const agg of [d, p]) {
      agg.parts.push(total);
      agg.cameras += own.length;
      agg.connected += connected;
    }
    districts.set(d.id, d);
    provinces.set(p.id, p);
    const problem: Shortfall | undefined = own.length === 0 ? 'no-camera'
      : connected === 0 ? 'never-connected'
        : total.uptime !== null && total.uptime < q.threshold ? 'below-threshold' : undefined;
    if (problem) shortfalls.push({ facilityId: f.id, facility: f.name, district: f.district.name, province: f.district.province.name, problem, uptime: total.uptime });
  }
  // Cameras outside any facility belong to the nation scope only.
  if (q.covers({})) for (const c of unplaced) cameras.push(cameraFigures(c, null));

  const byName = <T extends { name: string }>(xs: T[]) => xs.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    threshold: q.threshold,
    provinces: byName([...provinces.values()].map(({ parts, connected, ...p }) => ({ ...p, connectedCameras: connected, ...sumUptime(parts) }))),
    districts: byName([...districts.values()].map(({ parts, connected, ...d }) => ({ ...d, connectedCameras: connected, ...sumUptime(parts) }))),
    facilities: byName(facilityRows),
    cameras: byName(cameras),
    shortfalls,
  };
}

/** The latest failure with a reason per camera, up to the end of the period. */
async function lastErrorsOf(repo: UptimeRepository, from: Date, inPeriod: Transition[]): Promise<Map<string, CameraUptime['lastError']>> {
  const out = new Map<string, CameraUptime['lastError']>();
  for (const t of [...(await repo.lastFailures(from)), ...inPeriod]) {
    if (!FAILURE_STATES.has(t.state) || !t.reason) continue;
    out.set(t.cameraId, { at: t.at.toISOString(), state: t.state, reason: t.reason });
  }
  return out;
}

const HEADER = ['level', 'province', 'district', 'facility', 'camera', 'cameras', 'connected_cameras', 'uptime_percent', 'up_seconds', 'down_seconds', 'unmonitored_seconds', 'outages', 'problem'];

/** The report as CSV (util/csv.ts: BOM, quoting, formula guard). */
export function uptimeCsv(r: UptimeReport): string {
  const provinceName = new Map(r.provinces.map((p) => [p.id, p.name]));
  const district = new Map(r.districts.map((d) => [d.id, d]));
  const facility = new Map(r.facilities.map((f) => [f.id, f]));
  const problems = new Map(r.shortfalls.map((s) => [s.facilityId, s.problem]));
  const row = (level: string, names: [string, string, string, string], f: UptimeFigures, counts: [number | '', number | ''], problem = '') => [
    level, ...names, ...counts, f.uptime === null ? '' : (f.uptime * 100).toFixed(2),
    Math.round(f.upMs / 1000), Math.round(f.downMs / 1000), Math.round(f.unmonitoredMs / 1000), f.outages, problem,
  ];
  const rows: Array<Array<string | number>> = [HEADER];
  for (const p of r.provinces) rows.push(row('province', [p.name, '', '', ''], p, [p.cameras, p.connectedCameras]));
  for (const d of r.districts) rows.push(row('district', [provinceName.get(d.provinceId) ?? '', d.name, '', ''], d, [d.cameras, d.connectedCameras]));
  for (const f of r.facilities) {
    rows.push(row('facility', [provinceName.get(f.provinceId) ?? '', district.get(f.districtId)?.name ?? '', f.name, ''], f, [f.cameras, f.connectedCameras], problems.get(f.id)));
  }
  for (const c of r.cameras) {
    const f = c.facilityId ? facility.get(c.facilityId) : undefined;
    rows.push(row('camera', [f ? provinceName.get(f.provinceId) ?? '' : '', f ? district.get(f.districtId)?.name ?? '' : '', f?.name ?? '', c.name], c, ['', '']));
  }
  return toCsv(rows);
}
