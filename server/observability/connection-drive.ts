// The connection drive: the source documents set a date by which every facility is to be
// connected, and asked provinces to report which are not yet and why. Per facility in the
// caller's scope: cameras expected, registered and live now, uptime over the period, the
// survey status, days left or overdue against its connect-by date, and its installers; the
// same summed per administrative unit (every level); the facilities not yet connected, most
// overdue first; and how many facilities were connected on each day of the period.
import type { Place } from '../places/place.js';
import { buildUptimeReport } from './uptime-report.js';
import type { UptimeRepository } from './uptime.repository.js';

export interface DriveQuery {
  from: Date;
  to: Date;
  /** Does the caller's scope cover this place? */
  covers(place: Place): boolean;
  /** Is the camera's main stream live right now? */
  liveNow(cameraId: string): boolean;
  /** "Today", for days left (a calendar day in UTC+7, where the deadlines are set). */
  now: Date;
}

export interface DriveFacility {
  id: string;
  name: string;
  kind: string;
  units: string[];
  /** The units holding it, most local first. */
  place: string;
  camerasExpected: number;
  camerasRegistered: number;
  camerasLive: number;
  uptime: number | null;
  surveyStatus: string;
  surveyNote: string | null;
  connectBy: string | null;
  /** Days until the deadline (negative: overdue); null without a deadline. */
  daysLeft: number | null;
  /** Connected: at least one camera live now and every expected camera registered. */
  connected: boolean;
  installers: Array<{ fullName: string; phone: string; organization: string }>;
}

export interface DriveUnit {
  id: string;
  name: string;
  level: string;
  depth: number;
  parentId: string | null;
  facilities: number;
  connectedFacilities: number;
  camerasExpected: number;
  camerasRegistered: number;
  camerasLive: number;
  uptime: number | null;
}

export interface ConnectionDrive {
  from: string;
  to: string;
  units: DriveUnit[];
  facilities: DriveFacility[];
  /** Facilities not connected, most overdue first (no deadline last). */
  notConnected: DriveFacility[];
  /** Facilities with a camera that had gone live by the end of each day of the period. */
  perDay: Array<{ day: string; connected: number }>;
}

const DAY = 86_400_000;
/** Deadlines are Vietnamese calendar days. */
const VN_OFFSET = 7 * 3_600_000;
const vnDay = (d: Date) => new Date(d.getTime() + VN_OFFSET).toISOString().slice(0, 10);

export async function buildConnectionDrive(repo: UptimeRepository, q: DriveQuery): Promise<ConnectionDrive> {
  const [facilities, installers, firstLive, uptime] = await Promise.all([
    repo.driveFacilities(), repo.installers(), repo.firstLive(),
    buildUptimeReport(repo, { from: q.from, to: q.to, threshold: 0, covers: q.covers }),
  ]);
  const uptimeOf = new Map(uptime.facilities.map((f) => [f.id, f.uptime]));
  const inScope = facilities.filter((f) => q.covers({ facilityId: f.id, facilityKind: f.kind, units: f.unit.path }));
  const names = new Map((await repo.units([...new Set(inScope.flatMap((f) => f.unit.path))])).map((u) => [u.id, u]));
  const today = Date.parse(`${vnDay(q.now)}T00:00:00Z`);

  const rows: DriveFacility[] = inScope.map((f) => {
    const live = f.cameras.filter((c) => q.liveNow(c.id)).length;
    const connectBy = f.connectBy ? f.connectBy.toISOString().slice(0, 10) : null;
    return {
      id: f.id, name: f.name, kind: f.kind, units: f.unit.path,
      place: [...f.unit.path].reverse().map((id) => names.get(id)?.name ?? '').join(', '),
      camerasExpected: f.camerasExpected, camerasRegistered: f.cameras.length, camerasLive: live,
      uptime: uptimeOf.get(f.id) ?? null,
      surveyStatus: f.surveyStatus, surveyNote: f.surveyNote, connectBy,
      daysLeft: connectBy ? Math.round((Date.parse(`${connectBy}T00:00:00Z`) - today) / DAY) : null,
      connected: live > 0 && f.cameras.length >= f.camerasExpected,
      installers: installers
        .filter((a) => (a.scopeType === 'FACILITY' && a.scopeId === f.id) || (a.scopeType === 'UNIT' && a.scopeId !== null && f.unit.path.includes(a.scopeId)))
        .map((a) => ({ fullName: a.user.fullName, phone: a.user.phone, organization: a.user.organization.name })),
    };
  });

  const units = new Map<string, DriveUnit>();
  for (const f of rows) {
    for (const id of f.units) {
      const u = names.get(id);
      if (!u) continue;
      const agg = units.get(id) ?? { id, name: u.name, level: u.level, depth: u.depth, parentId: u.parentId, facilities: 0, connectedFacilities: 0, camerasExpected: 0, camerasRegistered: 0, camerasLive: 0, uptime: null };
      agg.facilities++;
      if (f.connected) agg.connectedFacilities++;
      agg.camerasExpected += f.camerasExpected;
      agg.camerasRegistered += f.camerasRegistered;
      agg.camerasLive += f.camerasLive;
      units.set(id, agg);
    }
  }
  const unitUptime = new Map(uptime.units.map((u) => [u.id, u.uptime]));

  // Progress: a facility counts from the day its first camera first went live.
  const connectedOn = inScope.map((f) => Math.min(...f.cameras.map((c) => firstLive.get(c.id)?.getTime() ?? Number.POSITIVE_INFINITY)));
  const perDay: ConnectionDrive['perDay'] = [];
  for (let d = Date.parse(`${vnDay(q.from)}T00:00:00Z`); d <= Date.parse(`${vnDay(q.to)}T00:00:00Z`) && perDay.length < 400; d += DAY) {
    const endOfDay = d + DAY - VN_OFFSET;
    perDay.push({ day: new Date(d).toISOString().slice(0, 10), connected: connectedOn.filter((t) => t < endOfDay).length });
  }

  const byName = <T extends { name: string }>(xs: T[]) => xs.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    units: byName([...units.values()].map((u) => ({ ...u, uptime: unitUptime.get(u.id) ?? null }))).sort((a, b) => a.depth - b.depth),
    facilities: byName(rows),
    notConnected: rows.filter((f) => !f.connected).sort((a, b) => (a.daysLeft ?? Number.POSITIVE_INFINITY) - (b.daysLeft ?? Number.POSITIVE_INFINITY) || a.name.localeCompare(b.name, 'vi')),
    perDay,
  };
}
