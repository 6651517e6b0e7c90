import { z } from 'zod';
import { EVENT_TYPE_PATTERN } from '../../domain/ids.js';
import type { EventType } from '../../domain/types.js';
import { named, iso, IsoTime, JSON_DEPTH_MESSAGE, jsonDepthWithin, JsonObjectOutput } from './common.js';

export const EVENT_TYPE_NAME_MAX = 128;

export const EventTypeName = z
  .string()
  .max(EVENT_TYPE_NAME_MAX)
  .regex(EVENT_TYPE_PATTERN, 'must be dot-separated words of letters, digits, _ or - (like user.created)');

export const EventTypeParams = z.object({ name: z.string().max(EVENT_TYPE_NAME_MAX) });

/** a schema document is bounded: it is compiled to code and kept in memory by every process */
const SCHEMA_MAX_BYTES = 64 * 1024;

export const EventTypePutBody = z.strictObject({
  description: z.string().max(4096).optional(),
  schema: z
    .record(z.string(), z.unknown())
    .nullable()
    .optional()
    .refine((s) => s == null || jsonDepthWithin(s), { message: JSON_DEPTH_MESSAGE, abort: true })
    .refine((s) => s == null || JSON.stringify(s).length <= SCHEMA_MAX_BYTES, {
      message: `must serialise to at most ${SCHEMA_MAX_BYTES} bytes`,
    })
    .describe('JSON Schema (draft-07, or 2020-12 when $schema says so) for the event data'),
});

export const EventTypeSchema = z.object({
  name: z.string(),
  description: z.string(),
  schema: JsonObjectOutput.nullable(),
  created_at: IsoTime,
  updated_at: IsoTime,
});
named(EventTypeSchema, 'EventType');

export function presentEventType(t: EventType): z.output<typeof EventTypeSchema> {
  return {
    name: t.name,
    description: t.description,
    schema: t.schema,
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}
