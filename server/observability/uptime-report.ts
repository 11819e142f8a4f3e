// The 24/7 connection report: uptime per camera, facility and administrative unit (every
// level the unit list has: province, district, commune) over a
// period, and the facilities that are not connected (no camera, never live in the period, or
// below a threshold). The caller's scope is a predicate over places; nothing outside it is
// read into the answer.
import type { Place } from '../places/place.js';
import { streamUptime, sumUptime, type Transition, type UptimeFigures } from './uptime.js';
import type { CameraSet, ReportFacility, UptimeRepository } from './uptime.repository.js';
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
  /** The units containing it, top level first (the last is its own unit). */
  units: string[];
}

export interface UnitUptime extends PlaceUptime {
  /** The list's label of its level ("Tỉnh", "Huyện"…) and its depth (1 = top). */
  level: string;
  depth: number;
  parentId: string | null;
}

export type Shortfall = 'no-camera' | 'never-connected' | 'below-threshold';

export interface UptimeReport {
  from: string;
  to: string;
  /** Facilities below this uptime (0..1) are listed as shortfalls. */
  threshold: number;
  /** Every unit holding a facility in scope, of any level. */
  units: UnitUptime[];
  facilities: FacilityUptime[];
  cameras: CameraUptime[];
  /** `place`: the facility's units, most local first ("TP. Pleiku, Tỉnh Gia Lai"). */
  shortfalls: Array<{ facilityId: string; facility: string; place: string; problem: Shortfall; uptime: number | null }>;
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
  // The scope first, then only its cameras' history: a facility leader's report does not read a
  // year of every camera's transitions to keep one facility's.
  const [allFacilities, unplaced] = await Promise.all([repo.facilities(), repo.unplacedCameras()]);
  const nation = q.covers({});
  const facilities = allFacilities.filter((f) => q.covers({ facilityId: f.id, facilityKind: f.kind, units: f.unit.path }));
  const inScope: CameraSet = nation ? 'all' : facilities.flatMap((f) => f.cameras.map((c) => c.id));
  const [initial, transitions] = await Promise.all([repo.statesAt(q.from, inScope), repo.transitions(q.from, q.to, inScope)]);
  const byCamera = new Map<string, Transition[]>();
  for (const t of transitions) {
    const list = byCamera.get(t.cameraId) ?? [];
    list.push(t);
    byCamera.set(t.cameraId, list);
  }
  const lastErrors = await lastErrorsOf(repo, q.from, transitions, inScope);
  const cameraFigures = (c: { id: string; name: string }, facilityId: string | null): CameraUptime => {
    const own = byCamera.get(c.id) ?? [];
    return { id: c.id, name: c.name, facilityId, ...streamUptime(initial.get(c.id), own, q.from, q.to), lastError: lastErrors.get(c.id) ?? null };
  };

  const cameras: CameraUptime[] = [];
  const facilityRows: FacilityUptime[] = [];
  const units = new Map<string, { parts: UptimeFigures[]; cameras: number; connected: number }>();
  const shortfalls: Array<Omit<UptimeReport['shortfalls'][number], 'place'> & { units: string[] }> = [];

  for (const f of facilities) {
    const own = f.cameras.map((c) => cameraFigures(c, f.id));
    cameras.push(...own);
    const total = sumUptime(own);
    const connected = own.filter((c) => c.upMs > 0).length;
    facilityRows.push({ id: f.id, name: f.name, kind: f.kind, units: f.unit.path, cameras: own.length, connectedCameras: connected, ...total });
    for (const id of f.unit.path) {
      const agg = units.get(id) ?? { parts: [], cameras: 0, connected: 0 };
      agg.parts.push(total);
      agg.cameras += own.length;
      agg.connected += connected;
      units.set(id, agg);
    }
    const problem: Shortfall | undefined = own.length === 0 ? 'no-camera'
      : connected === 0 ? 'never-connected'
        : total.uptime !== null && total.uptime < q.threshold ? 'below-threshold' : undefined;
    if (problem) shortfalls.push({ facilityId: f.id, facility: f.name, units: f.unit.path, problem, uptime: total.uptime });
  }
  // Cameras outside any facility belong to the nation scope only.
  if (nation) for (const c of unplaced) cameras.push(cameraFigures(c, null));

  const unitRows = await repo.units([...units.keys()]);
  const name = new Map(unitRows.map((u) => [u.id, u.name]));
  const byName = <T extends { name: string }>(xs: T[]) => xs.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    threshold: q.threshold,
    units: byName(unitRows.map((u) => {
      const { parts, connected, cameras: count } = units.get(u.id)!;
      return { id: u.id, name: u.name, level: u.level, depth: u.depth, parentId: u.parentId, cameras: count, connectedCameras: connected, ...sumUptime(parts) };
    })).sort((a, b) => a.depth - b.depth),
    facilities: byName(facilityRows),
    cameras: byName(cameras),
    shortfalls: shortfalls.map(({ units: path, ...s }) => ({ ...s, place: [...path].reverse().map((id) => name.get(id) ?? '').join(', ') })),
  };
}

/** The latest failure with a reason per camera, up to the end of the period. */
async function lastErrorsOf(repo: UptimeRepository, from: Date, inPeriod: Transition[], cameras: CameraSet): Promise<Map<string, CameraUptime['lastError']>> {
  const out = new Map<string, CameraUptime['lastError']>();
  for (const t of [...(await repo.lastFailures(from, cameras)), ...inPeriod]) {
    if (!FAILURE_STATES.has(t.state) || !t.reason) continue;
    out.set(t.cameraId, { at: t.at.toISOString(), state: t.state, reason: t.reason });
  }
  return out;
}

/**
 * The report as CSV (util/csv.ts: BOM, quoting, formula guard): one row per unit, facility
 * and camera, with one column per unit level (unit_1 the top level, a province) so the file
 * sorts and filters in a spreadsheet whatever depth the unit list has.
 */
export function uptimeCsv(r: UptimeReport): string {
  const unit = new Map(r.units.map((u) => [u.id, u]));
  const facility = new Map(r.facilities.map((f) => [f.id, f]));
  const problems = new Map(r.shortfalls.map((s) => [s.facilityId, s.problem]));
  const depth = Math.max(1, ...r.units.map((u) => u.depth));
  const pathOf = (u: UnitUptime | undefined): string[] => (u ? [...pathOf(u.parentId ? unit.get(u.parentId) : undefined), u.name] : []);
  const places = (names: string[]) => Array.from({ length: depth }, (_, i) => names[i] ?? '');
  const row = (level: string, names: string[], facilityName: string, camera: string, f: UptimeFigures, counts: [number | '', number | ''], problem = '') => [
    level, ...places(names), facilityName, camera, ...counts, f.uptime === null ? '' : (f.uptime * 100).toFixed(2),
    Math.round(f.upMs / 1000), Math.round(f.downMs / 1000), Math.round(f.unmonitoredMs / 1000), f.outages, problem,
  ];
  const header = ['level', ...places([]).map((_, i) => `unit_${i + 1}`), 'facility', 'camera', 'cameras', 'connected_cameras', 'uptime_percent', 'up_seconds', 'down_seconds', 'unmonitored_seconds', 'outages', 'problem'];
  const rows: Array<Array<string | number>> = [header];
  for (const u of r.units) rows.push(row(u.level, pathOf(u), '', '', u, [u.cameras, u.connectedCameras]));
  const facilityPlace = (f: FacilityUptime) => pathOf(unit.get(f.units[f.units.length - 1]!));
  for (const f of r.facilities) rows.push(row('facility', facilityPlace(f), f.name, '', f, [f.cameras, f.connectedCameras], problems.get(f.id)));
  for (const c of r.cameras) {
    const f = c.facilityId ? facility.get(c.facilityId) : undefined;
    rows.push(row('camera', f ? facilityPlace(f) : [], f?.name ?? '', c.name, c, ['', '']));
  }
  return toCsv(rows);
}
