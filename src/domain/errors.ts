/**
 * The one registry of coded errors. Every API error is an RFC 9457 problem+json document whose
 * `code` comes from here, so clients can branch on a stable string rather than on prose.
 */
export const ERRORS = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  invalid_json: { status: 400, title: 'Body is not valid JSON' },
  schema_violation: { status: 400, title: 'Event data does not match the event type schema' },
  url_not_allowed: { status: 400, title: 'Webhook URL is not allowed' },
  invalid_cursor: { status: 400, title: 'Invalid pagination cursor' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  signature_invalid: { status: 401, title: 'Webhook signature verification failed' },
  source_schema_violation: { status: 400, title: 'Request body does not match the source schema' },
  forbidden: { status: 403, title: 'This API key may not do that' },
  not_found: { status: 404, title: 'Not found' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  body_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Content type must be application/json' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  path: string;
  message: string;
}

export class HooklaneError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** seconds, for 429/503 */
  readonly retryAfterS: number | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    opts: { errors?: FieldError[]; retryAfterS?: number; cause?: unknown } = {},
  ) {
    super(detail ?? ERRORS[code].title, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HooklaneError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.errors = opts.errors;
    this.retryAfterS = opts.retryAfterS;
  }
}

export function isHooklaneError(e: unknown): e is HooklaneError {
  return e instanceof HooklaneError;
}
