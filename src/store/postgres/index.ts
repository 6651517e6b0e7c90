/**
 * The PostgreSQL engine: many stateless hooklane processes on one database, no broker.
 *
 * - pool.ts         two pg Pools per store: the main one (api, ingest, CRUD), sized by config, and
 *                   the queue pool (claim, complete, release, nextDueAt, wakes), whose commits do
 *                   not wait for the WAL flush; BIGINT as number; search_path = schema
 * - migrations/     the schema, applied under an advisory lock; a newer schema is refused
 * - sql/            the hot queue SQL, one file per verb (claim, complete, release, ingest, …)
 * - wake.ts         LISTEN/NOTIFY across processes; polling stays the correctness floor
 * - analyze.ts      statistics for young tables, before autovacuum's first round
 * - ../kysely       the ordinary CRUD, shared with the SQLite engine, over the same pool
 */
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../kysely/database.js';
import { createSharedRepos } from '../kysely/index.js';
import { createSourceRepo } from '../kysely/sources.js';
import { createStatsRepo } from '../kysely/stats.js';
import type { Store, StoreCapabilities } from '../types.js';
import { runMigrations } from './migrations/runner.js';
import { clientConfig, createPool, ensureSchema, withSchemaFromUrl } from './pool.js';
import { claim } from './sql/claim.js';
import { complete } from './sql/complete.js';
import { depth } from './sql/depth.js';
import { ingestWithDedupe } from '../dedupe-ingest.js';
import { ingest } from './sql/ingest.js';
import { nextDueAt } from './sql/next-due-at.js';
import { release } from './sql/release.js';
import { deleteTenant } from './sql/tenant-delete.js';
import { deleteWebhook } from './sql/webhook-delete.js';
import { YoungTableAnalyzer } from './analyze.js';
import { Wake, wakeChannel } from './wake.js';

export interface PostgresStoreOptions {
  /** postgres://user:pass@host:port/db */
  url: string;
  /**
   * connections per process (HOOKLANE_PG_POOL_SIZE); the queue pool's QUEUE_POOL_SIZE and the LISTEN
   * connection come on top
   */
  poolSize: number;
  /** use this schema (created if missing) instead of the default search_path; also `?schema=` in url */
  schema?: string | undefined;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  supportsSkipLocked: true,
  supportsListen: true,
  singleWriter: false,
});

/**
 * The dispatcher has at most one claim (or nextDueAt, or release: its loop is serial) and one
 * completion batch in flight, so two connections serve the queue verbs of a process.
 */
export const QUEUE_POOL_SIZE = 2;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const opts = withSchemaFromUrl(options);
  const pool = createPool(opts);
  try {
    if (opts.schema !== undefined) await ensureSchema(pool, opts.schema);
  } catch (e) {
    await pool.end();
    throw e;
  }
  // Claims, completions and releases commit without waiting for the WAL flush: a PostgreSQL crash
  // may lose the last few of them, and lease expiry re-sends those deliveries (at-least-once holds).
  // Measured in docs/durability.md. Ingest (a 202) stays on the main pool, synchronous.
  const queuePool = createPool({
    ...opts,
    poolSize: QUEUE_POOL_SIZE,
    applicationName: 'hooklane-queue',
    asyncCommit: true,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const wake = new Wake(
    clientConfig({ ...opts, applicationName: 'hooklane-listen' }),
    wakeChannel(opts.schema),
  );
  const analyzer = new YoungTableAnalyzer(pool);
  const notify = { channel: wake.channel, payload: wake.instanceId, fire: () => wake.fire() };

  const sources = createSourceRepo(db);
  const shared = createSharedRepos(db, {
    // retry, recover, or a resumed or re-enabled webhook committed work that is due now: wake this
    // process at once, then the others
    wake: async () => {
      wake.fire();
      await queuePool.query({
        name: 'hooklane_notify',
        text: 'SELECT pg_notify($1, $2)',
        values: [notify.channel, notify.payload],
      });
    },
  });

  let closed: Promise<void> | null = null;
  return {
    engine: 'postgres',
    capabilities: CAPABILITIES,
    tenants: { ...shared.tenants, delete: (id) => deleteTenant(pool, id) },
    apiKeys: shared.apiKeys,
    eventTypes: shared.eventTypes,
    webhooks: { ...shared.webhooks, delete: (tenantId, id, now) => deleteWebhook(pool, tenantId, id, now) },
    sources,
    events: {
      ...shared.events,
      ingest: async (inputs, now, lease) => {
        const results = await ingestWithDedupe(inputs, now, {
          claim: (claims, at) => sources.claimDedupeKeys(claims, at),
          get: (tenantId, id) => shared.events.get(tenantId, id),
          ingest: (rest, at) => ingest(pool, rest, at, notify, lease),
        });
        analyzer.count(results.reduce((n, r) => n + r.deliveries, 0));
        return results;
      },
    },
    deliveries: shared.deliveries,
    queue: {
      claim: (claimOpts) => claim(queuePool, claimOpts),
      complete: (workerId, completions, now) => complete(queuePool, workerId, completions, now),
      release: async (workerId, deliveries, now) => {
        if ((await release(queuePool, workerId, deliveries, now, notify)) > 0) wake.fire();
      },
      nextDueAt: () => nextDueAt(queuePool),
      depth: (now) => depth(pool, now),
      subscribe: (listener) => wake.subscribe(listener),
    },
    stats: createStatsRepo(db, () => ({
      size: pool.totalCount + queuePool.totalCount,
      idle: pool.idleCount + queuePool.idleCount,
      waiting: pool.waitingCount + queuePool.waitingCount,
    })),
    migrate: () => runMigrations(pool),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => {
      closed ??= (async () => {
        await wake.close();
        await analyzer.idle();
        await Promise.all([pool.end(), queuePool.end()]);
      })();
      return closed;
    },
  };
}
