import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'hooklane_process_' });
  }
}
