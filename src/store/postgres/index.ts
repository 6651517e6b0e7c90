/**
 * The PostgreSQL engine: many stateless hooklane processes on one database, no broker.
 *
 * - pool.ts         one pg Pool per store, sized by config; BIGINT as number; search_path = schema
 * - migrations/     the schema, applied under an advisory lock; a newer schema is refused
 * - sql/            the hot queue SQL, one file per verb (claim, complete, release, ingest, …)
 * - wake.ts         LISTEN/NOTIFY across processes; polling stays the correctness floor
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
import { ingest } from './sql/ingest.js';
import { nextDueAt } from './sql/next-due-at.js';
import { release } from './sql/release.js';
import { deleteTenant } from './sql/tenant-delete.js';
import { deleteWebhook } from './sql/webhook-delete.js';
import { Wake, wakeChannel } from './wake.js';

export interface PostgresStoreOptions {
  /** postgres://user:pass@host:port/db */
  url: string;
  /** connections per process (HOOKLANE_PG_POOL_SIZE); the LISTEN connection comes on top */
  poolSize: number;
  /** use this schema (created if missing) instead of the default search_path; also `?schema=` in url */
  schema?: string | undefined;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  supportsSkipLocked: true,
  supportsListen: true,
  singleWriter: false,
});

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const opts = withSchemaFromUrl(options);
  const pool = createPool(opts);
  try {
    if (opts.schema !== undefined) await ensureSchema(pool, opts.schema);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const wake = new Wake(
    clientConfig({ ...opts, applicationName: 'hooklane-listen' }),
    wakeChannel(opts.schema),
  );
  const notify = { channel: wake.channel, payload: wake.instanceId, fire: () => wake.fire() };

  const shared = createSharedRepos(db, {
    // retry and recover committed work that is due now: wake this process at once, then the others
    wake: async () => {
      wake.fire();
      await pool.query({
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
    sources: createSourceRepo(db),
    events: { ...shared.events, ingest: (inputs, now) => ingest(pool, inputs, now, notify) },
    deliveries: shared.deliveries,
    queue: {
      claim: (claimOpts) => claim(pool, claimOpts),
      complete: (workerId, completions, now) => complete(pool, workerId, completions, now),
      release: async (workerId, deliveries, now) => {
        if ((await release(pool, workerId, deliveries, now, notify)) > 0) wake.fire();
      },
      nextDueAt: () => nextDueAt(pool),
      depth: (now) => depth(pool, now),
      subscribe: (listener) => wake.subscribe(listener),
    },
    stats: createStatsRepo(db, () => ({
      size: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    })),
    migrate: () => runMigrations(pool),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => {
      closed ??= (async () => {
        await wake.close();
        await pool.end();
      })();
      return closed;
    },
  };
}
