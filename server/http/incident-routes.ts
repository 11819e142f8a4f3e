// The incident API under /api/incidents: file (JSON), attach the captured frame (a raw
// image/jpeg body), list, read, comment, resolve, export as CSV or PDF.
import express from 'express';
import { z } from 'zod';
import type { AccessRoom } from '../access/access-room.js';
import { AppError, ErrorCode } from '../errors.js';
import { exportMark, incidentsCsv, incidentsPdf } from '../incidents/incident-export.js';
import { PDF_FONT } from '../util/pdf.js';
import { burnWatermark } from '../incidents/frame-watermark.js';
import { INCIDENT_CATEGORIES, MAX_SNAPSHOT_BYTES, type IncidentService } from '../incidents/IncidentService.js';
import { Api, bearer } from './handler.js';
import { Permission } from '../access/permissions.js';
import { parse, pathId, uuid } from './validate.js';
import { moduleLogger } from '../logger.js';

const log = moduleLogger('http:incidents');

const isoDate = z.coerce.date();
const timeZone = z.string().max(64).refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown time zone');

export const incidentBody = z.object({
  cameraId: uuid,
  category: z.enum(INCIDENT_CATEGORIES),
  note: z.string().trim().min(1).max(2000),
  occurredAt: isoDate.optional(),
}).strict();
export const commentBody = z.object({ body: z.string().trim().min(1).max(2000) }).strict();
export const resolveBody = z.object({ resolution: z.string().trim().min(1).max(2000) }).strict();
export const incidentsQuery = z.object({
  from: isoDate,
  to: isoDate,
  facilityId: uuid.optional(),
  status: z.enum(['OPEN', 'RESOLVED']).optional(),
}).strict();
export const exportQuery = incidentsQuery.extend({
  format: z.enum(['csv', 'pdf']).default('csv'),
  lang: z.enum(['vi', 'en']).default('vi'),
  tz: timeZone.default('Asia/Ho_Chi_Minh'),
}).strict();

export interface IncidentRouteOptions {
  /** The ffmpeg binary that burns the exporter's mark into exported frames. */
  ffmpegPath: string;
}

export function incidentRoutes(access: AccessRoom, incidents: IncidentService, options: IncidentRouteOptions): Api {
  const api = new Api(access);

  api.post('/incidents', Permission.Watch, async (req, res, caller) => {
    const body = parse(incidentBody, req.body);
    res.status(201).json(await incidents.file(caller, { ...body, occurredAt: body.occurredAt ?? new Date() }));
  });
  // The frame as the body itself (no base64): image/jpeg, up to MAX_SNAPSHOT_BYTES. The caller
  // is checked before the body is read, so strangers cannot make the server buffer images.
  api.put('/incidents/:id/snapshot', Permission.Watch, async (req, res, caller) => {
    const id = pathId(req, 'no such incident');
    if (!req.is('image/jpeg')) throw new AppError(ErrorCode.BadRequest, 'send the snapshot as image/jpeg');
    await incidents.attachSnapshot(caller, id, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    res.status(204).end();
  }, { body: express.raw({ type: () => true, limit: MAX_SNAPSHOT_BYTES }) });
  api.get('/incidents', Permission.Watch, async (req, res, caller) => {
    res.json(await incidents.list(caller, parse(incidentsQuery, req.query)));
  });
  api.get('/incidents/export', Permission.Watch, async (req, res) => {
    const q = parse(exportQuery, req.query);
    const { format, lang, tz, ...period } = q;
    const who = await access.signIn.caller(bearer(req));
    const { rows, snapshots } = await incidents.exportRows({ userId: who.userId, address: req.ip ?? '' }, period, format, format === 'pdf');
    // The facility's name comes from its incidents: an empty report does not name a facility
    // the caller may not see (a dash stands for it).
    const facilityName = period.facilityId ? rows[0]?.facilityName ?? '—' : null;
    const exportOptions = { lang, timeZone: tz, from: period.from, to: period.to, facilityName, exportedBy: `${who.fullName} (${who.username})`, exportedAt: new Date() };
    // Every frame leaves marked with who exported it (burnWatermark bounds the ffmpeg runs);
    // a frame that cannot be marked is left out, never sent unmarked.
    const marked = new Map<string, Buffer>();
    await Promise.all([...snapshots].map(async ([id, frame]) => {
      const image = await burnWatermark(options.ffmpegPath, PDF_FONT, frame, exportMark(exportOptions)).catch((err: unknown) => {
        log.warn({ err, incidentId: id }, 'an incident frame could not be marked; left out of the export');
        return undefined;
      });
      if (image) marked.set(id, image);
    }));
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const name = `su-co_${day(period.from)}_${day(period.to)}.${format}`;
    res.set('content-disposition', `attachment; filename="${name}"`);
    if (format === 'csv') res.type('text/csv; charset=utf-8').send(incidentsCsv(rows, exportOptions));
    else res.type('application/pdf').send(await incidentsPdf(rows, marked, exportOptions));
  });
  api.get('/incidents/:id', Permission.Watch, async (req, res, caller) => {
    res.json(await incidents.get(caller, pathId(req, 'no such incident')));
  });
  api.get('/incidents/:id/snapshot', Permission.Watch, async (req, res, caller) => {
    const jpeg = await incidents.snapshot(caller, pathId(req, 'no such incident'));
    res.set('cache-control', 'private, no-store').type('image/jpeg').send(jpeg);
  });
  api.post('/incidents/:id/comments', Permission.Watch, async (req, res, caller) => {
    const id = pathId(req, 'no such incident');
    res.status(201).json(await incidents.comment(caller, id, parse(commentBody, req.body).body));
  });
  api.post('/incidents/:id/resolve', Permission.Watch, async (req, res, caller) => {
    const id = pathId(req, 'no such incident');
    await incidents.resolve(caller, id, parse(resolveBody, req.body).resolution);
    res.status(204).end();
  });
  return api;
}
