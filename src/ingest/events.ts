/**
 * Event ingest: schema check, then group commit into the transactional outbox.
 *
 * Group commit: every ingest() waits in a queue; the queue is flushed at the end of the current
 * event-loop turn (setImmediate), or at once when MAX_BATCH inputs are waiting, as ONE
 * `store.events.ingest(batch)` call, i.e. one transaction for many requests. The commit cost (WAL
 * append and, with synchronous=FULL or on PostgreSQL, an fsync) is then paid once per batch instead
 * of once per event, so durable throughput grows with concurrency while a lone request waits no
 * longer than one loop turn. Bench #3 (bench/README.md) measures it: at 64 requests in flight a
 * batch holds about 20 events.
 */
import type { Clock } from '../domain/clock.js';
import { HooklaneError } from '../domain/errors.js';
import { JsonSchemaCompiler, toFieldError } from './json-schema.js';
import type { ValidateFunction } from 'ajv';
import { newId } from '../domain/ids.js';
import type { Event, Json, JsonObject } from '../domain/types.js';
import type { Metrics } from '../metrics/index.js';
import type { ClaimedDelivery, IngestInput, IngestLease, IngestResult, Store } from '../store/types.js';

/** fields of a new event; buildEvent fills in the rest */
export interface NewEvent {
  tenantId: string;
  /** the caller's id (the idempotency key); generated when absent */
  id?: string | undefined;
  type: string;
  data: Json;
  idempotencyKey?: string | null | undefined;
  sourceId?: string | null | undefined;
  rawBody?: Buffer | null | undefined;
  rawContentType?: string | null | undefined;
  sourceHeaders?: Record<string, string> | null | undefined;
}

/** An Event whose envelope (`payload`) is serialised here, once, and then sent as-is to every webhook. */
export function buildEvent(e: NewEvent, now: number): Event {
  const id = e.id ?? newId('event', now);
  return {
    tenant_id: e.tenantId,
    id,
    type: e.type,
    timestamp: now,
    data: e.data,
    payload: JSON.stringify({ id, type: e.type, timestamp: new Date(now).toISOString(), data: e.data }),
    idempotency_key: e.idempotencyKey ?? null,
    source_id: e.sourceId ?? null,
    raw_body: e.rawBody ?? null,
    raw_content_type: e.rawContentType ?? null,
    source_headers: e.sourceHeaders ?? null,
    created_at: now,
  };
}

const MAX_REPORTED_ERRORS = 20;
/** how long a looked-up event type (or its absence) is trusted; changes made through this process apply at once */
const SCHEMA_TTL_MS = 5_000;

/**
 * Compiled JSON Schema validators of event types, cached per type name.
 *
 * Ajv options: `strict: false` because user schemas carry annotations Ajv does not know (`example`);
 * `allErrors` so a 400 lists every failing path; `addUsedSchema: false` so a schema's `$id` does not
 * stick in the instance and block recompiling the next version. Draft-07 unless the schema declares
 * draft 2020-12. Only the platform admin registers schemas, so their regular expressions are trusted.
 */
export class EventSchemas {
  private readonly compiler = new JsonSchemaCompiler();
  private readonly cache = new Map<string, CachedSchema>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** throws HooklaneError('validation_failed') explaining why `schema` is not a usable JSON Schema */
  assertValid(schema: JsonObject): void {
    this.compiler.assertValid(schema);
  }

  /** throws HooklaneError('schema_violation') listing the failing paths when `data` does not match */
  async check(type: string, data: Json): Promise<void> {
    const validate = await this.validatorFor(type);
    if (validate === null || validate(data)) return;
    const errors = (validate.errors ?? []).slice(0, MAX_REPORTED_ERRORS).map((e) => toFieldError(e, 'data'));
    const first = errors[0];
    throw new HooklaneError(
      'schema_violation',
      first === undefined ? `data does not match the schema of ${type}` : `${first.path}: ${first.message}`,
      { errors },
    );
  }

  /** an event type was created, changed or deleted through this process */
  invalidate(name: string): void {
    const hit = this.cache.get(name);
    if (hit !== undefined) this.release(hit);
    this.cache.delete(name);
  }

  private async validatorFor(type: string): Promise<ValidateFunction | null> {
    const now = this.clock.now();
    const hit = this.cache.get(type);
    if (hit !== undefined && hit.expiresAt > now) return hit.validate;
    const eventType = await this.store.eventTypes.get(type);
    const schemaJson = eventType?.schema ? JSON.stringify(eventType.schema) : null;
    if (hit !== undefined && hit.schemaJson === schemaJson) {
      // Unchanged since last looked at: keep the compiled function (compiling costs milliseconds).
      hit.expiresAt = now + SCHEMA_TTL_MS;
      return hit.validate;
    }
    if (hit !== undefined) this.release(hit);
    let validate: ValidateFunction | null = null;
    if (eventType?.schema) {
      try {
        validate = this.compiler.compile(eventType.schema);
      } catch {
        // Stored schemas were checked when registered; one that stops compiling (an Ajv upgrade)
        // must not block ingest of its type.
        validate = null;
      }
    }
    this.cache.set(type, { validate, schemaJson, expiresAt: now + SCHEMA_TTL_MS });
    return validate;
  }

  private release(entry: CachedSchema): void {
    const schema = entry.validate?.schema;
    if (schema !== undefined && typeof schema === 'object') this.compiler.release(schema);
  }
}

interface CachedSchema {
  validate: ValidateFunction | null;
  /** the schema as stored, to notice a change made by another process */
  schemaJson: string | null;
  expiresAt: number;
}

export interface EventIngestorDeps {
  store: Store;
  clock: Clock;
  metrics: Metrics;
  /** inputs per transaction (default MAX_BATCH; 1 turns group commit off, for measurement) */
  maxBatch?: number;
}

/**
 * The dispatcher of this process, taking new deliveries straight from the ingest transaction
 * (IngestLease in store/types.ts) so they need no claim of their own.
 */
export interface DeliveryHandoff {
  /**
   * lease options for a batch that may create `wanted` deliveries, that many slots (or fewer)
   * reserved until acceptLeased; null: no room
   */
  offerLease(wanted: number): IngestLease | null;
  /** what the batch leased under `offer` (nothing when it failed); the rest of the reservation is freed */
  acceptLeased(offer: IngestLease, leased: ClaimedDelivery[]): void;
}

interface Waiting {
  input: IngestInput;
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 256;

export class EventIngestor {
  readonly schemas: EventSchemas;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly maxBatch: number;
  /**
   * Batches in flight at once. PostgreSQL commits them in parallel; SQLite commits one at a time,
   * but with the database in its own thread the next batches wait there, ready, instead of in this
   * thread behind a message round trip (bench #3: deeper pipelines answered more per second).
   */
  private readonly maxConcurrentFlushes = 4;
  private queue: Waiting[] = [];
  private flushScheduled = false;
  private flushing = 0;
  private handoff: DeliveryHandoff | null = null;
  /** the most deliveries one event of the last batch created: a batch's lease offer asks for events × this */
  private fanOut = 1;

  constructor(deps: EventIngestorDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.metrics = deps.metrics;
    this.maxBatch = Math.max(1, deps.maxBatch ?? MAX_BATCH);
    this.schemas = new EventSchemas(deps.store, deps.clock);
  }

  /** new deliveries go to this dispatcher when it has room (null: all are claimed as usual) */
  setHandoff(handoff: DeliveryHandoff | null): void {
    this.handoff = handoff;
  }

  /**
   * Validates the event's data against its type's schema (HooklaneError 'schema_violation'), then
   * stores it with its deliveries. Resolves after the commit; a duplicate (same id or idempotency
   * key) resolves with the original event and `duplicate: true`.
   */
  async ingest(input: IngestInput): Promise<IngestResult> {
    await this.schemas.check(input.event.type, input.event.data);
    return new Promise<IngestResult>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.drain();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.onLoopTurn);
      }
    });
  }

  private readonly onLoopTurn = (): void => {
    this.flushScheduled = false;
    this.drain();
  };

  private drain(): void {
    while (this.queue.length > 0 && this.flushing < this.maxConcurrentFlushes) {
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
      this.flushing++;
      void this.flush(batch).finally(() => {
        this.flushing--;
        this.drain();
      });
    }
  }

  private async flush(batch: Waiting[]): Promise<void> {
    const now = this.clock.now();
    const handoff = this.handoff;
    const offer = handoff?.offerLease(batch.length * this.fanOut) ?? null;
    let results: IngestResult[];
    try {
      results = await this.store.events.ingest(
        batch.map((w) => w.input),
        now,
        offer ?? undefined,
      );
    } catch (e) {
      if (offer !== null) handoff!.acceptLeased(offer, []);
      if (batch.length === 1) return batch[0]!.reject(e);
      // The transaction rolled back as a whole; retry one by one so a single bad input (its tenant
      // deleted a moment ago, say) fails alone instead of failing its neighbours.
      for (const w of batch) {
        try {
          const [r] = await this.store.events.ingest([w.input], now);
          this.settle(w, r!);
        } catch (err) {
          w.reject(err);
        }
      }
      return;
    }
    if (offer !== null)
      handoff!.acceptLeased(
        offer,
        results.flatMap((r) => r.leased ?? []),
      );
    let fanOut = 1;
    for (const r of results) if (r.deliveries > fanOut) fanOut = r.deliveries;
    this.fanOut = fanOut;
    for (let i = 0; i < batch.length; i++) this.settle(batch[i]!, results[i]!);
  }

  private settle(w: Waiting, r: IngestResult): void {
    if (!r.duplicate && r.rekeyTo === undefined) {
      this.metrics.eventsIngested.inc({ origin: r.event.source_id === null ? 'api' : 'source' });
      if (r.deliveries > 0) this.metrics.deliveriesCreated.inc(r.deliveries);
    }
    w.resolve(r);
  }
}
