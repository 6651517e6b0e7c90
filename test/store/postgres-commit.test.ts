/**
 * Which commits wait for the WAL flush. An ingest (a 202) commits synchronously, on the main pool;
 * claims, completions and releases commit on the queue pool, whose connections set
 * `synchronous_commit = off` at connect time: a PostgreSQL crash may lose the last of them, and
 * lease expiry sends those deliveries again (docs/durability.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/store/postgres/pool.js';
import type { Store } from '../../src/store/types.js';
import { PG_TEST_URL, migratedPgStore, pgQuery, type MigratedPgStore, type PgSchema } from '../helpers/pg.js';
import { event, tenant, webhook } from './fixtures.js';

// Skipped without HOOKLANE_TEST_DATABASE_URL: these tests need a PostgreSQL server (see test/helpers/pg.ts).
describe.skipIf(PG_TEST_URL === undefined)('PostgreSQL commit durability per role', () => {
  let db: MigratedPgStore;
  let pg: PgSchema;
  let store: Store;

  beforeAll(async () => {
    db = await migratedPgStore(2);
    ({ pg, store } = db);
    await store.tenants.create(tenant('acme'));
    await store.webhooks.create(webhook('acme'));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a pool asked for async commit sets synchronous_commit = off at connect; the default pool keeps on', async () => {
    const sync = createPool({ url: pg.url, poolSize: 1, schema: pg.schema });
    const async_ = createPool({ url: pg.url, poolSize: 1, schema: pg.schema, asyncCommit: true });
    try {
      const show = async (p: typeof sync) =>
        (await p.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!
          .synchronous_commit;
      expect(await show(sync)).toBe('on');
      expect(await show(async_)).toBe('off');
      // the schema setting still applies beside it
      const { rows } = await async_.query<{ s: string }>('SELECT current_schema() AS s');
      expect(rows[0]!.s).toBe(pg.schema);
    } finally {
      await Promise.all([sync.end(), async_.end()]);
    }
  });

  it('ingest runs on the synchronous pool, claim and complete on the async queue pool', async () => {
    const now = Date.now();
    await store.events.ingest([{ event: event('acme', 'user.created', now, { id: 'evt_commit_1' }) }], now);
    const [claimed] = await store.queue.claim({
      workerId: 'w1',
      limit: 1,
      now: now + 1,
      leaseMarginMs: 1000,
      excludeWebhookIds: [],
      perWebhookLimit: 1,
    });
    expect(claimed?.event.id).toBe('evt_commit_1');

    // the last statement of each hooklane connection, by role (other schemas' stores run this code too)
    const rows = await pgQuery<{ application_name: string; query: string }>(
      `SELECT application_name, query FROM pg_stat_activity
       WHERE application_name IN ('hooklane', 'hooklane-queue') AND pid <> pg_backend_pid()
         AND query ~ $1`,
      // (pg_stat_activity keeps the first 1 kB of a statement: the claim is known by its second CTE,
      // the first one it does not share with nextDueAt)
      ['INSERT INTO events|serve AS \\('],
    );
    const ranOn = (re: RegExp) => rows.filter((r) => re.test(r.query)).map((r) => r.application_name);
    expect(ranOn(/INSERT INTO events/)).toContain('hooklane');
    expect(ranOn(/INSERT INTO events/)).not.toContain('hooklane-queue');
    expect(ranOn(/serve AS \(/)).toContain('hooklane-queue');
    expect(ranOn(/serve AS \(/)).not.toContain('hooklane');
  });
});
