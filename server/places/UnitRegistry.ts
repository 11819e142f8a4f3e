// The administrative units of the deployment: imported from the official list (a page and a
// command), of whatever depth the list has, browsed by the places pages and forms. The
// 63 provinces of 2021 are the default list, imported on a first start with no units.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AuditLog } from '../audit/AuditLog.js';
import { AppError, ErrorCode } from '../errors.js';
import type { PlacesAccess } from './places-access.js';
import { ListError } from '../util/list-problems.js';
import { parseUnitList } from './unit-list.js';
import type { ImportOutcome, UnitsRepository } from './units.repository.js';

/** The list shipped with the system: the 63 provinces and their official codes (2021). */
export const DEFAULT_UNIT_LIST = path.resolve(import.meta.dirname, '../../prisma/data/units-2021.csv');

export interface ImportRequest {
  csv: string;
  dryRun?: boolean;
  /** Where the list came from, for the audit log: 'page', 'cli', 'default', 'demo'. */
  source: string;
  /** The person importing (absent for the command line and the first start). */
  actorId?: string;
  address?: string;
  /** Fixed ids of new units by code (the demo's). */
  ids?: ReadonlyMap<string, string>;
}

export class UnitRegistry {
  readonly #repo: UnitsRepository;
  readonly #audit: AuditLog;
  readonly #access: Pick<PlacesAccess, 'administers' | 'placesChanged'>;

  constructor(repo: UnitsRepository, audit: AuditLog, access: Pick<PlacesAccess, 'administers' | 'placesChanged'>) {
    this.#repo = repo;
    this.#audit = audit;
    this.#access = access;
  }

  /**
   * Imports a unit list, all or nothing. Only a national administrator may (the list is the
   * whole country's); a refused caller is told "not found" like every other refusal. A list
   * with problems is refused whole, each problem naming its line and column.
   */
  async import(req: ImportRequest): Promise<ImportOutcome> {
    if (req.actorId !== undefined && !(await this.#access.administers(req.actorId, {}))) throw new AppError(ErrorCode.NotFound, 'no such route');
    let rows;
    try {
      rows = parseUnitList(req.csv);
    } catch (err) {
      if (err instanceof ListError) throw new AppError(ErrorCode.BadRequest, `the unit list has ${err.problems.length} problem(s): ${err.message}`, { problems: err.problems.slice(0, 500) });
      throw err;
    }
    const outcome = await this.#repo.importUnits(rows, { dryRun: req.dryRun, ids: req.ids });
    if (req.dryRun) return outcome;
    await this.#audit.append({
      actorId: req.actorId ?? null, action: 'units.import', target: null, address: req.address ?? null,
      details: { source: req.source, sha256: createHash('sha256').update(req.csv).digest('hex'), ...outcome },
    });
    this.#access.placesChanged();
    return outcome;
  }

  /** On a system with no units at all, imports the default list (the 63 provinces). */
  async ensureDefault(): Promise<ImportOutcome | undefined> {
    if ((await this.#repo.count()) > 0) return undefined;
    return this.import({ csv: fs.readFileSync(DEFAULT_UNIT_LIST, 'utf8'), source: 'default' });
  }

  children(parentId: string | null) {
    return this.#repo.children(parentId);
  }

  async unit(id: string) {
    const u = await this.#repo.unit(id);
    if (!u) throw new AppError(ErrorCode.NotFound, 'no such unit');
    return u;
  }

  search(q: string, limit: number, within?: string) {
    return this.#repo.search(q, limit, within);
  }

  /** The registry as a CSV list, to edit and import again. */
  list() {
    return this.#repo.list();
  }
}
