/**
 * Every error leaves the API as RFC 9457 `application/problem+json` with a stable `code` from the
 * registry in domain/errors.ts. Fastify's own errors (bad JSON, body too large, wrong content type,
 * schema validation) are translated here, so bad input is always a 4xx and never a 500. Anything
 * unexpected is logged with its stack and answered with a bare 500 that reveals no internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERRORS, HooklaneError, isHooklaneError, type ErrorCode, type FieldError } from '../domain/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemDocument(err: HooklaneError, requestId?: string) {
  return {
    type: `urn:hooklane:problem:${err.code}`,
    title: ERRORS[err.code].title,
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(err.errors !== undefined ? { errors: err.errors } : {}),
    ...(requestId !== undefined ? { request_id: requestId } : {}),
  };
}

/** Fastify framework error codes → our codes; everything else is decided by status */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_NOT_FOUND: 'route_not_found',
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'body_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** `instancePath` "/events/0" from the zod provider, in context "body" → "events[0]" */
function fieldPath(context: string | undefined, instancePath: string): string {
  let path = '';
  for (const seg of instancePath.split('/').filter((s) => s !== '')) {
    path += /^\d+$/.test(seg) ? `[${seg}]` : path === '' ? seg : `.${seg}`;
  }
  const where = context === 'querystring' ? 'query' : context;
  if (where === undefined || where === 'body') return path;
  return path === '' ? where : `${where}.${path}`;
}

/** Any thrown value → a HooklaneError safe to show (unexpected errors become `internal`). */
export function toHooklaneError(err: unknown): HooklaneError {
  if (isHooklaneError(err)) return err;
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors: FieldError[] = err.validation.map((v) => ({
      path: fieldPath(fe.validationContext, v.instancePath),
      message: v.message ?? 'invalid',
    }));
    return new HooklaneError('validation_failed', summarise(errors), { errors });
  }
  const mapped = fe.code !== undefined ? FRAMEWORK_CODES[fe.code] : undefined;
  if (mapped !== undefined) return new HooklaneError(mapped, fe.message);
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // A framework 4xx we have no specific mapping for; its message is Fastify's own, safe to show.
    return new HooklaneError(CODE_BY_STATUS[status] ?? 'validation_failed', fe.message);
  }
  return new HooklaneError('internal', 'an unexpected error occurred; it has been logged', { cause: err });
}

function summarise(errors: FieldError[]): string {
  const first = errors[0];
  if (first === undefined) return 'request validation failed';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.path === '' ? 'body' : first.path}: ${first.message}${more}`;
}

export function sendProblem(reply: FastifyReply, err: HooklaneError): FastifyReply {
  reply.code(err.status).type(PROBLEM_CONTENT_TYPE);
  if (err.retryAfterS !== undefined)
    reply.header('retry-after', String(Math.max(0, Math.ceil(err.retryAfterS))));
  if (err.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="hooklane"');
  // Sent as a string: Fastify then skips the route's response serializer, so an error can never
  // fail serialization and turn into a second error.
  return reply.send(JSON.stringify(problemDocument(err, reply.request.id)));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toHooklaneError(err);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.debug({ code: problem.code, detail: problem.message }, 'request refused');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new HooklaneError('route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
