/**
 * The API's resources as they travel over the wire: snake_case fields, ISO-8601 UTC time strings.
 * These mirror the server's OpenAPI document (`GET /openapi.json`); test/sdk/openapi.test.ts fails
 * when a field is added, removed or changes optionality or nullability on either side.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** an ISO-8601 UTC time, e.g. `2026-11-22T12:00:00.000Z` */
export type IsoTime = string;

/** one page of a list, newest first; pass `next_cursor` as `cursor` for the next page */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface PageParams {
  /** 1–250, default 50 */
  limit?: number;
  cursor?: string;
}

export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details, as every API error is sent */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  request_id?: string;
}

// ── tenants and api keys ────────────────────────────────────────────────────────────────────

export interface Tenant {
  id: string;
  name: string;
  metadata: JsonObject;
  created_at: IsoTime;
  updated_at: IsoTime;
}

export interface TenantCreate {
  /** your own id, `^[a-zA-Z0-9_-]{1,64}$`; generated (`ten_…`) when omitted */
  id?: string;
  name: string;
  metadata?: JsonObject;
}

export interface TenantUpdate {
  name?: string;
  metadata?: JsonObject;
}

export type ApiKeyRole = 'admin' | 'editor' | 'viewer';

export interface ApiKey {
  id: string;
  /** null for the platform admin key */
  tenant_id: string | null;
  role: ApiKeyRole | 'platform';
  name: string;
  /** the first characters of the key, to tell keys apart */
  key_prefix: string;
  created_at: IsoTime;
  last_used_at: IsoTime | null;
}

export interface ApiKeyCreated extends ApiKey {
  /** the bearer key; shown only in this response */
  key: string;
}

export interface ApiKeyCreate {
  role: ApiKeyRole;
  name?: string;
}

// ── event types ─────────────────────────────────────────────────────────────────────────────

export interface EventType {
  name: string;
  description: string;
  /** JSON Schema for the event's `data`, or null */
  schema: JsonObject | null;
  created_at: IsoTime;
  updated_at: IsoTime;
}

export interface EventTypePut {
  description?: string;
  schema?: JsonObject | null;
}

// ── webhooks ────────────────────────────────────────────────────────────────────────────────

export interface RetryPolicy {
  max_attempts: number;
  initial_delay_ms: number;
  backoff_multiplier: number;
  max_delay_ms: number;
}

/** `envelope` = `{id, type, timestamp, data}`; `raw` = an inbound source's original bytes */
export type PayloadFormat = 'envelope' | 'raw';

export interface Webhook {
  id: string;
  tenant_id: string;
  url: string;
  /** `"*"` = all; trailing `.*` = prefix; otherwise exact */
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
  /** set for a `hooklane listen` listener (`lsn_…`): ephemeral, removed after its CLI went away */
  listener_id: string | null;
  created_at: IsoTime;
  updated_at: IsoTime;
}

export interface WebhookCreated extends Webhook {
  /** the signing secret (`whsec_…`); also readable with `webhooks.secret()` */
  secret: string;
}

/** what may be set on a webhook; omitted fields get defaults (create, replace) or keep their value (update) */
export interface WebhookFields {
  events?: string[];
  description?: string;
  active?: boolean;
  paused?: boolean;
  headers?: Record<string, string>;
  /** omitted fields keep their current value (or the default) */
  retry_policy?: Partial<RetryPolicy>;
  timeout_ms?: number;
  max_in_flight?: number;
  rate_limit_per_s?: number | null;
  payload_format?: PayloadFormat;
  metadata?: JsonObject;
}

export interface WebhookCreate extends WebhookFields {
  url: string;
  /** `whsec_` + base64 of 24–64 bytes; generated when omitted */
  secret?: string;
}

export interface WebhookReplace extends WebhookFields {
  url: string;
}

export interface WebhookUpdate extends WebhookFields {
  url?: string;
}

export interface WebhookSecret {
  secret: string;
}

export interface SecretRotate {
  /** the new secret; generated when omitted */
  secret?: string;
  /** seconds the previous secret keeps signing alongside the new one (default 86400) */
  grace_period_s?: number;
}

export interface WebhookTest {
  /** default `webhook.test` */
  type?: string;
  data?: unknown;
}

export interface WebhookRecover {
  /** re-deliver events created at or after this time */
  since: IsoTime | Date;
  until?: IsoTime | Date;
}

export interface RecoverResult {
  /** deliveries created */
  deliveries: number;
}

// ── events, deliveries, attempts ────────────────────────────────────────────────────────────

export interface EventSend<TData = unknown> {
  /** your id for this event, `^[a-zA-Z0-9_.:-]{1,128}$`; sending it again returns the original */
  id?: string;
  type: string;
  data: TData;
}

export interface EventAccepted<TData = unknown> {
  id: string;
  type: string;
  timestamp: IsoTime;
  data: TData;
  /** deliveries this request created (0 when it repeated an earlier one) */
  deliveries: number;
}

export interface Event<TData = unknown> {
  id: string;
  type: string;
  timestamp: IsoTime;
  data: TData;
  idempotency_key: string | null;
  source_id: string | null;
  created_at: IsoTime;
}

export interface EventListParams extends PageParams {
  type?: string;
  /** created at or after */
  since?: IsoTime | Date;
  /** created before */
  until?: IsoTime | Date;
  source_id?: string;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'cancelled';

export interface Delivery {
  id: string;
  tenant_id: string;
  event_id: string;
  webhook_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  /** when the next attempt is due; null once completed */
  next_attempt_at: IsoTime | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: IsoTime;
  updated_at: IsoTime;
  completed_at: IsoTime | null;
}

export interface Attempt {
  id: string;
  delivery_id: string;
  attempt_number: number;
  started_at: IsoTime;
  duration_ms: number;
  url: string;
  request_headers: Record<string, string>;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
  error_class: string | null;
  succeeded: boolean;
}

export interface DeliveryWithAttempts extends Delivery {
  attempts: Attempt[];
}

export interface DeliveryListParams extends PageParams {
  event_id?: string;
  webhook_id?: string;
  status?: DeliveryStatus;
}

// ── who am I, portal links ──────────────────────────────────────────────────────────────────

/** what the presented key (or portal session) is */
export interface WhoAmI {
  kind: 'platform' | 'tenant';
  /** null for the platform key */
  tenant_id: string | null;
  role: 'platform' | 'admin' | 'editor' | 'viewer';
  /** signed in through a portal link */
  portal: boolean;
}

export interface PortalLinkCreate {
  /** 60–604800, default 3600 */
  expires_in_s?: number;
  /** what the portal may do (default editor) */
  role?: 'viewer' | 'editor';
}

export interface PortalLink {
  /** opens the dashboard signed in to this tenant only; give it to one person */
  url: string;
  /** the session token in the url, to embed the portal yourself */
  token: string;
  tenant_id: string;
  role: 'viewer' | 'editor';
  expires_at: IsoTime;
}

// ── delivery statistics ─────────────────────────────────────────────────────────────────────

export type StatsWindow = '1h' | '24h' | '7d';

export interface StatsBucket {
  /** bucket start */
  start: IsoTime;
  /** events received (per webhook: events it was owed) */
  events: number;
  /** deliveries created in the bucket, by current status (`pending` includes being delivered) */
  deliveries: { succeeded: number; failed: number; pending: number; cancelled: number };
  /** succeeded / (succeeded + failed); null when none finished */
  success_rate: number | null;
  attempts: number;
  attempts_succeeded: number;
  /** attempt duration percentiles */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  /** failed attempts by error class */
  errors: {
    timeout: number;
    connect: number;
    '4xx': number;
    '5xx': number;
    redirect: number;
    blocked: number;
    other: number;
  };
}

export interface Stats {
  window: StatsWindow;
  bucket_s: number;
  since: IsoTime;
  until: IsoTime;
  /** null for the whole tenant */
  webhook_id: string | null;
  total: StatsBucket;
  buckets: StatsBucket[];
}

// ── inbound sources ─────────────────────────────────────────────────────────────────────────

/** how a source verifies what it receives; secrets generated when omitted where noted */
export type SourceVerificationInput =
  | { type: 'standard_webhooks'; /** generated when omitted */ secret?: string }
  | { type: 'stripe' | 'github' | 'shopify' | 'slack'; secret: string }
  | { type: 'meta'; secret: string; verify_token: string }
  | {
      type: 'hmac';
      /** generated when omitted */
      secret?: string;
      header: string;
      algorithm?: 'sha1' | 'sha256' | 'sha512';
      encoding?: 'hex' | 'base64';
      prefix?: string | null;
      timestamp_header?: string | null;
      /** template of the signed bytes: `{body}`, `{timestamp}` */
      signed_content?: string;
    }
  | { type: 'basic'; username: string; password: string }
  | { type: 'api_key'; header?: string; /** generated when omitted */ key?: string }
  | { type: 'none' };

/** a verification as responses show it: without secrets, except on create and `sources.verification()` */
export interface SourceVerification {
  type: string;
  [field: string]: unknown;
}

export type SourceEventTypeRule =
  | { static: string }
  | { from_header: string; prefix?: string }
  | { from_json_pointer: string; prefix?: string };

export type SourceIdRule = { header: string } | { json_pointer: string };

export interface Source {
  id: string;
  tenant_id: string;
  name: string;
  /** the public URL providers post to; its last segment is secret */
  url: string;
  active: boolean;
  verification: SourceVerification;
  /** when each rotated-out secret that still verifies stops (sources' secret/rotate) */
  previous_secrets_expire_at: IsoTime[];
  tolerance_s: number;
  /** the rule in effect (the preset default when not set) */
  event_type: Record<string, unknown>;
  /** the rule in effect; null = SHA-256 of the body */
  id_from: Record<string, unknown> | null;
  dedupe_window_s: number;
  rate_limit_per_s: number | null;
  max_body_bytes: number;
  schema: JsonObject | null;
  created_at: IsoTime;
  updated_at: IsoTime;
}

/** the created source: `verification` carries its secrets */
export type SourceCreated = Source;

export interface SourceFields {
  name?: string;
  active?: boolean;
  tolerance_s?: number;
  event_type?: SourceEventTypeRule | null;
  id_from?: SourceIdRule | null;
  dedupe_window_s?: number;
  rate_limit_per_s?: number | null;
  max_body_bytes?: number;
  schema?: JsonObject | null;
}

export interface SourceCreate extends SourceFields {
  name: string;
  verification: SourceVerificationInput;
}

export interface SourceUpdate extends SourceFields {
  /** replaces the whole verification, secrets included */
  verification?: SourceVerificationInput;
}

export interface SourceRotateUrl {
  /** seconds the old URL keeps working; 0 (default) = it stops at once */
  grace_period_s?: number;
}

export interface SourceSecretRotate {
  /** the new secret; generated for standard_webhooks and hmac when omitted */
  secret?: string;
  /** seconds the old secret keeps verifying; 0 (default) = it stops at once */
  grace_period_s?: number;
}

export interface SourceRequest {
  /** also the x-request-id of the answer */
  id: string;
  source_id: string;
  received_at: IsoTime;
  method: string;
  /** secrets and credentials redacted */
  headers: Record<string, string>;
  content_type: string | null;
  body_bytes: number;
  /** the first 2 KiB of the body */
  body_excerpt: string | null;
  /** the status hooklane answered */
  status: number;
  outcome: 'accepted' | 'duplicate' | 'handshake' | 'rejected';
  /** why it was rejected */
  reason: string | null;
  event_id: string | null;
}

// ── hooklane listen ─────────────────────────────────────────────────────────────────────────

export interface ListenerRegister {
  /** the local URL deliveries are forwarded to (by the CLI; the server never calls it) */
  forward_to: string;
  /** event filter, default `["*"]` */
  events?: string[];
  /** re-register this listener after a reconnect, if it still exists */
  id?: string;
}

export interface Listener {
  /** `lsn_…` */
  id: string;
  /** the ephemeral webhook that takes part in fan-out (and shows in the webhook list) */
  webhook_id: string;
  tenant_id: string;
  forward_to: string;
  events: string[];
  /** verify deliveries with this; the same for this api key and tenant on every run */
  secret: string;
  /** the listener is removed this long after its stream closed */
  grace_period_ms: number;
}

/** one pushed request, as the listener stream's `delivery` events carry it */
export interface ListenerDelivery {
  request_id: string;
  delivery_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  webhook_id: string;
  timeout_ms: number;
  headers: Record<string, string>;
  /** the exact signed body bytes, base64 */
  body_base64: string;
}

/** the local app's answer to one pushed request */
export interface ListenerResult {
  request_id: string;
  /** null when the local app could not be reached or did not answer */
  status: number | null;
  /** the first 4 KiB of its answer */
  body?: string | null;
  duration_ms: number;
  error?: string | null;
  error_class?: 'connect' | 'timeout' | 'other' | null;
  retry_after?: string | null;
}

// ── what a webhook receives ─────────────────────────────────────────────────────────────────

/** the JSON body hooklane POSTs to a webhook (payload format `envelope`) */
export interface WebhookEvent<TData = unknown> {
  /** the event id; also the `webhook-id` header, the same on every retry (dedupe on it) */
  id: string;
  type: string;
  timestamp: IsoTime;
  data: TData;
}
