/**
 * Inbound source request and response shapes (docs/inbound.md).
 *
 * Bounds chosen here: tolerance_s 1–86,400 (default 300, Stripe's and Slack's advice);
 * dedupe_window_s 0–30 days (default 86,400; 0 turns replay defence off); max_body_bytes
 * 1 B–16 MiB (default 1 MiB); rate_limit_per_s null (unlimited) or 0.01–10,000.
 * Secrets (provider secrets, passwords, keys, verify tokens) are shown on create and by
 * GET …/verification only; every other response leaves them out.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { Source, SourceRequest } from '../../domain/types.js';
import {
  defaultEventTypeRuleFor,
  defaultIdRuleFor,
  MAX_SOURCE_BODY_BYTES,
  withoutSecrets,
} from '../../inbound/presets.js';
import { generateSecret } from '../../signing/standard-webhooks.js';
import { named, iso, IsoTime, JsonObjectOutput } from './common.js';
import { EventTypeName } from './event-types.js';

export const SOURCE_LIMITS = {
  tolerance_s: { min: 1, max: 86_400, default: 300 },
  dedupe_window_s: { min: 0, max: 30 * 86_400, default: 86_400 },
  max_body_bytes: { min: 1, max: MAX_SOURCE_BODY_BYTES, default: 1024 * 1024 },
  rate_limit_per_s: { min: 0.01, max: 10_000 },
} as const;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/;
const HeaderName = z.string().regex(HEADER_NAME, 'must be a valid header name');
const Secret = z.string().min(1).max(1024);
const JsonPointer = z
  .string()
  .max(512)
  .regex(/^(\/[^/]*)*$/, 'must be a JSON Pointer like /type or /data/object/id');
const TypePrefix = z
  .string()
  .max(64)
  .regex(/^[a-zA-Z0-9_.-]*$/, 'may contain letters, digits, _, - and . only');

const StandardWebhooksSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_ followed by base64')
  .max(1024);

const VerificationInput = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('standard_webhooks'), secret: StandardWebhooksSecret.optional() }),
    z.strictObject({
      type: z.literal('stripe'),
      secret: Secret.describe('the endpoint signing secret, whsec_…'),
    }),
    z.strictObject({ type: z.literal('github'), secret: Secret }),
    z.strictObject({ type: z.literal('shopify'), secret: Secret.describe("the app's client secret") }),
    z.strictObject({ type: z.literal('slack'), secret: Secret.describe("the app's signing secret") }),
    z.strictObject({
      type: z.literal('meta'),
      secret: Secret.describe('the app secret (signs X-Hub-Signature-256)'),
      verify_token: Secret.describe('the token you typed into the subscription form (GET handshake)'),
    }),
    z
      .strictObject({
        type: z.literal('hmac'),
        secret: Secret.optional().describe('generated when omitted'),
        header: HeaderName.describe('the header carrying the signature(s)'),
        algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
        encoding: z.enum(['hex', 'base64']).default('hex'),
        prefix: z
          .string()
          .max(64)
          .nullable()
          .default(null)
          .describe('stripped from each signature, e.g. sha256='),
        timestamp_header: HeaderName.nullable().default(null),
        signed_content: z
          .string()
          .max(256)
          .optional()
          .describe(
            'template of the signed bytes: {body}, {timestamp}; default {body}, or {timestamp}.{body} with a timestamp_header',
          ),
      })
      .superRefine((v, ctx) => {
        const template = v.signed_content ?? (v.timestamp_header === null ? '{body}' : '{timestamp}.{body}');
        if (!template.includes('{body}')) {
          ctx.addIssue({ code: 'custom', path: ['signed_content'], message: 'must contain {body}' });
        }
        if (v.timestamp_header !== null && !template.includes('{timestamp}')) {
          ctx.addIssue({
            code: 'custom',
            path: ['signed_content'],
            message:
              'must contain {timestamp} when timestamp_header is set (else the timestamp is not signed)',
          });
        }
      }),
    z.strictObject({ type: z.literal('basic'), username: Secret, password: Secret }),
    z.strictObject({
      type: z.literal('api_key'),
      header: HeaderName.default('x-api-key'),
      key: Secret.optional().describe('generated when omitted'),
    }),
    z.strictObject({ type: z.literal('none') }),
  ])
  .describe('how requests are verified; secrets are shown only on create and by GET …/verification');

export type VerificationInputT = z.output<typeof VerificationInput>;

/**
 * The stored verification: template defaults resolved, and an omitted generated secret taken from
 * `previous` when it has the same type (a PATCH changing only the header keeps the secret), else
 * generated.
 */
export function completeVerification(
  v: VerificationInputT,
  previous: Source['verification'] | null = null,
): Source['verification'] {
  const kept = previous !== null && previous.type === v.type ? previous : null;
  switch (v.type) {
    case 'standard_webhooks':
      return {
        type: v.type,
        secret: v.secret ?? (kept?.type === v.type ? kept.secret : generateSecret()),
      };
    case 'hmac':
      return {
        type: v.type,
        secret: v.secret ?? (kept?.type === v.type ? kept.secret : randomBytes(32).toString('hex')),
        header: v.header,
        algorithm: v.algorithm,
        encoding: v.encoding,
        prefix: v.prefix,
        timestamp_header: v.timestamp_header,
        signed_content: v.signed_content ?? (v.timestamp_header === null ? '{body}' : '{timestamp}.{body}'),
      };
    case 'api_key':
      return {
        type: v.type,
        header: v.header,
        key: v.key ?? (kept?.type === v.type ? kept.key : `sk_${randomBytes(24).toString('base64url')}`),
      };
    default:
      return v;
  }
}

const EventTypeRule = z
  .union([
    z.strictObject({ static: EventTypeName }),
    z.strictObject({ from_header: HeaderName, prefix: TypePrefix.optional() }),
    z.strictObject({ from_json_pointer: JsonPointer, prefix: TypePrefix.optional() }),
  ])
  .describe('{static} | {from_header, prefix?} | {from_json_pointer, prefix?}; null = the preset default');

const IdRule = z
  .union([z.strictObject({ header: HeaderName }), z.strictObject({ json_pointer: JsonPointer })])
  .describe("where the provider's delivery id is; null = the preset default (else the body's SHA-256)");

const SCHEMA_MAX_BYTES = 64 * 1024;
const SchemaInput = z
  .record(z.string(), z.unknown())
  .refine((o) => JSON.stringify(o).length <= SCHEMA_MAX_BYTES, {
    message: `must serialise to at most ${SCHEMA_MAX_BYTES} bytes`,
  })
  .nullable()
  .describe('JSON Schema the parsed body must match (400 with the failing paths)');

const limit = (l: { min: number; max: number }) => z.number().int().min(l.min).max(l.max);

const sourceFields = {
  name: z.string().trim().min(1).max(256),
  active: z.boolean().describe('false: the URL answers 404'),
  tolerance_s: limit(SOURCE_LIMITS.tolerance_s).describe(
    'accepted clock skew of signed timestamps, 1–86400 s',
  ),
  event_type: EventTypeRule.nullable(),
  id_from: IdRule.nullable(),
  dedupe_window_s: limit(SOURCE_LIMITS.dedupe_window_s).describe('0 turns dedupe off; up to 30 days'),
  rate_limit_per_s: z
    .number()
    .min(SOURCE_LIMITS.rate_limit_per_s.min)
    .max(SOURCE_LIMITS.rate_limit_per_s.max)
    .nullable()
    .describe('requests per second, null = unlimited'),
  max_body_bytes: limit(SOURCE_LIMITS.max_body_bytes).describe('bodies above it get 413; up to 16 MiB'),
  schema: SchemaInput,
};

export const SourceCreateBody = z
  .strictObject(sourceFields)
  .partial()
  .extend({ name: sourceFields.name, verification: VerificationInput });
export const SourcePatchBody = z
  .strictObject(sourceFields)
  .partial()
  .extend({
    verification: VerificationInput.optional().describe('replaces the whole verification (secrets included)'),
  });
export type SourceWritable = z.output<typeof SourcePatchBody>;

export const SourceParams = z.object({ tenant: z.string().max(64), id: z.string().max(128) });

export const RotateUrlBody = z
  .strictObject({
    grace_period_s: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(0)
      .describe('seconds the old URL keeps working; 0 (default) = it stops at once'),
  })
  .default({ grace_period_s: 0 });

export const SourceSchema = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  url: z.string().describe('the public URL providers post to; its last segment is secret'),
  active: z.boolean(),
  verification: z.object({ type: z.string() }).catchall(z.unknown()).describe('without its secrets'),
  previous_secrets_expire_at: z
    .array(IsoTime)
    .describe('when each rotated-out secret that still verifies stops (secret/rotate)'),
  tolerance_s: z.number(),
  event_type: z
    .record(z.string(), z.unknown())
    .describe('the rule in effect (the preset default when not set)'),
  id_from: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('the rule in effect; null = SHA-256 of the body'),
  dedupe_window_s: z.number(),
  rate_limit_per_s: z.number().nullable(),
  max_body_bytes: z.number(),
  schema: JsonObjectOutput.nullable(),
  created_at: IsoTime,
  updated_at: IsoTime,
});
named(SourceSchema, 'Source');

export const SourceCreatedSchema = SourceSchema.extend({
  verification: z
    .object({ type: z.string() })
    .catchall(z.unknown())
    .describe('with its secrets (shown here and by GET …/verification)'),
});
named(SourceCreatedSchema, 'SourceCreated');

export const VerificationSchema = z.object({
  verification: z.object({ type: z.string() }).catchall(z.unknown()),
  previous_secrets: z
    .array(z.object({ secret: z.string(), expires_at: IsoTime }))
    .describe('rotated-out secrets that still verify until expires_at'),
});

export function presentVerification(s: Source): z.output<typeof VerificationSchema> {
  return {
    verification: { ...s.verification },
    previous_secrets: s.previous_secrets.map((p) => ({ secret: p.secret, expires_at: iso(p.expires_at) })),
  };
}

/** rotated-out secrets kept at most (the oldest go first) */
const MAX_PREVIOUS_SECRETS = 4;

export const RotateSourceSecretBody = z
  .strictObject({
    secret: Secret.optional().describe(
      'the new secret; generated for standard_webhooks and hmac when omitted',
    ),
    grace_period_s: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(0)
      .describe('seconds the old secret keeps verifying; 0 (default) = it stops at once'),
  })
  .default({ grace_period_s: 0 });

/**
 * The source with a new verification secret; the old one verifies until now + grace (0: never
 * again). Only verifications with a `secret` rotate; provider presets need the provider's new secret.
 */
export function rotateSourceSecret(
  source: Source,
  input: z.output<typeof RotateSourceSecretBody>,
  now: number,
): Source {
  const v = source.verification;
  if (!('secret' in v)) {
    throw new HooklaneError('validation_failed', `a ${v.type} verification has no secret to rotate`, {
      errors: [{ path: 'verification.type', message: 'has no secret' }],
    });
  }
  let secret = input.secret;
  if (secret === undefined) {
    if (v.type === 'standard_webhooks') secret = generateSecret();
    else if (v.type === 'hmac') secret = randomBytes(32).toString('hex');
    else {
      throw new HooklaneError('validation_failed', `give the new ${v.type} secret`, {
        errors: [{ path: 'secret', message: 'is required for this verification type' }],
      });
    }
  }
  if (v.type === 'standard_webhooks' && !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) {
    throw new HooklaneError('validation_failed', 'secret must be whsec_ followed by base64', {
      errors: [{ path: 'secret', message: 'must be whsec_ followed by base64' }],
    });
  }
  const live = source.previous_secrets.filter((p) => p.expires_at > now);
  const previous =
    input.grace_period_s > 0
      ? [{ secret: v.secret, expires_at: now + input.grace_period_s * 1000 }, ...live]
      : live;
  return {
    ...source,
    verification: { ...v, secret },
    previous_secrets: previous.slice(0, MAX_PREVIOUS_SECRETS),
    updated_at: now,
  };
}

export function sourceUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/in/${token}`;
}

export function presentSource(s: Source, publicUrl: string): z.output<typeof SourceSchema> {
  return {
    id: s.id,
    tenant_id: s.tenant_id,
    name: s.name,
    url: sourceUrl(publicUrl, s.token),
    active: s.active,
    verification: withoutSecrets(s.verification) as { type: string },
    previous_secrets_expire_at: s.previous_secrets.map((p) => iso(p.expires_at)),
    tolerance_s: s.tolerance_s,
    event_type: { ...(s.event_type ?? defaultEventTypeRuleFor(s.verification.type)) },
    id_from: (s.id_from ?? defaultIdRuleFor(s.verification.type)) as Record<string, unknown> | null,
    dedupe_window_s: s.dedupe_window_s,
    rate_limit_per_s: s.rate_limit_per_s,
    max_body_bytes: s.max_body_bytes,
    schema: s.schema,
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
  };
}

export const SourceRequestSchema = z.object({
  id: z.string().describe('also the x-request-id of the answer'),
  source_id: z.string(),
  received_at: IsoTime,
  method: z.string(),
  headers: z.record(z.string(), z.string()).describe('secrets and credentials redacted'),
  content_type: z.string().nullable(),
  body_bytes: z.number(),
  body_excerpt: z
    .string()
    .nullable()
    .describe('the first 2 KiB of the body; null when accepted (the event holds it)'),
  status: z.number().describe('the status hooklane answered'),
  outcome: z.enum(['accepted', 'duplicate', 'handshake', 'rejected']),
  reason: z.string().nullable().describe('why it was rejected: an error code and detail'),
  event_id: z.string().nullable(),
});
named(SourceRequestSchema, 'SourceRequest');

export function presentSourceRequest(r: SourceRequest): z.output<typeof SourceRequestSchema> {
  return {
    id: r.id,
    source_id: r.source_id,
    received_at: iso(r.received_at),
    method: r.method,
    headers: r.headers,
    content_type: r.content_type,
    body_bytes: r.body_bytes,
    body_excerpt: r.body_excerpt,
    status: r.status,
    outcome: r.outcome,
    reason: r.reason,
    event_id: r.event_id,
  };
}
