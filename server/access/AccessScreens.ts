// Read models for screens, built on the access decisions: the places tree, the person's own
// record and pages, the saved wall, the inspector's spot checks. Each shows only what the
// person may see now.
import { AppError, ErrorCode } from '../errors.js';
import type { AccessRepository } from './access.repository.js';
import { pagesFor } from './permissions.js';
import type { AccessService, Caller } from './AccessService.js';

export class AccessScreens {
  readonly repo: AccessRepository;
  readonly #decisions: AccessService;

  constructor(repo: AccessRepository, decisions: AccessService) {
    this.repo = repo;
    this.#decisions = decisions;
  }

  /**
   * The places tree the caller may see: administrative units (as many levels as the list
   * has) > facility > cameras, holding only cameras the caller may watch now (and nothing else
   * of the hierarchy).
   */
  async placesTree(caller: Caller) {
    const subject = await this.#decisions.subject(caller.userId);
    if (!subject) throw new AppError(ErrorCode.Unauthenticated, 'account not found');
    type Node = { id: string; name: string };
    type FacilityNode = Node & { kind: string; siteType: string | null; cameras: Node[] };
    type UnitNode = Node & { level: string; units: UnitNode[]; facilities: FacilityNode[] };
    const facilities = new Map<string, FacilityNode & { path: string[] }>();
    const unassigned: Node[] = [];
    // Decided on the place index first: only the visible cameras' names are read.
    const visible = await this.#decisions.visibleSet(caller.userId);
    const { cameras, units: unitRows } = await this.repo.treeRows([...visible]);
    for (const c of cameras) {
      const f = c.facility;
      if (!f) {
        unassigned.push({ id: c.id, name: c.name });
        continue;
      }
      const fn = facilities.get(f.id) ?? { id: f.id, name: f.name, kind: f.kind, siteType: f.siteType, cameras: [], path: f.unit.path };
      facilities.set(f.id, fn);
      fn.cameras.push({ id: c.id, name: c.name });
    }
    const nodes = new Map<string, UnitNode>(unitRows.map((u) => [u.id, { id: u.id, name: u.name, level: u.level, units: [], facilities: [] }]));
    const top: UnitNode[] = [];
    for (const u of unitRows) {
      const parent = u.parentId ? nodes.get(u.parentId) : undefined;
      (parent ? parent.units : top).push(nodes.get(u.id)!);
    }
    for (const { path, ...f } of facilities.values()) nodes.get(path[path.length - 1]!)?.facilities.push(f);
    const byName = <T extends Node>(xs: T[]) => xs.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
    const sortDeep = (xs: UnitNode[]): UnitNode[] => byName(xs).map((u) => ({ ...u, units: sortDeep(u.units), facilities: byName(u.facilities) }));
    return { units: sortDeep(top), unassignedCameras: unassigned };
  }

  /**
   * GET /api/me: the caller's own record for the client: who they are, their roles (with the scope's name
   * and state), the pages they may use and the one they land on, and, when no role is live,
   * whom to ask (the person who granted the latest one).
   */
  async profile(caller: Caller) {
    const [p, subject] = await Promise.all([this.repo.profile(caller.userId), this.#decisions.subject(caller.userId)]);
    const now = new Date();
    const names = await this.repo.scopeNames(p.assignments.flatMap((a) => (a.scopeId ? [a.scopeId] : [])));
    const assignments = p.assignments.map(({ grantedBy: _g, ...a }) => ({
      ...a,
      scopeName: a.scopeId ? names.get(a.scopeId) ?? null : null,
      state: a.revokedAt ? 'revoked' as const : a.expiresAt && a.expiresAt <= now ? 'expired' as const : 'active' as const,
    }));
    const { pages, home, rolesEnded } = pagesFor(subject ?? { userId: p.id, status: p.status, assignments: [], spotChecks: [] }, now);
    const granter = p.assignments.find((a) => a.grantedBy)?.grantedBy;
    const contact = rolesEnded && granter
      ? { fullName: granter.fullName, position: granter.position, phone: granter.phone, email: granter.email, organization: granter.organization.name }
      : null;
    return { ...p, assignments, pages, home, rolesEnded, contact };
  }

  /**
   * The caller's saved video wall. Tiles holding a camera the caller may no longer watch come
   * back empty: a saved wall never tells that a camera exists.
   */
  async wall(caller: Caller): Promise<{ layout: number; tiles: Array<string | null>; updatedAt: Date | null }> {
    const saved = await this.repo.wall(caller.userId);
    if (!saved) return { layout: 4, tiles: [], updatedAt: null };
    const tiles = Array.isArray(saved.tiles) ? (saved.tiles as unknown[]) : [];
    const allowed = await this.#decisions.visibleSet(caller.userId, tiles.filter((id): id is string => typeof id === 'string'));
    return { layout: saved.layout, tiles: tiles.map((id) => (typeof id === 'string' && allowed.has(id) ? id : null)), updatedAt: saved.updatedAt };
  }

  async saveWall(caller: Caller, wall: { layout: number; tiles: Array<string | null> }) {
    const saved = await this.repo.saveWall(caller.userId, wall.layout, wall.tiles);
    return { layout: saved.layout, tiles: saved.tiles as Array<string | null>, updatedAt: saved.updatedAt };
  }

  /**
   * The caller's spot checks that have not ended, with the cameras each opens (those the
   * caller may watch once it runs): what an inspector picks from, with the time left.
   */
  async spotChecks(caller: Caller) {
    const now = new Date();
    const rows = await this.repo.openSpotChecks(caller.userId, now);
    const cameras = await this.repo.camerasIn(rows.flatMap((s) => (s.facilityId ? [s.facilityId] : [])), rows.flatMap((s) => s.cameraIds));
    return rows.map((s) => ({
      id: s.id,
      facilityId: s.facilityId,
      facilityName: s.facility?.name ?? null,
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      reason: s.reason,
      cameraIds: cameras.filter((c) => s.cameraIds.includes(c.id) || (s.facilityId !== null && c.facilityId === s.facilityId)).map((c) => c.id),
    }));
  }
}
