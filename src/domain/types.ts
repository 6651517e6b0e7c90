/**
 * Glossary types (see ../shared/DESIGN.md). Every time is epoch milliseconds (a number) inside
 * hooklane; the API layer turns them into ISO-8601 strings. Every tenant-owned row carries tenant_id.
 *
 * tenant      one customer of the platform; owns webhooks, sources, events
 * api key     a bearer secret; platform admin (tenant_id null) or tenant key with a role
 * event type  a registered name like `user.created`, optional JSON Schema for its `data`
 * event       one thing that happened: {id, type, timestamp, data}; immutable, idempotent on id
 * webhook     an outbound subscription: URL, event filter, secret(s), retry policy, limits
 * delivery    one event owed to one webhook; the unit of the queue
 * attempt     one HTTP request of a delivery
 * source      an inbound URL with a verification rule
 * lease       a worker's time-limited claim on a delivery
 */

export type EpochMs = number;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type TenantRole = 'admin' | 'editor' | 'viewer';

export interface Tenant {
  id: string;
  name: string;
  metadata: JsonObject;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface ApiKey {
  id: string;
  /** null for a platform admin key */
  tenant_id: string | null;
  /** 'platform' only when tenant_id is null */
  role: TenantRole | 'platform';
  name: string;
  /** hex SHA-256 of the full key */
  key_hash: string;
  /** first characters of the key, safe to show (`hl_ab12…`) */
  key_prefix: string;
  created_at: EpochMs;
  last_used_at: EpochMs | null;
}

export interface EventType {
  name: string;
  description: string;
  /** JSON Schema for the event's `data`, or null */
  schema: JsonObject | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface RetryPolicy {
  max_attempts: number;
  initial_delay_ms: number;
  backoff_multiplier: number;
  max_delay_ms: number;
}

export interface WebhookSecret {
  /** `whsec_` + base64 */
  secret: string;
  /** null for the current secret; a rotated-out secret signs until this time */
  expires_at: EpochMs | null;
}

/** `envelope` = hooklane's JSON {id,type,timestamp,data}; `raw` = an inbound source's original bytes */
export type PayloadFormat = 'envelope' | 'raw';

export interface Webhook {
  id: string;
  tenant_id: string;
  url: string;
  /** filters: exact type, trailing `.*` prefix, or `*` */
  events: string[];
  description: string;
  active: boolean;
  paused: boolean;
  disabled_reason: string | null;
  headers: Record<string, string>;
  retry_policy: RetryPolicy;
  timeout_ms: number;
  max_in_flight: number;
  rate_limit_per_s: number | null;
  payload_format: PayloadFormat;
  metadata: JsonObject;
  /** current first, then rotated-out secrets still in their grace period */
  secrets: WebhookSecret[];
  /** set for `hooklane listen` listener webhooks: deliveries are pushed over a stream, not POSTed */
  listener_id: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface Event {
  tenant_id: string;
  id: string;
  type: string;
  timestamp: EpochMs;
  data: Json;
  /** the exact JSON envelope bytes sent to webhooks, serialised once at ingest */
  payload: string;
  idempotency_key: string | null;
  source_id: string | null;
  /** inbound only: the provider's original body and content type, for `payload_format: raw` */
  raw_body: Buffer | null;
  raw_content_type: string | null;
  /** inbound only: the request's non-secret headers */
  source_headers: Record<string, string> | null;
  created_at: EpochMs;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'cancelled';

export interface Delivery {
  tenant_id: string;
  id: string;
  event_id: string;
  webhook_id: string;
  event_type: string;
  status: DeliveryStatus;
  /** attempts made so far */
  attempts: number;
  next_attempt_at: EpochMs;
  lease_owner: string | null;
  lease_expires_at: EpochMs | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
  completed_at: EpochMs | null;
}

/** how one attempt failed, for stats and metrics */
export type ErrorClass = 'timeout' | 'connect' | 'redirect' | '4xx' | '5xx' | 'blocked' | 'other';

export interface Attempt {
  tenant_id: string;
  id: string;
  delivery_id: string;
  event_id: string;
  webhook_id: string;
  /** 1-based */
  attempt_number: number;
  started_at: EpochMs;
  duration_ms: number;
  url: string;
  /** request headers as sent, minus signatures */
  request_headers: Record<string, string>;
  response_status: number | null;
  /** first 4 KiB of the response body */
  response_body: string | null;
  error: string | null;
  error_class: ErrorClass | null;
  succeeded: boolean;
}

/** how an inbound source checks that a request really comes from its provider */
export type SourceVerification =
  | { type: 'standard_webhooks'; secret: string }
  | { type: 'stripe'; secret: string }
  | { type: 'github'; secret: string }
  | { type: 'shopify'; secret: string }
  | { type: 'slack'; secret: string }
  /** WhatsApp Cloud API and other Meta webhooks: app secret, plus the GET handshake's verify token */
  | { type: 'meta'; secret: string; verify_token: string }
  | {
      type: 'hmac';
      secret: string;
      header: string;
      algorithm: 'sha1' | 'sha256' | 'sha512';
      encoding: 'hex' | 'base64';
      /** stripped from each signature before comparing, e.g. `sha256=` */
      prefix: string | null;
      timestamp_header: string | null;
      /** what is signed: `{body}` and `{timestamp}` are replaced, e.g. `{timestamp}.{body}` */
      signed_content: string;
    }
  | { type: 'basic'; username: string; password: string }
  | { type: 'api_key'; header: string; key: string }
  | { type: 'none' };

export type SourceVerificationType = SourceVerification['type'];

/** where an inbound request's event type comes from; `prefix` is prepended */
export type SourceEventTypeRule =
  | { static: string }
  | { from_header: string; prefix?: string | undefined }
  | { from_json_pointer: string; prefix?: string | undefined };

/** where the provider's delivery id (the dedupe key) comes from */
export type SourceIdRule = { header: string } | { json_pointer: string };

export interface Source {
  id: string;
  tenant_id: string;
  name: string;
  /** the secret part of the public URL `/in/{token}` */
  token: string;
  active: boolean;
  verification: SourceVerification;
  /** rotated-out provider secrets that still verify until their expires_at (secret/rotate) */
  previous_secrets: { secret: string; expires_at: EpochMs }[];
  /** accepted clock difference of signed timestamps, seconds */
  tolerance_s: number;
  /** null: the preset's default */
  event_type: SourceEventTypeRule | null;
  /** null: the preset's default, else the SHA-256 of the body */
  id_from: SourceIdRule | null;
  dedupe_window_s: number;
  /** null: unlimited */
  rate_limit_per_s: number | null;
  max_body_bytes: number;
  /** JSON Schema the event data must match, or null */
  schema: JsonObject | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** what became of one request to a source URL */
export type SourceRequestOutcome = 'accepted' | 'duplicate' | 'handshake' | 'rejected';

/** One request received at a source URL, rejected ones too (the source's request log). */
export interface SourceRequest {
  tenant_id: string;
  id: string;
  source_id: string;
  received_at: EpochMs;
  method: string;
  /** request headers with secrets and credentials redacted */
  headers: Record<string, string>;
  content_type: string | null;
  body_bytes: number;
  /** the first bytes of the body, as text */
  body_excerpt: string | null;
  status: number;
  outcome: SourceRequestOutcome;
  /** why it was rejected (an error code plus detail), null when accepted */
  reason: string | null;
  event_id: string | null;
}
