// The only code that reads and writes administrative units.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../db/generated/client.js';
import { orderByDepth, type UnitRow } from './unit-list.js';

/** What an import did (or, for a dry run, would do). */
export interface ImportOutcome {
  total: number;
  created: number;
  /** Name, level or parent changed. */
  updated: number;
  unchanged: number;
  /** Back on the list after having been retired. */
  restored: number;
  /** Left the list while something still hangs on them: kept, marked retired. */
  retired: number;
  /** Left the list with nothing hanging on them: removed. */
  deleted: number;
}

interface Existing {
  id: string;
  code: string;
  name: string;
  level: string;
  parentId: string | null;
  path: string[];
  depth: number;
  retiredAt: Date | null;
}

// One import at a time in the whole cluster (two would each retire what the other adds).
const IMPORT_LOCK = 72_707_102;

export class UnitsRepository {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  count(): Promise<number> {
    return this.#prisma.adminUnit.count();
  }

  /**
   * Replaces the registry with `rows` (already checked by parseUnitList) in one transaction:
   * units are matched by code, so a unit keeps its id (and so its facilities, organizations,
   * role assignments and audit trail) across imports whatever its new name or parent. A unit
   * missing from the list is retired while anything hangs on it (facilities, organizations,
   * role assignments, account requests, a kept child), deleted otherwise. `ids` fixes the id
   * of new units by code (the demo's fixed ids). With `dryRun` nothing is written.
   */
  async importUnits(rows: readonly UnitRow[], opts: { dryRun?: boolean; ids?: ReadonlyMap<string, string> } = {}): Promise<ImportOutcome> {
    const ordered = orderByDepth(rows);
    return this.#prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${IMPORT_LOCK})`);
      const existing = new Map<string, Existing>((await tx.adminUnit.findMany()).map((u) => [u.code, u]));
      const listed = new Set(ordered.map((r) => r.code));
      const idOf = new Map<string, string>();
      for (const r of ordered) idOf.set(r.code, existing.get(r.code)?.id ?? opts.ids?.get(r.code) ?? randomUUID());

      // Units that left the list: kept (retired) when something hangs on them.
      const gone = [...existing.values()].filter((u) => !listed.has(u.code));
      const goneIds = gone.map((u) => u.id);
      const hanging = new Set<string>();
      if (goneIds.length) {
        const [facilities, orgs, grants, requests] = await Promise.all([
          tx.facility.findMany({ where: { unitId: { in: goneIds } }, select: { unitId: true }, distinct: ['unitId'] }),
          tx.organization.findMany({ where: { unitId: { in: goneIds } }, select: { unitId: true }, distinct: ['unitId'] }),
          tx.roleAssignment.findMany({ where: { scopeType: 'UNIT', scopeId: { in: goneIds } }, select: { scopeId: true }, distinct: ['scopeId'] }),
          tx.accountRequest.findMany({ where: { scopeType: 'UNIT', scopeId: { in: goneIds } }, select: { scopeId: true }, distinct: ['scopeId'] }),
        ]);
        for (const x of [...facilities.map((f) => f.unitId), ...orgs.map((o) => o.unitId), ...grants.map((g) => g.scopeId), ...requests.map((q) => q.scopeId)]) if (x) hanging.add(x);
      }
      // A kept unit keeps its parent: walk up from each hanging unit through the gone ones.
      const byId = new Map([...existing.values()].map((u) => [u.id, u]));
      const kept = new Set<string>();
      for (const id of hanging) {
        for (let u = byId.get(id); u && !listed.has(u.code) && !kept.has(u.id); u = u.parentId ? byId.get(u.parentId) : undefined) kept.add(u.id);
      }
      const retire = gone.filter((u) => kept.has(u.id));
      const remove = gone.filter((u) => !kept.has(u.id));

      // Parents and paths as they will be: listed units from the list, kept ones as they were.
      const parentOf = new Map<string, string | null>();
      for (const r of ordered) parentOf.set(idOf.get(r.code)!, r.parentCode ? idOf.get(r.parentCode)! : null);
      for (const u of retire) parentOf.set(u.id, u.parentId);
      const paths = new Map<string, string[]>();
      const pathOf = (id: string): string[] => {
        let p = paths.get(id);
        if (!p) {
          const parent = parentOf.get(id);
          p = parent ? [...pathOf(parent), id] : [id];
          paths.set(id, p);
        }
        return p;
      };

      const create: Array<{ id: string; code: string; name: string; level: string; parentId: string | null; path: string[]; depth: number }> = [];
      const update: Array<{ id: string; name: string; level: string; parentId: string | null; path: string[]; depth: number }> = [];
      let unchanged = 0;
      let restored = 0;
      for (const r of ordered) {
        const id = idOf.get(r.code)!;
        const row = { id, name: r.name, level: r.level, parentId: parentOf.get(id)!, path: pathOf(id), depth: pathOf(id).length };
        const was = existing.get(r.code);
        if (!was) create.push({ ...row, code: r.code });
        else {
          if (was.retiredAt) restored++;
          if (was.name !== row.name || was.level !== row.level || was.parentId !== row.parentId || was.path.join() !== row.path.join()) update.push(row);
          else if (!was.retiredAt) unchanged++;
        }
      }
      // A kept unit under a listed unit that moved has a new path too.
      for (const u of retire) {
        const p = pathOf(u.id);
        if (p.join() !== u.path.join()) update.push({ id: u.id, name: u.name, level: u.level, parentId: u.parentId, path: p, depth: p.length });
      }
      const outcome: ImportOutcome = {
        total: ordered.length, created: create.length, updated: update.filter((u) => listed.has(byId.get(u.id)?.code ?? '')).length,
        unchanged, restored, retired: retire.filter((u) => !u.retiredAt).length, deleted: remove.length,
      };
      if (opts.dryRun) return outcome;

      // New units first (one statement: a parent and its children may arrive together).
      for (let i = 0; i < create.length; i += 5000) await tx.adminUnit.createMany({ data: create.slice(i, i + 5000) });
      for (let i = 0; i < update.length; i += 5000) {
        const part = update.slice(i, i + 5000);
        await tx.$executeRawUnsafe(
          `UPDATE "AdminUnit" AS u SET "name" = v.name, "level" = v.level, "parentId" = v.parent, "path" = string_to_array(v.path, ',')::uuid[], "depth" = v.depth
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::int[]) AS v(id, name, level, parent, path, depth) WHERE u.id = v.id`,
          part.map((u) => u.id), part.map((u) => u.name), part.map((u) => u.level), part.map((u) => u.parentId), part.map((u) => u.path.join(',')), part.map((u) => u.depth),
        );
      }
      const listedIds = ordered.map((r) => idOf.get(r.code)!);
      await tx.adminUnit.updateMany({ where: { id: { in: listedIds }, retiredAt: { not: null } }, data: { retiredAt: null } });
      await tx.adminUnit.updateMany({ where: { id: { in: retire.map((u) => u.id) }, retiredAt: null }, data: { retiredAt: new Date() } });
      // Deepest first: a parent goes only after its children.
      for (const depth of [...new Set(remove.map((u) => u.depth))].sort((a, b) => b - a)) {
        await tx.adminUnit.deleteMany({ where: { id: { in: remove.filter((u) => u.depth === depth).map((u) => u.id) } } });
      }
      return outcome;
    }, { timeout: 120_000, maxWait: 30_000 });
  }

  /** The children of a unit (or the top-level units), with how much hangs on each. */
  async children(parentId: string | null) {
    const units = await this.#prisma.adminUnit.findMany({
      where: { parentId },
      orderBy: [{ retiredAt: { sort: 'asc', nulls: 'first' } }, { code: 'asc' }],
      select: { id: true, code: true, name: true, level: true, depth: true, retiredAt: true, _count: { select: { children: true, facilities: true, organizations: true } } },
    });
    return units.map(({ _count, ...u }) => ({ ...u, children: _count.children, facilities: _count.facilities, organizations: _count.organizations }));
  }

  /** One unit with its ancestors, top first (undefined for an unknown id). */
  async unit(id: string) {
    const u = await this.#prisma.adminUnit.findUnique({ where: { id }, select: { id: true, code: true, name: true, level: true, depth: true, path: true, retiredAt: true, parentId: true } });
    if (!u) return undefined;
    const ancestors = await this.#prisma.adminUnit.findMany({ where: { id: { in: u.path.slice(0, -1) } }, select: { id: true, code: true, name: true, level: true } });
    const byId = new Map(ancestors.map((a) => [a.id, a]));
    return { ...u, ancestors: u.path.slice(0, -1).map((a) => byId.get(a)!).filter(Boolean) };
  }

  /** Units whose code or name contains `q` (case-insensitive), in order, at most `limit`. */
  search(q: string, limit: number, within?: string) {
    return this.#prisma.adminUnit.findMany({
      where: { OR: [{ code: { startsWith: q } }, { name: { contains: q, mode: 'insensitive' } }], ...(within ? { path: { has: within } } : {}) },
      orderBy: [{ depth: 'asc' }, { code: 'asc' }],
      take: limit,
      select: { id: true, code: true, name: true, level: true, depth: true, path: true, retiredAt: true },
    });
  }

  /** The whole registry as a list again (code, name, parent code, level), retired units left out. */
  async list() {
    const units = await this.#prisma.adminUnit.findMany({ where: { retiredAt: null }, orderBy: [{ depth: 'asc' }, { code: 'asc' }], select: { id: true, code: true, name: true, level: true, parentId: true } });
    const codeOf = new Map(units.map((u) => [u.id, u.code]));
    return units.map((u) => ({ code: u.code, name: u.name, parentCode: u.parentId ? codeOf.get(u.parentId) ?? '' : '', level: u.level }));
  }
}
