/**
 * From request bodies to Webhook rows: defaults for create and full replace (PUT), merging for
 * PATCH, and the egress check of the URL. The zod schemas have already checked every field's shape.
 */
import { HooklaneError, isHooklaneError } from '../domain/errors.js';
import { DEFAULT_RETRY_POLICY } from '../domain/retry-policy.js';
import type { Webhook, WebhookSecret } from '../domain/types.js';
import type { ApiContext } from './context.js';
import { WEBHOOK_LIMITS, type WebhookWritable } from './schemas/webhooks.js';

/** A webhook with every user-settable field at its default. */
export function webhookDefaults(fields: {
  id: string;
  tenant_id: string;
  url: string;
  secrets: WebhookSecret[];
  now: number;
}): Webhook {
  return {
    id: fields.id,
    tenant_id: fields.tenant_id,
    url: fields.url,
    events: ['*'],
    description: '',
    active: true,
    paused: false,
    disabled_reason: null,
    headers: {},
    retry_policy: { ...DEFAULT_RETRY_POLICY },
    timeout_ms: WEBHOOK_LIMITS.timeout_ms.default,
    max_in_flight: WEBHOOK_LIMITS.max_in_flight.default,
    rate_limit_per_s: null,
    payload_format: 'envelope',
    metadata: {},
    secrets: fields.secrets,
    listener_id: null,
    created_at: fields.now,
    updated_at: fields.now,
  };
}

/** `base` with the given fields applied; fields absent from `input` keep base's value */
export function applyWebhookInput(base: Webhook, input: WebhookWritable, now: number): Webhook {
  const next: Webhook = { ...base, updated_at: now };
  if (input.url !== undefined) next.url = input.url;
  if (input.events !== undefined) next.events = input.events;
  if (input.description !== undefined) next.description = input.description;
  if (input.active !== undefined) {
    next.active = input.active;
    // The user decided; a reason hooklane recorded when it disabled the webhook no longer applies.
    next.disabled_reason = null;
  }
  if (input.paused !== undefined) next.paused = input.paused;
  if (input.headers !== undefined) next.headers = input.headers;
  if (input.retry_policy !== undefined) {
    const p = input.retry_policy;
    next.retry_policy = {
      max_attempts: p.max_attempts ?? base.retry_policy.max_attempts,
      initial_delay_ms: p.initial_delay_ms ?? base.retry_policy.initial_delay_ms,
      backoff_multiplier: p.backoff_multiplier ?? base.retry_policy.backoff_multiplier,
      max_delay_ms: p.max_delay_ms ?? base.retry_policy.max_delay_ms,
    };
  }
  if (input.timeout_ms !== undefined) next.timeout_ms = input.timeout_ms;
  if (input.max_in_flight !== undefined) next.max_in_flight = input.max_in_flight;
  if (input.rate_limit_per_s !== undefined) next.rate_limit_per_s = input.rate_limit_per_s;
  if (input.payload_format !== undefined) next.payload_format = input.payload_format;
  if (input.metadata !== undefined) next.metadata = input.metadata as Webhook['metadata'];
  return next;
}

/** 400 url_not_allowed (with the path) when the egress guard refuses the URL */
export async function checkWebhookUrl(ctx: ApiContext, url: string): Promise<void> {
  try {
    await ctx.validateWebhookUrl(url, {
      allowPrivateNetworks: ctx.config.allowPrivateNetworks,
      requireHttps: ctx.config.requireHttps,
    });
  } catch (e) {
    if (isHooklaneError(e) && e.code === 'url_not_allowed') {
      throw new HooklaneError('url_not_allowed', e.message, {
        errors: [{ path: 'url', message: e.message }],
      });
    }
    throw e;
  }
}

/** secrets still valid at `now`: the current one and rotated-out ones inside their grace period */
export function liveSecrets(secrets: WebhookSecret[], now: number): WebhookSecret[] {
  return secrets.filter((s) => s.expires_at === null || s.expires_at > now);
}
