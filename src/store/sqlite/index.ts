/**
 * The SQLite engine: one hooklane process on one file, the zero-setup default.
 *
 * - connection.ts   the single better-sqlite3 connection (WAL, synchronous NORMAL or FULL)
 * - migrations/     the schema; migrate.ts applies it in one IMMEDIATE transaction
 * - ingest.ts       the transactional outbox (event + deliveries, one transaction per batch)
 * - claim.ts        the claim: expired leases, then pending rows webhook by webhook (pending-webhooks.ts)
 * - pending-webhooks.ts  which webhooks have work due (webhook_due), for the claim and nextDueAt
 * - queue.ts        complete, release, nextDueAt, depth, and the cascading deletes
 * - sources.ts      the inbound gateway's per-request writes (dedupe claims, request log)
 * - wake.ts         the in-process wake after commits
 * - ../kysely       the ordinary CRUD, shared with the PostgreSQL engine, over the same connection
 *
 * better-sqlite3 is synchronous: hot verbs run to completion without yielding, so they never
 * interleave with each other or with a Kysely statement on the same connection.
 */
import { Kysely, SqliteDialect } from 'kysely';
import { createSharedRepos, type Database } from '../kysely/index.js';
import { createSourceRepo } from '../kysely/sources.js';
import { createStatsRepo } from '../kysely/stats.js';
import type { Store } from '../types.js';
import { createClaim } from './claim.js';
import { createPendingWebhooks } from './pending-webhooks.js';
import { startCheckpointer } from './checkpointer.js';
import { openConnection } from './connection.js';
import { createIngest } from './ingest.js';
import { runMigrations } from './migrate.js';
import { createQueueWrites } from './queue.js';
import { createSourceWrites } from './sources.js';
import { SQLITE_CAPABILITIES, sqlitePoolStatus } from './capabilities.js';
import { Wake } from './wake.js';

export interface SqliteStoreOptions {
  /** file path, or ':memory:' */
  path: string;
  synchronous: 'NORMAL' | 'FULL';
  /**
   * where WAL checkpoints run: 'background', a thread of their own (checkpointer.ts; what `hooklane
   * serve` uses unless HOOKLANE_SQLITE_CHECKPOINT=writer), or 'writer' (default here), SQLite's own
   * automatic checkpoint in the commit that fills the WAL to 1,000 pages. ':memory:' has no WAL.
   */
  checkpoint?: 'background' | 'writer';
}

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const conn = openConnection(opts.path, opts.synchronous);
  const checkpointer =
    opts.checkpoint === 'background' && opts.path !== ':memory:' ? startCheckpointer(conn, opts.path) : null;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: conn }) });
  const wake = new Wake();
  const shared = createSharedRepos(db, { wake: () => wake.fire() });

  // Hot statements are prepared after migrations: preparing against a missing table fails.
  let hot: {
    ingest: ReturnType<typeof createIngest>;
    claim: ReturnType<typeof createClaim>;
    queue: ReturnType<typeof createQueueWrites>;
    sources: ReturnType<typeof createSourceWrites>;
  } | null = null;
  const prepared = () => {
    if (hot === null) {
      const sources = createSourceWrites(conn);
      // read by the claim (which webhooks have work due) and by nextDueAt (when the next is due)
      const pendingWebhooks = createPendingWebhooks(conn);
      hot = {
        ingest: createIngest(conn, sources.claimDedupeKey),
        claim: createClaim(conn, pendingWebhooks),
        queue: createQueueWrites(conn, pendingWebhooks),
        sources,
      };
    }
    return hot;
  };
  const hasSchema = () =>
    conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'").get() !==
    undefined;
  const ready = () => {
    if (hot === null && !hasSchema()) {
      throw new Error('the SQLite database has no schema yet: run store.migrate() (hooklane migrate) first');
    }
    return prepared();
  };

  let closed: Promise<void> | null = null;
  return {
    engine: 'sqlite',
    capabilities: SQLITE_CAPABILITIES,
    tenants: { ...shared.tenants, delete: async (id) => ready().queue.deleteTenant(id) },
    apiKeys: shared.apiKeys,
    eventTypes: shared.eventTypes,
    webhooks: {
      ...shared.webhooks,
      delete: async (tenantId, id, now) => ready().queue.deleteWebhook(tenantId, id, now),
    },
    sources: {
      ...createSourceRepo(db),
      claimDedupeKeys: async (claims, now) => ready().sources.claimDedupeKeys(claims, now),
      logRequests: async (requests) => ready().sources.logRequests(requests),
    },
    events: {
      ...shared.events,
      ingest: async (inputs, now, lease) => {
        const { results, claimable } = ready().ingest(inputs, now, lease);
        if (claimable) wake.fire();
        return results;
      },
    },
    deliveries: shared.deliveries,
    queue: {
      claim: async (claimOpts) => ready().claim(claimOpts),
      complete: async (workerId, completions, now) => ready().queue.complete(workerId, completions, now),
      release: async (workerId, deliveries, now) => {
        if (ready().queue.release(workerId, deliveries, now) > 0) wake.fire();
      },
      nextDueAt: async () => ready().queue.nextDueAt(),
      depth: async (now) => ready().queue.depth(now),
      subscribe: (listener) => wake.subscribe(listener),
    },
    stats: createStatsRepo(db, sqlitePoolStatus),
    migrate: async () => {
      const result = runMigrations(conn);
      hot = null;
      return result;
    },
    ping: async () => {
      conn.prepare('SELECT 1').get();
    },
    close: () => {
      closed ??= (async () => {
        await checkpointer?.stop();
        await db.destroy();
        if (conn.open) conn.close();
      })();
      return closed;
    },
  };
}
