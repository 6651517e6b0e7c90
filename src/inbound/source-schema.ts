/**
 * A source's optional JSON Schema for what it receives, compiled once per source version. The
 * schema is checked when the source is saved (assertValid), so compiling here does not fail in
 * practice; if it did, the request would be accepted rather than lost.
 */
import { HooklaneError } from '../domain/errors.js';
import { JsonSchemaCompiler, toFieldError } from '../ingest/json-schema.js';
import type { ValidateFunction } from 'ajv';
import type { Json, JsonObject, Source } from '../domain/types.js';

const MAX_REPORTED_ERRORS = 20;
const MAX_CACHED = 1000;

export class SourceSchemas {
  // Unlike event type schemas (platform admin only), these are written by tenant editors: a
  // pathological `pattern` could be slow on a large body; max_body_bytes bounds its input.
  private readonly compiler = new JsonSchemaCompiler();
  private readonly cache = new Map<string, { version: number; validate: ValidateFunction | null }>();

  /** throws HooklaneError('validation_failed') if `schema` is not a usable JSON Schema */
  assertValid(schema: JsonObject): void {
    this.compiler.assertValid(schema);
  }

  /** throws HooklaneError('source_schema_violation') with the failing paths */
  check(source: Source, data: Json): void {
    if (source.schema === null) return;
    const key = `${source.tenant_id}/${source.id}`;
    let hit = this.cache.get(key);
    if (hit === undefined || hit.version !== source.updated_at) {
      if (hit?.validate) this.compiler.release(hit.validate.schema as JsonObject);
      let validate: ValidateFunction | null = null;
      try {
        validate = this.compiler.compile(source.schema);
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
}
