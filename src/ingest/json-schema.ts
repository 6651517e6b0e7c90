import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { HooklaneError, type FieldError } from '../domain/errors.js';
import type { JsonObject } from '../domain/types.js';

const addFormats = addFormatsModule.default;

/**
 * The JSON Schema compiler shared by event-type schemas and source schemas: draft-07 by default,
 * 2020-12 when the schema declares it, formats on, every error reported.
 */
export class JsonSchemaCompiler {
  private readonly draft07 = addFormats(new Ajv({ strict: false, allErrors: true, addUsedSchema: false }));
  private readonly draft2020 = addFormats(
    new Ajv2020({ strict: false, allErrors: true, addUsedSchema: false }),
  );

  compile(schema: JsonObject): ValidateFunction {
    return this.ajvFor(schema).compile(schema);
  }

  /** forgets a compiled schema (Ajv keeps every compiled schema object) */
  release(schema: JsonObject): void {
    this.ajvFor(schema).removeSchema(schema);
  }

  /** throws HooklaneError('validation_failed') explaining why `schema` is not a usable JSON Schema */
  assertValid(schema: JsonObject): void {
    try {
      this.compile(schema);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new HooklaneError('validation_failed', `schema is not a valid JSON Schema: ${why}`, {
        errors: [{ path: 'schema', message: why }],
      });
    } finally {
      // this one was only a check
      this.release(schema);
    }
  }

  private ajvFor(schema: JsonObject): Ajv {
    const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
    return declared.includes('2020-12') ? this.draft2020 : this.draft07;
  }
}

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
