/**
 * Row <-> domain mappers, shared by every engine (the shared CRUD here and each engine's hot SQL).
 * JSON columns hold the exact text written; reading parses it, writing serialises it once.
 */
import type {
  ApiKey,
  Attempt,
  Delivery,
  DeliveryStatus,
  ErrorClass,
  Event,
  EventType,
  Json,
  JsonObject,
  PayloadFormat,
  RetryPolicy,
  Tenant,
  TenantRole,
  Webhook,
  WebhookSecret,
} from '../../domain/types.js';
import type {
  ApiKeyRow,
  AttemptRow,
  DeliveryRow,
  EventRow,
  EventTypeRow,
  TenantRow,
  WebhookRow,
} from './database.js';

export function toTenant(r: TenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    metadata: JSON.parse(r.metadata) as JsonObject,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function tenantRow(t: Tenant): TenantRow {
  return {
    id: t.id,
    name: t.name,
    metadata: JSON.stringify(t.metadata),
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

export function toApiKey(r: ApiKeyRow): ApiKey {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    role: r.role as TenantRole | 'platform',
    name: r.name,
    key_hash: r.key_hash,
    key_prefix: r.key_prefix,
    created_at: r.created_at,
    last_used_at: r.last_used_at,
  };
}

export function apiKeyRow(k: ApiKey): ApiKeyRow {
  return { ...k };
}

export function toEventType(r: EventTypeRow): EventType {
  return {
    name: r.name,
    description: r.description,
    schema: r.schema === null ? null : (JSON.parse(r.schema) as JsonObject),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function toWebhook(r: WebhookRow): Webhook {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    description: r.description,
    active: r.active === 1,
    paused: r.paused === 1,
    disabled_reason: r.disabled_reason,
    headers: JSON.parse(r.headers) as Record<string, string>,
    retry_policy: JSON.parse(r.retry_policy) as RetryPolicy,
    timeout_ms: r.timeout_ms,
    max_in_flight: r.max_in_flight,
    rate_limit_per_s: r.rate_limit_per_s,
    payload_format: r.payload_format as PayloadFormat,
    metadata: JSON.parse(r.metadata) as JsonObject,
    secrets: JSON.parse(r.secrets) as WebhookSecret[],
    listener_id: r.listener_id,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function webhookRow(w: Webhook): WebhookRow {
  return {
    tenant_id: w.tenant_id,
    id: w.id,
    url: w.url,
    events: JSON.stringify(w.events),
    description: w.description,
    active: w.active ? 1 : 0,
    paused: w.paused ? 1 : 0,
    disabled_reason: w.disabled_reason,
    headers: JSON.stringify(w.headers),
    retry_policy: JSON.stringify(w.retry_policy),
    timeout_ms: w.timeout_ms,
    max_in_flight: w.max_in_flight,
    rate_limit_per_s: w.rate_limit_per_s,
    payload_format: w.payload_format,
    metadata: JSON.stringify(w.metadata),
    secrets: JSON.stringify(w.secrets),
    listener_id: w.listener_id,
    created_at: w.created_at,
    updated_at: w.updated_at,
  };
}

/**
 * `data` is not stored on its own: it lives inside `payload`, the envelope serialised once at
 * ingest, so reading an event parses the payload rather than storing the data twice.
 */
export function toEvent(r: EventRow): Event {
  const envelope = JSON.parse(r.payload) as { data?: Json };
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    type: r.type,
    timestamp: r.timestamp,
    data: envelope.data ?? null,
    payload: r.payload,
    idempotency_key: r.idempotency_key,
    source_id: r.source_id,
    raw_body: r.raw_body,
    raw_content_type: r.raw_content_type,
    source_headers:
      r.source_headers === null ? null : (JSON.parse(r.source_headers) as Record<string, string>),
    created_at: r.created_at,
  };
}

export function eventRow(e: Event): EventRow {
  return {
    tenant_id: e.tenant_id,
    id: e.id,
    type: e.type,
    timestamp: e.timestamp,
    payload: e.payload,
    idempotency_key: e.idempotency_key,
    source_id: e.source_id,
    raw_body: e.raw_body,
    raw_content_type: e.raw_content_type,
    source_headers: e.source_headers === null ? null : JSON.stringify(e.source_headers),
    created_at: e.created_at,
  };
}

export function toDelivery(r: DeliveryRow): Delivery {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    event_id: r.event_id,
    webhook_id: r.webhook_id,
    event_type: r.event_type,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    next_attempt_at: r.next_attempt_at,
    lease_owner: r.lease_owner,
    lease_expires_at: r.lease_expires_at,
    last_status_code: r.last_status_code,
    last_error: r.last_error,
    created_at: r.created_at,
    updated_at: r.updated_at,
    completed_at: r.completed_at,
  };
}

export function toAttempt(r: AttemptRow): Attempt {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    delivery_id: r.delivery_id,
    event_id: r.event_id,
    webhook_id: r.webhook_id,
    attempt_number: r.attempt_number,
    started_at: r.started_at,
    duration_ms: r.duration_ms,
    url: r.url,
    request_headers: JSON.parse(r.request_headers) as Record<string, string>,
    response_status: r.response_status,
    response_body: r.response_body,
    error: r.error,
    error_class: r.error_class as ErrorClass | null,
    succeeded: r.succeeded === 1,
  };
}

export function attemptRow(a: Attempt): AttemptRow {
  return {
    tenant_id: a.tenant_id,
    id: a.id,
    delivery_id: a.delivery_id,
    event_id: a.event_id,
    webhook_id: a.webhook_id,
    attempt_number: a.attempt_number,
    started_at: a.started_at,
    // whole milliseconds, as PostgreSQL's INTEGER column stores them (SQLite would keep 12.6)
    duration_ms: Math.round(a.duration_ms),
    url: a.url,
    request_headers: JSON.stringify(a.request_headers),
    response_status: a.response_status,
    response_body: a.response_body,
    error: a.error,
    error_class: a.error_class,
    succeeded: a.succeeded ? 1 : 0,
  };
}
