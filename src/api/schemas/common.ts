/**
 * Building blocks shared by every resource's zod schemas. Request schemas validate and convert
 * (ISO times become epoch ms); response schemas describe the JSON exactly as sent, so they never
 * contain transforms (zod cannot encode through a one-way transform).
 *
 * Schemas given an `id` in zod's global registry (`named`) become components of `/openapi.json`;
 * `.describe()`/`.meta()` texts become its descriptions.
 */
import { z } from 'zod';

export function named<T extends z.ZodType>(schema: T, id: string): T {
  z.globalRegistry.add(schema, { id });
  return schema;
}

/**
 * ISO-8601 UTC time as sent in responses. Declared as a plain string with `format: date-time`:
 * we produce these strings ourselves, and zod's datetime check would add a 400-character pattern
 * to every time field of the OpenAPI document.
 */
export const IsoTime = z.string().meta({ format: 'date-time', description: 'ISO-8601 UTC time' });

/** ISO-8601 time accepted in requests (any offset), converted to epoch ms */
export const IsoTimeInput = z.iso
  .datetime({ offset: true })
  .describe('ISO-8601 time')
  .transform((s) => Date.parse(s));

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * How deeply client JSON may nest. JSON.parse takes any depth, but JSON.stringify, schema
 * validation and other recursive walks overflow the stack at a few thousand levels (a 500); no real
 * payload comes near this.
 */
export const JSON_MAX_DEPTH = 64;
export const JSON_DEPTH_MESSAGE = `must not nest deeper than ${JSON_MAX_DEPTH} levels`;

/** True when `value` nests at most `max` arrays/objects deep. Iterative: safe on any input. */
export function jsonDepthWithin(value: unknown, max: number = JSON_MAX_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return true;
}

/** JSON object fields like `metadata`: bounded so one row cannot hold megabytes of bookkeeping. */
export const METADATA_MAX_BYTES = 16 * 1024;
export const JsonObjectInput = z
  .record(z.string(), z.unknown())
  .refine((o) => jsonDepthWithin(o), { message: JSON_DEPTH_MESSAGE, abort: true })
  .refine((o) => JSON.stringify(o).length <= METADATA_MAX_BYTES, {
    message: `must serialise to at most ${METADATA_MAX_BYTES} bytes`,
  });
export const JsonObjectOutput = z.record(z.string(), z.unknown());

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export const ProblemSchema = z
  .object({
    type: z.string().describe('a URI naming the problem kind: urn:hooklane:problem:<code>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('stable machine-readable error code'),
    errors: z.array(FieldErrorSchema).optional(),
    request_id: z.string().optional(),
  })
  .describe('RFC 9457 problem details (application/problem+json)');
named(ProblemSchema, 'Problem');

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** Error responses every authenticated route may give, for the OpenAPI document. */
export const problemResponses = {
  '4xx': { description: 'Client error (problem+json)', content: problemContent },
  '5xx': { description: 'Server error (problem+json)', content: problemContent },
} as const;

export const LIST_LIMIT = { min: 1, max: 250, default: 50 } as const;

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(LIST_LIMIT.min)
    .max(LIST_LIMIT.max)
    .default(LIST_LIMIT.default)
    .describe('page size, 1–250'),
  cursor: z.string().max(512).optional().describe('next_cursor of the previous page'),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('pass as ?cursor= for the next page; null at the end'),
  });
}

export const TenantParams = z.object({ tenant: z.string().max(64) });
