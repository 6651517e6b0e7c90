import type { ErrorObject } from 'ajv';
import type { FieldError } from '../domain/errors.js';

/**
 * Ajv's error → the API's field error, shared by event-type schemas (root "data") and source
 * schemas (root "body"): `instancePath` "/user/emails/0" → "data.user.emails[0]", and a missing or
 * unexpected property is named in the path itself.
 */
export function toFieldError(e: ErrorObject, root: string): FieldError {
  let path = root;
  for (const seg of e.instancePath.split('/').slice(1)) {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(s) ? `[${s}]` : `.${s}`;
  }
  const params = e.params as { missingProperty?: string; additionalProperty?: string };
  if (e.keyword === 'required' && params.missingProperty !== undefined) {
    return { path: `${path}.${params.missingProperty}`, message: 'is required' };
  }
  if (e.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
    return { path: `${path}.${params.additionalProperty}`, message: 'is not allowed' };
  }
  return { path, message: e.message ?? e.keyword };
}
