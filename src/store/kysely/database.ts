/**
 * The Kysely view of hooklane's schema (../sqlite/migrations, mirrored by ../postgres/migrations).
 * Column types are what BOTH drivers hand back: times are integer epoch ms (PostgreSQL BIGINT is
 * parsed to number by the pg engine), booleans are 0/1 integers (SQLite INTEGER, PostgreSQL
 * SMALLINT), JSON is TEXT holding the exact bytes written, binary is a Buffer (BLOB / BYTEA).
 * Columns with a default are still required here: the mappers in ./rows.ts always write every one.
 */
export interface TenantsTable {
  id: string;
  name: string;
  metadata: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string | null;
  role: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  created_at: number;
  last_used_at: number | null;
}

export interface EventTypesTable {
  name: string;
  description: string;
  schema: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhooksTable {
  tenant_id: string;
  id: string;
  url: string;
  events: string;
  description: string;
  active: number;
  paused: number;
  disabled_reason: string | null;
  headers: string;
  retry_policy: string;
  timeout_ms: number;
  max_in_flight: number;
  rate_limit_per_s: number | null;
  payload_format: string;
  metadata: string;
  secrets: string;
  listener_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  tenant_id: string;
  id: string;
  type: string;
  timestamp: number;
  payload: string;
  idempotency_key: string | null;
  source_id: string | null;
  raw_body: Buffer | null;
  raw_content_type: string | null;
  source_headers: string | null;
  created_at: number;
}

export interface DeliveriesTable {
  tenant_id: string;
  id: string;
  event_id: string;
  webhook_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface AttemptsTable {
  tenant_id: string;
  id: string;
  delivery_id: string;
  event_id: string;
  webhook_id: string;
  attempt_number: number;
  started_at: number;
  duration_ms: number;
  url: string;
  request_headers: string;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
  error_class: string | null;
  succeeded: number;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  event_types: EventTypesTable;
  webhooks: WebhooksTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  attempts: AttemptsTable;
}

export type TenantRow = TenantsTable;
export type ApiKeyRow = ApiKeysTable;
export type EventTypeRow = EventTypesTable;
export type WebhookRow = WebhooksTable;
export type EventRow = EventsTable;
export type DeliveryRow = DeliveriesTable;
export type AttemptRow = AttemptsTable;
