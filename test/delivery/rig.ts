/**
 * A dispatcher under test: the real Dispatcher on a real SQLite file in a temp dir, with one tenant,
 * webhooks and events written through the Store exactly as the API writes them, and a clock the
 * test may hold still or move.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Dispatcher, type DispatcherOptions } from '../../src/delivery/dispatcher.js';
import type { Clock } from '../../src/domain/clock.js';
import type { Attempt, Delivery, Json, Webhook } from '../../src/domain/types.js';
import { buildEvent } from '../../src/ingest/events.js';
import { Metrics } from '../../src/metrics/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { freshPgSchema, type PgSchema } from '../helpers/pg.js';
import { makeWebhook } from './fixtures.js';

export const TENANT = 'acme';

/** A clock that stands still until the test moves it. */
export class ManualClock implements Clock {
  constructor(public t: number = Date.now()) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(t: number): void {
    this.t = t;
  }
}

export type Engine = 'sqlite' | 'postgres';

export interface RigOptions {
  /** default sqlite; postgres needs HOOKLANE_TEST_DATABASE_URL and gets a fresh schema */
  engine?: Engine;
  clock?: Clock;
  logger?: Logger;
  /** what the dispatcher sees instead of the store, e.g. the store with a hook on a verb */
  wrapStore?: (store: Store) => Store;
  dispatcher?: Partial<Omit<DispatcherOptions, 'store' | 'clock' | 'logger' | 'metrics'>>;
}

export interface Rig {
  store: Store;
  clock: Clock;
  dispatcher: Dispatcher;
  /** creates a webhook of the tenant */
  webhook(overrides?: Partial<Webhook>): Promise<Webhook>;
  /** ingests events of `type` (one per data item) at the clock's now; returns their ids */
  send(type: string, count?: number, at?: number): Promise<string[]>;
  /** the one delivery of an event to a webhook */
  deliveryOf(eventId: string, webhookId: string): Promise<Delivery>;
  deliveries(webhookId: string): Promise<Delivery[]>;
  attempts(deliveryId: string): Promise<Attempt[]>;
  start(): void;
  close(): Promise<void>;
}

let eventSeq = 0;

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'hl-dispatch-'));
  const clock = opts.clock ?? { now: () => Date.now() };
  let pg: PgSchema | null = null;
  let store: Store;
  if (opts.engine === 'postgres') {
    pg = await freshPgSchema();
    store = await openPostgresStore({ url: pg.url, poolSize: 4, schema: pg.schema });
  } else store = await openSqliteStore({ path: join(dir, 'hl.db'), synchronous: 'NORMAL' });
  await store.migrate();
  const now = clock.now();
  await store.tenants.create({ id: TENANT, name: 'Acme', metadata: {}, created_at: now, updated_at: now });
  const dispatcher = new Dispatcher({
    store: opts.wrapStore ? opts.wrapStore(store) : store,
    clock,
    logger: opts.logger ?? pino({ level: 'silent' }),
    metrics: new Metrics({ defaultMetrics: false }),
    workerId: 'test-worker',
    concurrency: 64,
    claimBatchSize: 64,
    pollIntervalMs: 25,
    leaseMarginMs: 2000,
    allowPrivateNetworks: true,
    ...opts.dispatcher,
  });

  return {
    store,
    clock,
    dispatcher,
    async webhook(overrides = {}) {
      const w = makeWebhook({
        tenant_id: TENANT,
        created_at: clock.now(),
        updated_at: clock.now(),
        ...overrides,
      });
      await store.webhooks.create(w);
      return w;
    },
    async send(type, count = 1, at = clock.now()) {
      const inputs = Array.from({ length: count }, () => {
        const data: Json = { n: eventSeq };
        return { event: buildEvent({ tenantId: TENANT, id: `e${eventSeq++}`, type, data }, at) };
      });
      const results = await store.events.ingest(inputs, at);
      return results.map((r) => r.event.id);
    },
    async deliveryOf(eventId, webhookId) {
      const page = await store.deliveries.list(
        TENANT,
        { event_id: eventId, webhook_id: webhookId },
        { limit: 10 },
      );
      if (page.data.length !== 1) throw new Error(`expected one delivery of ${eventId} to ${webhookId}`);
      return page.data[0]!;
    },
    async deliveries(webhookId) {
      const out: Delivery[] = [];
      let before: string | null = null;
      for (;;) {
        const page = await store.deliveries.list(TENANT, { webhook_id: webhookId }, { limit: 250, before });
        out.push(...page.data);
        if (page.next === null) return out;
        before = page.next;
      }
    },
    attempts: (deliveryId) => store.deliveries.attempts(TENANT, deliveryId),
    start: () => dispatcher.start(),
    async close() {
      await dispatcher.stop(0);
      await store.close();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
