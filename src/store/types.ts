/**
 * The Store: the one seam between hooklane and its database. It speaks in glossary types and queue
 * verbs and exposes no driver types, so `delivery/`, `ingest/` and `api/` never know which engine
 * runs underneath. Engine differences are named capability flags, never `if (sqlite)`.
 *
 * Engines: `sqlite/` (better-sqlite3, one process) and `postgres/` (pg, many processes).
 * Ordinary CRUD is shared (`kysely/`); each engine hand-writes its hot queue SQL.
 *
 * Every write that must be atomic is one Store verb, so callers never hold a transaction.
 */
import type {
  ApiKey,
  Attempt,
  Delivery,
  DeliveryStatus,
  EpochMs,
  Event,
  EventType,
  JsonObject,
  Source,
  SourceRequest,
  Tenant,
  Webhook,
} from '../domain/types.js';

export interface StoreCapabilities {
  /** claims by concurrent workers skip each other's rows instead of blocking (FOR UPDATE SKIP LOCKED) */
  supportsSkipLocked: boolean;
  /** a commit in one process can wake workers in other processes (LISTEN/NOTIFY) */
  supportsListen: boolean;
  /** one writer at a time: batch writes, and only one hooklane process may use the database */
  singleWriter: boolean;
}

/** Keyset pagination, newest first: items with id < `before`. */
export interface PageParams {
  limit: number;
  before?: string | null | undefined;
}

export interface Page<T> {
  data: T[];
  /** the id to pass as `before` for the next page, or null at the end */
  next: string | null;
}

export interface TenantRepo {
  /** throws HooklaneError('conflict') when the id exists */
  create(tenant: Tenant): Promise<void>;
  get(id: string): Promise<Tenant | null>;
  list(page: PageParams): Promise<Page<Tenant>>;
  update(id: string, patch: { name?: string; metadata?: JsonObject }, now: EpochMs): Promise<Tenant | null>;
  /** removes the tenant and everything it owns */
  delete(id: string): Promise<boolean>;
}

export interface ApiKeyRepo {
  create(key: ApiKey): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKey | null>;
  /** tenantId null lists platform keys */
  list(tenantId: string | null, page: PageParams): Promise<Page<ApiKey>>;
  delete(tenantId: string | null, id: string): Promise<boolean>;
  countPlatformKeys(): Promise<number>;
}

export interface EventTypeRepo {
  upsert(
    input: { name: string; description: string; schema: JsonObject | null },
    now: EpochMs,
  ): Promise<{ eventType: EventType; created: boolean }>;
  get(name: string): Promise<EventType | null>;
  list(page: { limit: number; after?: string | null }): Promise<{ data: EventType[]; next: string | null }>;
  delete(name: string): Promise<boolean>;
}

export interface WebhookRepo {
  create(webhook: Webhook): Promise<void>;
  get(tenantId: string, id: string): Promise<Webhook | null>;
  list(tenantId: string, page: PageParams): Promise<Page<Webhook>>;
  /**
   * writes every mutable field of `webhook` (the API merges PATCH bodies); null if it does not exist.
   * An update that makes the webhook claimable again (resumed, re-enabled) wakes the dispatcher(s)
   * after commit, as ingest does: its backlog is due at once.
   */
  update(webhook: Webhook): Promise<Webhook | null>;
  /** deletes the webhook and cancels its pending deliveries, atomically */
  delete(tenantId: string, id: string, now: EpochMs): Promise<boolean>;
  /** sets active=false with a reason (410 Gone, or too many failures) */
  disable(tenantId: string, id: string, reason: string, now: EpochMs): Promise<void>;
}

export interface IngestInput {
  event: Event;
  /** deliver to this one webhook only (the `/test` route), whatever the filters say */
  onlyWebhookId?: string;
  /**
   * Inbound replay defence: claim this dedupe key of the event's source (as
   * SourceRepo.claimDedupeKeys) before storing the event, in the same transaction where the engine
   * can. A live claim of the key by another event makes this a duplicate of that event; a claim
   * whose event is not stored yields `rekeyTo` instead.
   */
  dedupe?: { key: string; expires_at: EpochMs };
}

export interface IngestResult {
  /** the stored event: the original one when this was a duplicate */
  event: Event;
  duplicate: boolean;
  /** deliveries created (0 for a duplicate) */
  deliveries: number;
  /** those of them leased to the caller's dispatcher in the same transaction (see IngestLease) */
  leased?: ClaimedDelivery[];
  /**
   * The dedupe key is on record for this event id, whose event is not stored (its first request
   * died before storing it): nothing was stored; ingest the event again under this id.
   */
  rekeyTo?: string;
}

/**
 * Lease at ingest: the dispatcher of the ingesting process has room, so up to `limit` of the new
 * deliveries are inserted already leased to it (status `delivering`, lease = now + the webhook's
 * timeout_ms + leaseMarginMs) and returned, instead of being inserted pending and claimed a
 * moment later in a transaction of their own. Only deliveries of active, unpaused webhooks not in
 * `excludeWebhookIds`, at most `perWebhookLimit` per webhook, as a claim would take them. An
 * engine may lease none: the rest stay pending and are claimed as usual.
 */
export type IngestLease = Omit<ClaimOptions, 'now'>;

export interface EventFilter {
  type?: string | undefined;
  since?: EpochMs | undefined;
  until?: EpochMs | undefined;
  source_id?: string | undefined;
}

export interface EventRepo {
  /**
   * The transactional outbox. For each input, in ONE transaction for the whole batch: if an event
   * with the same (tenant, id) or (tenant, idempotency_key) exists, return it as a duplicate;
   * otherwise insert the event and one pending delivery (due now) per active matching webhook of
   * its tenant. After commit, wake the dispatcher(s) when a delivery was left pending for an
   * unpaused webhook (a paused one's wait for its resume, which wakes them). Results are in input
   * order. With `lease`, some new deliveries may come back leased (IngestLease).
   */
  ingest(inputs: IngestInput[], now: EpochMs, lease?: IngestLease): Promise<IngestResult[]>;
  get(tenantId: string, id: string): Promise<Event | null>;
  list(tenantId: string, filter: EventFilter, page: PageParams): Promise<Page<Event>>;
}

export interface DeliveryFilter {
  event_id?: string | undefined;
  webhook_id?: string | undefined;
  status?: DeliveryStatus | undefined;
}

export interface DeliveryRepo {
  get(tenantId: string, id: string): Promise<Delivery | null>;
  list(tenantId: string, filter: DeliveryFilter, page: PageParams): Promise<Page<Delivery>>;
  /** oldest first */
  attempts(tenantId: string, deliveryId: string): Promise<Attempt[]>;
  /**
   * Manual retry: a succeeded/failed/cancelled delivery becomes pending, due now (its attempt count
   * is kept, and one more attempt is allowed). A pending one is made due now. Returns the updated
   * delivery, or null if absent; throws HooklaneError('conflict') while it is being delivered.
   */
  retry(tenantId: string, id: string, now: EpochMs): Promise<Delivery | null>;
  /** failed deliveries of a webhook created in [since, until) become pending, due now; returns how many */
  recover(tenantId: string, webhookId: string, since: EpochMs, until: EpochMs, now: EpochMs): Promise<number>;
}

/** What a worker needs to send one delivery, fetched with the claim. */
export interface ClaimedDelivery {
  delivery: Delivery;
  event: Pick<Event, 'id' | 'type' | 'payload' | 'raw_body' | 'raw_content_type' | 'source_id'>;
  webhook: Webhook;
}

export interface ClaimOptions {
  workerId: string;
  limit: number;
  now: EpochMs;
  /** lease = the webhook's timeout_ms + this margin */
  leaseMarginMs: number;
  /** webhooks at their in-flight cap or rate limit: do not claim their deliveries now */
  excludeWebhookIds: readonly string[];
  /** at most this many deliveries of one webhook per claim (fairness between webhooks) */
  perWebhookLimit: number;
}

export interface Completion {
  tenant_id: string;
  delivery_id: string;
  attempt: Attempt;
  outcome: 'succeeded' | 'retry' | 'failed';
  /** required for 'retry' */
  next_attempt_at?: EpochMs;
  /** disable the delivery's webhook in the same transaction (410 Gone) */
  disable_webhook_reason?: string;
}

export interface QueueDepth {
  /** pending deliveries, due or not */
  pending: number;
  /** pending deliveries due now */
  due: number;
  /** next_attempt_at of the oldest due delivery, or null */
  oldest_due_at: EpochMs | null;
  /** deliveries currently leased */
  delivering: number;
}

export interface QueueRepo {
  /**
   * One statement: take up to `limit` pending deliveries that are due (or delivering with an
   * expired lease), of active, unpaused webhooks not in `excludeWebhookIds`, oldest due first, and
   * mark them `delivering` with this worker's lease. Concurrent claimers never get the same row.
   */
  claim(opts: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Records attempts and moves deliveries on, batched in one transaction. Each update is guarded by
   * `lease_owner = workerId AND status = 'delivering'`: a worker whose lease expired and was taken
   * over changes nothing (its attempt row is still recorded). Returns how many deliveries changed.
   */
  complete(workerId: string, completions: Completion[], now: EpochMs): Promise<number>;
  /** gives unstarted claims back (shutdown): pending again, due at their old time */
  release(workerId: string, deliveries: { tenant_id: string; id: string }[], now: EpochMs): Promise<void>;
  /** the earliest time a delivery becomes claimable (a pending one due, or a lease expiring), or null */
  nextDueAt(): Promise<EpochMs | null>;
  depth(now: EpochMs): Promise<QueueDepth>;
  /**
   * Calls `listener` when new work may be due (after an ingest, retry or recover commits, or a
   * webhook update that resumes or re-enables a webhook; on PostgreSQL also from other processes).
   * Returns an unsubscribe function.
   */
  subscribe(listener: () => void): () => void;
}

/** One time bucket of a tenant's (or one webhook's) delivery health, computed from stored rows. */
export interface StatsBucketRow {
  /** bucket start, epoch ms */
  start: EpochMs;
  /** events accepted (for one webhook: deliveries created for it) */
  events: number;
  /** deliveries created in this bucket, by their current status */
  deliveries: Record<DeliveryStatus, number>;
  /** attempts started in this bucket */
  attempts: number;
  attempts_succeeded: number;
  /** attempt duration percentiles (nearest rank), null without attempts */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  /** failed attempts by error class (timeout, connect, 4xx, 5xx, redirect, blocked, other) */
  errors: Record<string, number>;
}

export interface StatsQuery {
  /** [since, until) — multiples of bucketMs */
  since: EpochMs;
  until: EpochMs;
  bucketMs: number;
  webhookId?: string | undefined;
}

export interface StatsRepo {
  /**
   * Every bucket of [since, until), oldest first, plus the whole window as `total`. Reads only
   * index ranges: events (tenant_id, created_at), deliveries by id (ids are time-sortable) or
   * (tenant_id, webhook_id, created_at), attempts (tenant_id[, webhook_id], started_at).
   */
  series(tenantId: string, query: StatsQuery): Promise<{ buckets: StatsBucketRow[]; total: StatsBucketRow }>;
  /** connections of the engine's pool, for /metrics */
  pool(): { size: number; idle: number; waiting: number };
}

/** one request's claim on its dedupe key (see SourceRepo.claimDedupeKeys) */
export interface DedupeClaim {
  tenant_id: string;
  source_id: string;
  key: string;
  event_id: string;
  expires_at: EpochMs;
}

/** A source found by one of its URL tokens. */
export interface SourceByToken {
  source: Source;
  /** the token is a rotated-out one, valid until this time */
  expires_at: EpochMs | null;
}

export interface SourceRepo {
  /** stores the source and routes its token to it */
  create(source: Source, tokenHash: string): Promise<void>;
  get(tenantId: string, id: string): Promise<Source | null>;
  list(tenantId: string, page: PageParams): Promise<Page<Source>>;
  /** writes every mutable field except the token; null if it does not exist */
  update(source: Source): Promise<Source | null>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /** the live source routed by this token hash (rotated-out tokens until they expire), or null */
  findByTokenHash(tokenHash: string, now: EpochMs): Promise<SourceByToken | null>;
  /**
   * A new URL token: the source's token becomes `token`; its old tokens stop routing at
   * `oldTokensExpireAt` (now = at once). Null if the source does not exist.
   */
  rotateToken(
    tenantId: string,
    id: string,
    token: string,
    tokenHash: string,
    oldTokensExpireAt: EpochMs,
    now: EpochMs,
  ): Promise<Source | null>;
  /**
   * Replay defence, batched: for each claim, remember that its key became its event id until
   * `expires_at`, unless a live (unexpired) entry exists for the key. Returns, in input order, the
   * event id on record for each key afterwards (the claim's own when it won). One write statement
   * per batch; claims of the same key in one batch all get the first one's event id.
   */
  claimDedupeKeys(claims: DedupeClaim[], now: EpochMs): Promise<string[]>;
  /** forgets expired dedupe entries and rotated-out tokens; returns how many rows went */
  prune(now: EpochMs): Promise<number>;
  /** appends to request logs (one statement per batch) */
  logRequests(requests: SourceRequest[]): Promise<void>;
  /** a source's request log, newest first */
  requests(tenantId: string, sourceId: string, page: PageParams): Promise<Page<SourceRequest>>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  readonly tenants: TenantRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly eventTypes: EventTypeRepo;
  readonly webhooks: WebhookRepo;
  readonly sources: SourceRepo;
  readonly events: EventRepo;
  readonly deliveries: DeliveryRepo;
  readonly queue: QueueRepo;
  readonly stats: StatsRepo;
  /** applies pending migrations; refuses (throws) when the database is newer than this binary */
  migrate(): Promise<{ applied: number[]; version: number }>;
  /** throws if the database cannot be reached */
  ping(): Promise<void>;
  close(): Promise<void>;
}
