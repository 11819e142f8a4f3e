// Request validation shared by the HTTP routes: bodies and queries by schema, path ids as
// UUIDs (an id that cannot exist is simply not found).
import type { Request } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.js';

export const uuid = z.string().uuid();

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError(ErrorCode.BadRequest, z.prettifyError(r.error).slice(0, 1000));
  return r.data;
}

/** The :id of the path, or NotFound with `notFound` as its message. */
export function pathId(req: Request, notFound: string): string {
  const id = uuid.safeParse(req.params.id);
  if (!id.success) throw new AppError(ErrorCode.NotFound, notFound);
  return id.data;
}
