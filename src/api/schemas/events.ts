import { z } from 'zod';
import { EVENT_ID_PATTERN } from '../../domain/ids.js';
import type { Attempt, Delivery, Event } from '../../domain/types.js';
import {
  named,
  iso,
  isoOrNull,
  IsoTime,
  IsoTimeInput,
  JSON_DEPTH_MESSAGE,
  jsonDepthWithin,
  PageQuery,
} from './common.js';
import { EventTypeName } from './event-types.js';

export const EventCreateBody = z.strictObject({
  id: z
    .string()
    .regex(EVENT_ID_PATTERN, 'must match ^[a-zA-Z0-9_.:-]{1,128}$')
    .optional()
    .describe('your id for this event; sending it again returns the original (idempotency)'),
  type: EventTypeName,
  data: z
    .unknown()
    .refine((d) => d !== undefined, { message: 'is required', abort: true })
    .refine((d) => jsonDepthWithin(d), JSON_DEPTH_MESSAGE)
    .describe('any JSON; validated against the event type schema when one is registered'),
});

/** `Idempotency-Key` header: printable ASCII, like Stripe's */
export const IdempotencyKeyHeader = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters')
    .optional()
    .describe('a retry with the same key returns the original event and sends nothing again'),
});

export const EventAcceptedSchema = z.object({
  id: z.string(),
  type: z.string(),
  timestamp: IsoTime,
  data: z.unknown(),
  deliveries: z
    .number()
    .int()
    .describe('deliveries this request created (0 when it repeated an earlier one)'),
});
named(EventAcceptedSchema, 'EventAccepted');

export const EventSchema = z.object({
  id: z.string(),
  type: z.string(),
  timestamp: IsoTime,
  data: z.unknown(),
  idempotency_key: z.string().nullable(),
  source_id: z.string().nullable(),
  created_at: IsoTime,
});
named(EventSchema, 'Event');

export function presentEvent(e: Event): z.output<typeof EventSchema> {
  return {
    id: e.id,
    type: e.type,
    timestamp: iso(e.timestamp),
    data: e.data,
    idempotency_key: e.idempotency_key,
    source_id: e.source_id,
    created_at: iso(e.created_at),
  };
}

/**
 * The 202/200 body of POST /events, built from the stored envelope so `data` is not serialised a
 * second time: the envelope is exactly `{"id":…,"type":…,"timestamp":…,"data":…}`.
 */
export function acceptedBody(e: Event, deliveries: number): string {
  return `${e.payload.slice(0, -1)},"deliveries":${deliveries}}`;
}

export const EventListQuery = PageQuery.extend({
  type: EventTypeName.optional(),
  since: IsoTimeInput.optional().describe('created at or after'),
  until: IsoTimeInput.optional().describe('created before'),
  source_id: z.string().max(128).optional(),
});

export const EventParams = z.object({ tenant: z.string().max(64), id: z.string().max(128) });

export const DeliveryStatusEnum = z.enum(['pending', 'delivering', 'succeeded', 'failed', 'cancelled']);

export const DeliveryListQuery = PageQuery.extend({
  event_id: z.string().max(128).optional(),
  webhook_id: z.string().max(128).optional(),
  status: DeliveryStatusEnum.optional(),
});

export const DeliverySchema = z.object({
  id: z.string(),
  tenant_id: z.string(),
  event_id: z.string(),
  webhook_id: z.string(),
  event_type: z.string(),
  status: DeliveryStatusEnum,
  attempt_count: z.number().int(),
  next_attempt_at: IsoTime.nullable().describe('when the next attempt is due; null once completed'),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: IsoTime,
  updated_at: IsoTime,
  completed_at: IsoTime.nullable(),
});
named(DeliverySchema, 'Delivery');

export const AttemptSchema = z.object({
  id: z.string(),
  delivery_id: z.string(),
  attempt_number: z.number().int(),
  started_at: IsoTime,
  duration_ms: z.number(),
  url: z.string(),
  request_headers: z.record(z.string(), z.string()),
  response_status: z.number().int().nullable(),
  response_body: z.string().nullable(),
  error: z.string().nullable(),
  error_class: z.string().nullable(),
  succeeded: z.boolean(),
});
named(AttemptSchema, 'Attempt');

export const DeliveryWithAttemptsSchema = DeliverySchema.extend({ attempts: z.array(AttemptSchema) });
named(DeliveryWithAttemptsSchema, 'DeliveryWithAttempts');

export function presentDelivery(d: Delivery): z.output<typeof DeliverySchema> {
  const open = d.status === 'pending' || d.status === 'delivering';
  return {
    id: d.id,
    tenant_id: d.tenant_id,
    event_id: d.event_id,
    webhook_id: d.webhook_id,
    event_type: d.event_type,
    status: d.status,
    attempt_count: d.attempts,
    next_attempt_at: open ? iso(d.next_attempt_at) : null,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    created_at: iso(d.created_at),
    updated_at: iso(d.updated_at),
    completed_at: isoOrNull(d.completed_at),
  };
}

export function presentAttempt(a: Attempt): z.output<typeof AttemptSchema> {
  return {
    id: a.id,
    delivery_id: a.delivery_id,
    attempt_number: a.attempt_number,
    started_at: iso(a.started_at),
    duration_ms: a.duration_ms,
    url: a.url,
    request_headers: a.request_headers,
    response_status: a.response_status,
    response_body: a.response_body,
    error: a.error,
    error_class: a.error_class,
    succeeded: a.succeeded,
  };
}
