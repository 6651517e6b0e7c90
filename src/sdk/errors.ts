import type { FieldError, Problem } from './types.js';

/** The API answered with an error (an RFC 9457 problem document, or something a proxy sent). */
export class HooklaneApiError extends Error {
  readonly status: number;
  /** the problem's stable code (`validation_failed`, `not_found`, …), or `http_<status>` for a non-problem answer */
  readonly code: string;
  readonly detail: string;
  /** per-field errors of a 400 */
  readonly errors: FieldError[];
  readonly requestId: string | undefined;
  /** seconds, from a 429/503's Retry-After */
  readonly retryAfterS: number | undefined;

  constructor(status: number, problem: Partial<Problem>, retryAfterS?: number) {
    const code = typeof problem.code === 'string' ? problem.code : `http_${status}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : (problem.title ?? `HTTP ${status}`);
    super(`${status} ${code}: ${detail}`);
    this.name = 'HooklaneApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.requestId = problem.request_id;
    this.retryAfterS = retryAfterS;
  }
}

/** The API could not be reached (refused, reset, DNS, timeout) after every permitted retry. */
export class HooklaneConnectionError extends Error {
  constructor(baseUrl: string, cause: unknown) {
    super(`cannot reach ${baseUrl}: ${describeCause(cause)}`, { cause });
    this.name = 'HooklaneConnectionError';
  }
}

/** fetch hides the useful part (ECONNREFUSED, …) in `cause`; dig it out for a one-line message */
function describeCause(cause: unknown): string {
  let e: unknown = cause;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (e.name === 'TimeoutError') return 'timed out';
    if (e.cause === undefined) return e.message;
    e = e.cause;
  }
  return String(e);
}
