/**
 * Domain objects for the store tests: the conformance suite (every engine) and the PostgreSQL
 * engine's own tests (concurrency, EXPLAIN).
 */
import { createHash } from 'node:crypto';
import { DEFAULT_RETRY_POLICY } from '../../src/domain/retry-policy.js';
import type { ApiKey, Attempt, Event, Tenant, TenantRole, Webhook } from '../../src/domain/types.js';
import { newId } from '../../src/domain/ids.js';
import type { ClaimedDelivery, Completion } from '../../src/store/types.js';

export function tenant(id: string, now = 1_000, overrides: Partial<Tenant> = {}): Tenant {
  return {
    id,
    name: `Tenant ${id}`,
    metadata: { plan: 'pro' },
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

export function apiKey(
  tenantId: string | null,
  secret: string,
  now = 1_000,
  role: TenantRole | 'platform' = tenantId === null ? 'platform' : 'admin',
): ApiKey {
  return {
    id: `key_${now.toString().padStart(10, '0')}${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`,
    tenant_id: tenantId,
    role,
    name: `key ${secret}`,
    key_hash: createHash('sha256').update(secret).digest('hex'),
    key_prefix: secret.slice(0, 8),
    created_at: now,
    last_used_at: null,
  };
}

export function webhook(tenantId: string, overrides: Partial<Webhook> = {}): Webhook {
  const now = overrides.created_at ?? 1_000;
  return {
    id: newId('webhook', now),
    tenant_id: tenantId,
    url: 'http://127.0.0.1:9/hook',
    events: ['*'],
    description: '',
    active: true,
    paused: false,
    disabled_reason: null,
    headers: {},
    retry_policy: { ...DEFAULT_RETRY_POLICY },
    timeout_ms: 30_000,
    max_in_flight: 16,
    rate_limit_per_s: null,
    payload_format: 'envelope',
    metadata: {},
    secrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', expires_at: null }],
    listener_id: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

export function event(tenantId: string, type: string, now: number, overrides: Partial<Event> = {}): Event {
  const id = overrides.id ?? newId('event', now);
  const data = { n: Math.floor(now) };
  return {
    tenant_id: tenantId,
    id,
    type,
    timestamp: now,
    data,
    payload: JSON.stringify({ id, type, timestamp: new Date(now).toISOString(), data }),
    idempotency_key: null,
    source_id: null,
    raw_body: null,
    raw_content_type: null,
    source_headers: null,
    created_at: now,
    ...overrides,
  };
}

export function attemptFor(c: ClaimedDelivery, startedAt: number, status: number | null): Attempt {
  return {
    tenant_id: c.delivery.tenant_id,
    id: newId('attempt', startedAt),
    delivery_id: c.delivery.id,
    event_id: c.delivery.event_id,
    webhook_id: c.delivery.webhook_id,
    attempt_number: c.delivery.attempts + 1,
    started_at: startedAt,
    duration_ms: 12,
    url: c.webhook.url,
    request_headers: { 'content-type': 'application/json' },
    response_status: status,
    response_body: status === null ? null : 'ok',
    error: status === null ? 'connect ECONNREFUSED' : null,
    error_class: status === null ? 'connect' : status >= 500 ? '5xx' : null,
    succeeded: status !== null && status >= 200 && status < 300,
  };
}

export function completion(
  c: ClaimedDelivery,
  now: number,
  outcome: Completion['outcome'],
  extra: Partial<Completion> = {},
): Completion {
  const status = outcome === 'succeeded' ? 200 : 503;
  return {
    tenant_id: c.delivery.tenant_id,
    delivery_id: c.delivery.id,
    attempt: attemptFor(c, now, status),
    outcome,
    ...(outcome === 'retry' ? { next_attempt_at: now + 5_000 } : {}),
    ...extra,
  };
}
