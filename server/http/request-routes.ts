// Account requests: a focal point submits named people, the authority over each requested
// scope approves or rejects, and an approved person activates their account with the
// one-time link. Bodies are validated by schema; "not allowed" answers like "not found".
import express from 'express';
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import type { AccountRequests } from '../access/AccountRequests.js';
import { MAX_LIST_FILE_BYTES, readAccountList, type ListLine } from '../access/account-list-file.js';
import { AppError, ErrorCode } from '../errors.js';
import { ListError } from '../util/list-problems.js';
import { requestBody } from './access-routes.js';
import { Api } from './handler.js';
import { Permission } from '../access/permissions.js';
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

export function requestRoutes(access: AccessRoom, requests: AccountRequests): Api {
  const api = new Api(access);

  api.post('/account-requests', Permission.AccountLists, async (req, res, caller) => {
    res.status(201).json(await requests.submitRequest(caller, parse(requestBody, req.body)));
  });
  api.get('/account-requests', Permission.AccountLists, async (req, res, caller) => {
    res.json(await requests.decidableRequests(caller));
  });
  api.post('/account-requests/:id/approve', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such pending request');
    const body = parse(decisionBody.partial(), req.body ?? {});
    res.json(await requests.approveRequest(caller, id, body.reason ?? null, `${req.protocol}://${req.get('host') ?? 'localhost'}`));
  });
  api.post('/account-requests/:id/reject', Permission.AdministerPeople, async (req, res, caller) => {
    const id = pathId(req, 'no such pending request');
    await requests.rejectRequest(caller, id, parse(decisionBody, req.body).reason);
    res.status(204).end();
  });
  api.post('/auth/activate', Permission.Public, async (req, res) => {
    const { token, password } = parse(activateBody, req.body);
    const enrolment = await requests.activate(token, password, req.ip ?? '');
    if (enrolment) res.json(enrolment);
    else res.status(204).end();
  });

  // ---- lists ------------------------------------------------------------------------------
  api.get('/account-lists/template', Permission.AccountLists, async (req, res, caller) => {
    const q = parse(templateQuery, req.query);
    const file = await requests.template(caller, q.format, q.lang);
    const name = q.lang === 'vi' ? 'mau-danh-sach-tai-khoan' : 'account-list-template';
    res.type(q.format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8')
      .attachment(`${name}.${q.format}`).send(file);
  });
  api.get('/account-lists/choices', Permission.AccountLists, async (req, res, caller) => {
    res.json(await requests.choices(caller));
  });
  api.get('/account-lists', Permission.AccountLists, async (req, res, caller) => {
    res.json(await requests.myLists(caller));
  });
  api.post('/account-lists', Permission.AccountLists, async (req, res, caller) => {
    const { lines } = parse(listBody, req.body);
    // The form's rows are numbered as the page shows them.
    res.status(201).json(await requests.submitList(caller, 'form', lines.map((l, i) => ({ ...l, line: i + 1 }))));
  });
  // The file as the body itself (XLSX or CSV, told apart by its first bytes). The caller is
  // checked before the body is read, so strangers cannot make the server buffer files.
  api.post('/account-lists/upload', Permission.AccountLists, async (req, res, caller) => {
    const { name } = parse(uploadQuery, req.query);
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (bytes.length === 0) throw new AppError(ErrorCode.BadRequest, 'send the list file as the request body');
    const xlsx = bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const lines: ListLine[] = await requests.readUpload(caller, async () => {
      try {
        return await readAccountList(bytes, xlsx ? 'xlsx' : 'csv');
      } catch (err) {
        if (err instanceof ListError) throw new AppError(ErrorCode.BadRequest, `the file cannot be used: ${err.message}`, { problems: err.problems });
        throw err;
      }
    });
    res.status(201).json(await requests.submitList(caller, name, lines));
  }, { body: express.raw({ type: () => true, limit: MAX_LIST_FILE_BYTES }) });
  api.get('/account-requests/:id/activation-sheet', Permission.AccountLists, async (req, res, caller) => {
    const id = pathId(req, 'no such request');
    const { lang } = parse(sheetQuery, req.query);
    const sheet = await requests.activationSheet(caller, id, lang, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
    res.type('application/pdf').attachment(`kich-hoat-${sheet.username}.pdf`).send(sheet.pdf);
  });
  return api;
}
