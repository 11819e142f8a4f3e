// The one catalogue of error codes the server reports to clients and APIs.
// A code is stable (clients switch on it); the message is for humans and never carries
// secrets (camera credentials, tokens).

export const ErrorCode = {
  BadRequest: 'BAD_REQUEST',
  UnknownEvent: 'UNKNOWN_EVENT',
  NotFound: 'NOT_FOUND',
  Forbidden: 'FORBIDDEN',
  Unauthenticated: 'UNAUTHENTICATED',
  TotpRequired: 'TOTP_REQUIRED',
  CameraUnavailable: 'CAMERA_UNAVAILABLE',
  CannotConsume: 'CANNOT_CONSUME',
  InvalidState: 'INVALID_STATE',
  Conflict: 'CONFLICT',
  TooManyRequests: 'TOO_MANY_REQUESTS',
  /** The system cannot do it now (for example it cannot record it in the audit log); try later. */
  Unavailable: 'UNAVAILABLE',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatus: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNKNOWN_EVENT: 400,
  NOT_FOUND: 404,
  FORBIDDEN: 404, // "not allowed" must look like "not found" to the caller
  UNAUTHENTICATED: 401,
  TOTP_REQUIRED: 401,
  CAMERA_UNAVAILABLE: 503,
  CANNOT_CONSUME: 422,
  INVALID_STATE: 409,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An error meant to reach a client: a stable code, a safe message, optional details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return httpStatus[this.code];
  }
}

/** The wire shape of an error, for socket acknowledgements and HTTP bodies. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** Turns anything thrown into a safe error body; unknown errors are not echoed. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof AppError) {
    return err.details === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, details: err.details };
  }
  return { code: ErrorCode.Internal, message: 'internal error' };
}
