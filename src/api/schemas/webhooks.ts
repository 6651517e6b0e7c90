/**
 * Webhook request and response shapes.
 *
 * Bounds chosen here (documented in the OpenAPI descriptions):
 * - timeout_ms 100–120,000 (default 30,000): below 100 ms no real receiver answers; above two
 *   minutes a request holds a lease and a connection for longer than any sane receiver needs.
 * - max_in_flight 1–1,000 (default 16); rate_limit_per_s null (unlimited) or 0.01–10,000.
 * - headers: at most 32, values up to 4 KiB, no framing/hop-by-hop names and none of the names
 *   hooklane itself sends (`webhook-*`, `x-hooklane-*`), so a custom header can never forge or
 *   hide a signature.
 */
import { z } from 'zod';
import { FILTER_PATTERN } from '../../domain/event-filter.js';
import { RETRY_POLICY_LIMITS } from '../../domain/retry-policy.js';
import type { Webhook } from '../../domain/types.js';
import { isValidSecret } from '../../signing/standard-webhooks.js';
import { named, iso, IsoTime, IsoTimeInput, JsonObjectInput, JsonObjectOutput } from './common.js';
import { EVENT_TYPE_NAME_MAX, EventTypeName } from './event-types.js';

export const WEBHOOK_LIMITS = {
  timeout_ms: { min: 100, max: 120_000, default: 30_000 },
  max_in_flight: { min: 1, max: 1000, default: 16 },
  rate_limit_per_s: { min: 0.01, max: 10_000 },
  headers: { count: 32, valueBytes: 4096 },
  events: { count: 256 },
} as const;

const FORBIDDEN_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'expect',
]);
const FORBIDDEN_HEADER_PREFIXES = ['webhook-', 'x-hooklane-'];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const Url = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .refine(isHttpUrl, 'must be an absolute http(s) URL')
  .describe(
    'http(s) URL; private, loopback and metadata addresses are refused unless allowed by the operator',
  );

const EventsFilter = z
  .array(
    z
      .string()
      .max(EVENT_TYPE_NAME_MAX + 2)
      .regex(FILTER_PATTERN, 'must be "*", an event type, or a prefix like "user.*"'),
  )
  .min(1)
  .max(WEBHOOK_LIMITS.events.count)
  .refine((a) => new Set(a).size === a.length, 'must not repeat a filter')
  .describe('"*" = all; trailing ".*" = prefix; otherwise exact');

const CustomHeaders = z
  .record(
    z.string().regex(HEADER_NAME, 'must be a valid header name'),
    z
      .string()
      .max(WEBHOOK_LIMITS.headers.valueBytes)
      .regex(/^[^\r\n\0]*$/, 'must not contain line breaks'),
  )
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > WEBHOOK_LIMITS.headers.count) {
      ctx.addIssue({ code: 'custom', message: `at most ${WEBHOOK_LIMITS.headers.count} headers` });
    }
    const seen = new Set<string>();
    for (const name of names) {
      const lower = name.toLowerCase();
      if (FORBIDDEN_HEADERS.has(lower) || FORBIDDEN_HEADER_PREFIXES.some((p) => lower.startsWith(p))) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is set by hooklane or by HTTP itself and cannot be overridden',
        });
      }
      if (seen.has(lower))
        ctx.addIssue({ code: 'custom', path: [name], message: 'repeats another header name' });
      seen.add(lower);
    }
  })
  .describe('extra request headers sent with every delivery');

const limit = (l: { min: number; max: number }) => z.number().int().min(l.min).max(l.max);

export const RetryPolicyInput = z
  .strictObject({
    max_attempts: limit(RETRY_POLICY_LIMITS.max_attempts),
    initial_delay_ms: limit(RETRY_POLICY_LIMITS.initial_delay_ms),
    backoff_multiplier: z
      .number()
      .min(RETRY_POLICY_LIMITS.backoff_multiplier.min)
      .max(RETRY_POLICY_LIMITS.backoff_multiplier.max),
    max_delay_ms: limit(RETRY_POLICY_LIMITS.max_delay_ms),
  })
  .partial()
  .describe('omitted fields keep their current value (or the default)');

export const SecretInput = z
  .string()
  .refine(isValidSecret, 'must be whsec_ followed by base64 of 24–64 bytes')
  .describe('whsec_ + base64 of 24–64 random bytes');

/** the fields a user may set; create/PUT apply defaults to what is omitted, PATCH keeps the current value */
const webhookFields = {
  events: EventsFilter,
  description: z.string().max(1024),
  active: z.boolean().describe('false: no new deliveries (clears disabled_reason when set back to true)'),
  paused: z.boolean().describe('true: deliveries are created and kept, nothing is sent until unpaused'),
  headers: CustomHeaders,
  retry_policy: RetryPolicyInput,
  timeout_ms: limit(WEBHOOK_LIMITS.timeout_ms).describe('100–120000, default 30000'),
  max_in_flight: limit(WEBHOOK_LIMITS.max_in_flight).describe('1–1000, default 16'),
  rate_limit_per_s: z
    .number()
    .min(WEBHOOK_LIMITS.rate_limit_per_s.min)
    .max(WEBHOOK_LIMITS.rate_limit_per_s.max)
    .nullable()
    .describe('requests per second, null = unlimited'),
  payload_format: z.enum(['envelope', 'raw']),
  metadata: JsonObjectInput,
};

const optionalFields = z.strictObject(webhookFields).partial();

export const WebhookCreateBody = optionalFields.extend({ url: Url, secret: SecretInput.optional() });
export const WebhookReplaceBody = optionalFields.extend({ url: Url });
export const WebhookPatchBody = optionalFields.extend({ url: Url.optional() });
export type WebhookWritable = z.output<typeof WebhookPatchBody>;

export const WebhookParams = z.object({ tenant: z.string().max(64), id: z.string().max(128) });

export const RetryPolicySchema = z.object({
  max_attempts: z.number(),
  initial_delay_ms: z.number(),
  backoff_multiplier: z.number(),
  max_delay_ms: z.number(),
});

export const WebhookSchema = z.object({
  id: z.string(),
  tenant_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  active: z.boolean(),
  paused: z.boolean(),
  disabled_reason: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  retry_policy: RetryPolicySchema,
  timeout_ms: z.number(),
  max_in_flight: z.number(),
  rate_limit_per_s: z.number().nullable(),
  payload_format: z.enum(['envelope', 'raw']),
  metadata: JsonObjectOutput,
  listener_id: z
    .string()
    .nullable()
    .describe('set for a `hooklane listen` listener: ephemeral, removed after its CLI went away'),
  created_at: IsoTime,
  updated_at: IsoTime,
});
named(WebhookSchema, 'Webhook');

export const WebhookCreatedSchema = WebhookSchema.extend({
  secret: z.string().describe('the signing secret; also readable at GET …/secret'),
});
named(WebhookCreatedSchema, 'WebhookCreated');

export function presentWebhook(w: Webhook): z.output<typeof WebhookSchema> {
  return {
    id: w.id,
    tenant_id: w.tenant_id,
    url: w.url,
    events: w.events,
    description: w.description,
    active: w.active,
    paused: w.paused,
    disabled_reason: w.disabled_reason,
    headers: w.headers,
    retry_policy: { ...w.retry_policy },
    timeout_ms: w.timeout_ms,
    max_in_flight: w.max_in_flight,
    rate_limit_per_s: w.rate_limit_per_s,
    payload_format: w.payload_format,
    metadata: w.metadata,
    listener_id: w.listener_id,
    created_at: iso(w.created_at),
    updated_at: iso(w.updated_at),
  };
}

export const SecretSchema = z.object({ secret: z.string() });

/** longest grace a rotated-out secret keeps signing: a week */
export const MAX_GRACE_PERIOD_S = 7 * 86_400;

export const RotateSecretBody = z
  .strictObject({
    secret: SecretInput.optional(),
    grace_period_s: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_PERIOD_S)
      .default(86_400)
      .describe('seconds the previous secret keeps signing (sent alongside the new one); 0–604800'),
  })
  .default({ grace_period_s: 86_400 });

export const TestEventBody = z
  .strictObject({
    type: EventTypeName.default('webhook.test'),
    data: z.unknown().optional(),
  })
  .default({ type: 'webhook.test' });

export const RecoverBody = z
  .strictObject({
    since: IsoTimeInput,
    until: IsoTimeInput.optional(),
  })
  .refine((b) => b.until === undefined || b.until > b.since, {
    message: 'until must be after since',
    path: ['until'],
  });

export const RecoverResultSchema = z.object({ deliveries: z.number().int() });
