// The leak investigation and the audit chain's state, for scope administrators: who watched a
// camera at a moment or during a period, what a person watched, and both answers as XLSX or
// PDF (the export is itself audited). The people to ask about come from the directory (/api/people).
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import { investigationPdf, investigationXlsx } from '../access/investigation-export.js';
import type { Investigator, InvestigationAnswer, ViewInvestigation } from '../access/ViewInvestigation.js';
import { Api, bearer } from './handler.js';
import { Permission } from '../access/permissions.js';
import { parse, pathId, uuid } from './validate.js';

const isoDate = z.coerce.date();
/** A moment is a period with from = to. */
export const investigationQuery = z.object({
  from: isoDate,
  to: isoDate,
  format: z.enum(['json', 'xlsx', 'pdf']).default('json'),
  lang: z.enum(['vi', 'en']).default('vi'),
}).strict().refine((q) => q.to >= q.from, { message: '"to" must not be before "from"' })
  .refine((q) => q.to.getTime() - q.from.getTime() <= 366 * 86_400_000, { message: 'ask about at most a year at a time' });

/** The older form: one of cameraId and userId, rows without contacts' details beyond ids. */
export const viewsQuery = z.object({ cameraId: uuid.optional(), userId: uuid.optional(), from: isoDate, to: isoDate })
  .refine((q) => (q.cameraId ? 1 : 0) + (q.userId ? 1 : 0) === 1, { message: 'give exactly one of cameraId and userId' });

export function investigationRoutes(access: AccessRoom, investigation: ViewInvestigation): Api {
  const api = new Api(access);

  const answer = async (req: Request, res: Response, who: Investigator, target: string, ask: (c: Investigator, period: { from: Date; to: Date }) => Promise<InvestigationAnswer>) => {
    const q = parse(investigationQuery, req.query);
    const a = await ask(who, { from: q.from, to: q.to });
    if (q.format === 'json') {
      res.json(a);
      return;
    }
    // A file with names and phones leaves the system: who took it is recorded first.
    const [me, chain] = await Promise.all([access.signIn.caller(bearer(req)), investigation.verifyChain(who)]);
    const options = { lang: q.lang, exportedBy: `${me.fullName} (${me.username})`, exportedAt: new Date(), chain: { ok: chain.ok, checked: chain.checked, ...(chain.broken ? { brokenAt: chain.broken.seq } : {}) } };
    const file = q.format === 'xlsx' ? await investigationXlsx(a, options) : await investigationPdf(a, options);
    await investigation.recordExport(who, target, q.format, a);
    const day = (d: Date) => d.toISOString().slice(0, 10);
    res.type(q.format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'application/pdf')
      .set('cache-control', 'private, no-store')
      .attachment(`truy-vet_${target.replace(':', '-').slice(0, 20)}_${day(a.from)}_${day(a.to)}.${q.format}`)
      .send(file);
  };

  api.get('/investigation/cameras/:id', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such camera');
    await answer(req, res, caller, `camera:${id}`, (c, p) => investigation.byCamera(c, id, p));
  });
  api.get('/investigation/people/:id', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such person');
    await answer(req, res, caller, `user:${id}`, (c, p) => investigation.byPerson(c, id, p));
  });
  api.get('/audit/views', Permission.AdministerPeople, async (req, res, who) => {
    const q = parse(viewsQuery, req.query);
    const a = q.cameraId ? await investigation.byCamera(who, q.cameraId, q) : await investigation.byPerson(who, q.userId!, q);
    res.json(a.rows.filter((v) => v.kind === 'live').map((v) => ({
      userId: v.person.id, cameraId: v.camera.id, stream: v.detail, startedAt: v.startedAt, endedAt: v.endedAt, endReason: v.endReason, address: v.address, userAgent: v.userAgent,
    })));
  });
  api.get('/audit/verify', Permission.AdministerPeople, async (req, res, caller) => {
    res.json(await investigation.verifyChain(caller));
  });
  return api;
}
