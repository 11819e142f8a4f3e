// Account requests: a focal point submits named people, the authority over each requested
// scope approves or rejects, and an approved person activates their account with the
// one-time link. Bodies are validated by schema; "not allowed" answers like "not found".
import express, { type Request } from 'express';
import { z } from 'zod';
import type { Caller } from '../access/AccessService.js';
import type { AccessRoom } from '../access/access-room.js';
import type { AccountRequests } from '../access/AccountRequests.js';
import { MAX_LIST_FILE_BYTES, readAccountList, type ListLine } from '../access/account-list-file.js';
import { AppError, ErrorCode } from '../errors.js';
import { ListError } from '../util/list-problems.js';
import { requestBody } from './access-routes.js';
import { callerFirst, callerOf, wrap } from './handler.js';
import { parse, pathId } from './validate.js';

export const decisionBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();
/** A list typed into the page's form (bigger lists come as a file): the template's columns. */
const cell = z.string().max(300);
/** A list typed into the page's form (bigger lists come as a file): the template's columns. */
export const listBody = z.object({
  lines: z.array(z.object({ fullName: cell, position: cell, phone: cell, email: cell, role: cell, scope: cell, username: cell.default('') }).strict()).min(1).max(50),
}).strict();
export const templateQuery = z.object({ format: z.enum(['xlsx', 'csv']).default('xlsx'), lang: z.enum(['vi', 'en']).default('vi') }).strict();
export const sheetQuery = z.object({ lang: z.enum(['vi', 'en']).default('vi') }).strict();
export const uploadQuery = z.object({ name: z.string().trim().min(1).max(200).default('upload') }).strict();
export const activateBody = z.object({ token: z.string().min(16).max(200), password: z.string().min(1).max(200) }).strict();

export function requestRoutes(access: AccessRoom, requests: AccountRequests): express.Router {
  const r = express.Router();
  const caller = (req: Request): Promise<Caller> => callerOf(access, req);

  r.post('/account-requests', wrap(async (req, res) => {
    res.status(201).json(await requests.submitRequest(await caller(req), parse(requestBody, req.body)));
  }));
  r.get('/account-requests', wrap(async (req, res) => {
    res.json(await requests.decidableRequests(await caller(req)));
  }));
  r.post('/account-requests/:id/approve', wrap(async (req, res) => {
    const id = pathId(req, 'no such pending request');
    const body = parse(decisionBody.partial(), req.body ?? {});
    res.json(await requests.approveRequest(await caller(req), id, body.reason ?? null, `${req.protocol}://${req.get('host') ?? 'localhost'}`));
  }));
  r.post('/account-requests/:id/reject', wrap(async (req, res) => {
    const id = pathId(req, 'no such pending request');
    await requests.rejectRequest(await caller(req), id, parse(decisionBody, req.body).reason);
    res.status(204).end();
  }));
  r.post('/auth/activate', wrap(async (req, res) => {
    const { token, password } = parse(activateBody, req.body);
    const enrolment = await requests.activate(token, password, req.ip ?? '');
    if (enrolment) res.json(enrolment);
    else res.status(204).end();
  }));

  // ---- lists ------------------------------------------------------------------------------
  r.get('/account-lists/template', wrap(async (req, res) => {
    const q = parse(templateQuery, req.query);
    const file = await requests.template(await caller(req), q.format, q.lang);
    const name = q.lang === 'vi' ? 'mau-danh-sach-tai-khoan' : 'account-list-template';
    res.type(q.format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8')
      .attachment(`${name}.${q.format}`).send(file);
  }));
  r.get('/account-lists/choices', wrap(async (req, res) => {
    res.json(await requests.choices(await caller(req)));
  }));
  r.get('/account-lists', wrap(async (req, res) => {
    res.json(await requests.myLists(await caller(req)));
  }));
  r.post('/account-lists', wrap(async (req, res) => {
    const { lines } = parse(listBody, req.body);
    // The form's rows are numbered as the page shows them.
    res.status(201).json(await requests.submitList(await caller(req), 'form', lines.map((l, i) => ({ ...l, line: i + 1 }))));
  }));
  // The file as the body itself (XLSX or CSV, told apart by its first bytes). The caller is
  // checked before the body is read, so strangers cannot make the server buffer files.
  r.post('/account-lists/upload', callerFirst(access), express.raw({ type: () => true, limit: MAX_LIST_FILE_BYTES }), wrap(async (req, res) => {
    const { name } = parse(uploadQuery, req.query);
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (bytes.length === 0) throw new AppError(ErrorCode.BadRequest, 'send the list file as the request body');
    const xlsx = bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const caller = res.locals.caller as Caller;
    const lines: ListLine[] = await requests.readUpload(caller, async () => {
      try {
        return await readAccountList(bytes, xlsx ? 'xlsx' : 'csv');
      } catch (err) {
        if (err instanceof ListError) throw new AppError(ErrorCode.BadRequest, `the file cannot be used: ${err.message}`, { problems: err.problems });
        throw err;
      }
    });
    res.status(201).json(await requests.submitList(caller, name, lines));
  }));
  r.get('/account-requests/:id/activation-sheet', wrap(async (req, res) => {
    const id = pathId(req, 'no such request');
    const { lang } = parse(sheetQuery, req.query);
    const sheet = await requests.activationSheet(await caller(req), id, lang, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
    res.type('application/pdf').attachment(`kich-hoat-${sheet.username}.pdf`).send(sheet.pdf);
  }));
  return r;
}
