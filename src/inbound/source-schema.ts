/**
 * A source's optional JSON Schema for what it receives, compiled once per source version. The
 * schema is checked when the source is saved (assertValid), so compiling here does not fail in
 * practice; if it did, the request would be accepted rather than lost.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { HooklaneError } from '../domain/errors.js';
import { toFieldError } from '../ingest/schema-errors.js';
import type { Json, JsonObject, Source } from '../domain/types.js';

const addFormats = addFormatsModule.default;
const MAX_REPORTED_ERRORS = 20;
const MAX_CACHED = 1000;

export class SourceSchemas {
  // Unlike event type schemas (platform admin only), these are written by tenant editors: a
  // pathological `pattern` could be slow on a large body; max_body_bytes bounds its input.
  private readonly draft07 = addFormats(new Ajv({ strict: false, allErrors: true, addUsedSchema: false }));
  private readonly draft2020 = addFormats(
    new Ajv2020({ strict: false, allErrors: true, addUsedSchema: false }),
  );
  private readonly cache = new Map<string, { version: number; validate: ValidateFunction | null }>();

  /** throws HooklaneError('validation_failed') if `schema` is not a usable JSON Schema */
  assertValid(schema: JsonObject): void {
    const ajv = this.ajvFor(schema);
    try {
      ajv.compile(schema);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new HooklaneError('validation_failed', `schema is not a valid JSON Schema: ${why}`, {
        errors: [{ path: 'schema', message: why }],
      });
    } finally {
      ajv.removeSchema(schema);
    }
  }

  /** throws HooklaneError('source_schema_violation') with the failing paths */
  check(source: Source, data: Json): void {
    if (source.schema === null) return;
    const key = `${source.tenant_id}/${source.id}`;
    let hit = this.cache.get(key);
    if (hit === undefined || hit.version !== source.updated_at) {
      if (hit?.validate) this.ajvFor(source.schema).removeSchema(hit.validate.schema as JsonObject);
      let validate: ValidateFunction | null = null;
      try {
        validate = this.ajvFor(source.schema).compile(source.schema);
      } catch {
        validate = null;
      }
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      hit = { version: source.updated_at, validate };
      this.cache.set(key, hit);
    }
    const validate = hit.validate;
    if (validate === null || validate(data)) return;
    const errors = (validate.errors ?? []).slice(0, MAX_REPORTED_ERRORS).map((e) => toFieldError(e, 'body'));
    const first = errors[0];
    throw new HooklaneError(
      'source_schema_violation',
      first === undefined ? 'body does not match the source schema' : `${first.path}: ${first.message}`,
      { errors },
    );
  }

  private ajvFor(schema: JsonObject): Ajv {
    const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
    return declared.includes('2020-12') ? this.draft2020 : this.draft07;
  }
}
