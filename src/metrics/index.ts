import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../domain/clock.js';
import type { QueueDepth, Store } from '../store/types.js';

/**
 * Prometheus metrics of one process. Created by the composition root and passed to whoever records;
 * nothing registers into prom-client's global registry, so tests can build many apps in one process.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly eventsIngested = new Counter({
    name: 'hooklane_events_ingested_total',
    help: 'Events accepted (202), by origin',
    labelNames: ['origin'] as const,
    registers: [this.registry],
  });

  readonly deliveriesCreated = new Counter({
    name: 'hooklane_deliveries_created_total',
    help: 'Deliveries created by fan-out',
    registers: [this.registry],
  });

  readonly attempts = new Counter({
    name: 'hooklane_delivery_attempts_total',
    help: 'Delivery attempts by outcome (succeeded, retry, failed) and error class',
    labelNames: ['outcome', 'error_class'] as const,
    registers: [this.registry],
  });

  readonly attemptDuration = new Histogram({
    name: 'hooklane_delivery_attempt_duration_seconds',
    help: 'Duration of delivery attempts (request sent to response read)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'hooklane_delivery_latency_seconds',
    help: 'Time from event accepted to successful delivery',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'hooklane_dispatcher_in_flight',
    help: 'Delivery requests in flight in this process',
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'hooklane_http_requests_total',
    help: 'API requests by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'hooklane_http_request_duration_seconds',
    help: 'API request duration by route (POST /v1/tenants/:tenant/events is the ingest latency)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** the store the scrape-time gauges read, once observeStore was called */
  private probe: { depth(): Promise<QueueDepth | null>; store: Store; clock: Clock } | null = null;

  /** read from the database at scrape time (see observeStore): the whole queue, every process's */
  readonly queueDeliveries: Gauge<'state'> = new Gauge({
    name: 'hooklane_queue_deliveries',
    help: 'Deliveries in the queue by state: pending (due or not), due (pending and due now), delivering (leased)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: async () => {
      const d = await this.probe?.depth();
      if (d == null) return;
      this.queueDeliveries.set({ state: 'pending' }, d.pending);
      this.queueDeliveries.set({ state: 'due' }, d.due);
      this.queueDeliveries.set({ state: 'delivering' }, d.delivering);
    },
  });

  readonly oldestDueAge: Gauge = new Gauge({
    name: 'hooklane_queue_oldest_due_age_seconds',
    help: 'How long the oldest due delivery has been waiting (0 when nothing is due)',
    registers: [this.registry],
    collect: async () => {
      const d = await this.probe?.depth();
      if (d == null) return;
      const now = this.probe!.clock.now();
      this.oldestDueAge.set(d.oldest_due_at === null ? 0 : Math.max(0, now - d.oldest_due_at) / 1000);
    },
  });

  readonly dbPool: Gauge<'state'> = new Gauge({
    name: 'hooklane_db_pool_connections',
    help: 'Database connections of this process: size (open), idle, waiting (queries queued for one)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      if (this.probe === null) return;
      const p = this.probe.store.stats.pool();
      this.dbPool.set({ state: 'size' }, p.size);
      this.dbPool.set({ state: 'idle' }, p.idle);
      this.dbPool.set({ state: 'waiting' }, p.waiting);
    },
  });

  /**
   * Lets the queue and pool gauges read the store on every scrape. One depth query serves all the
   * gauges of one scrape (never a later one); a failed query leaves the previous values (the scrape still answers, and
   * /health reports the database).
   */
  observeStore(store: Store, clock: Clock): void {
    let pending: Promise<QueueDepth | null> | null = null;
    const depth = () => {
      pending ??= store.queue
        .depth(clock.now())
        .catch(() => null)
        .finally(() => {
          // shared only while in flight (the gauges of one scrape collect concurrently): a later
          // scrape always reads the queue afresh
          pending = null;
        });
      return pending;
    };
    this.probe = { depth, store, clock };
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'hooklane_process_' });
  }
}
