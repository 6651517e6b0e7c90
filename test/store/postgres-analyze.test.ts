/**
 * Young tables get statistics before autovacuum's first round: once a store's ingests have created
 * 1,000 deliveries, it analyzes the hot tables that were never analyzed, so PostgreSQL stops planning
 * lookups by (tenant_id, id) through the wrong index (src/store/postgres/analyze.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { PG_TEST_URL, migratedPgStore, pgQuery, type MigratedPgStore, type PgSchema } from '../helpers/pg.js';
import { waitFor } from '../helpers/wait.js';
import { event, tenant, webhook } from './fixtures.js';

// Skipped without HOOKLANE_TEST_DATABASE_URL: these tests need a PostgreSQL server (see test/helpers/pg.ts).
describe.skipIf(PG_TEST_URL === undefined)('PostgreSQL statistics for young tables', () => {
  let db: MigratedPgStore;
  let pg: PgSchema;
  let store: Store;

  beforeAll(async () => {
    db = await migratedPgStore(2);
    ({ pg, store } = db);
    await store.tenants.create(tenant('acme'));
    await store.webhooks.create(webhook('acme'));
    await store.webhooks.create(webhook('acme'));
  });
  afterAll(async () => {
    await db?.close();
  });

  const analyzed = async () =>
    pgQuery<{ relname: string; n: number }>(
      `SELECT relname, (analyze_count + autoanalyze_count)::int AS n FROM pg_stat_user_tables
       WHERE schemaname = $1 AND relname IN ('events', 'deliveries') ORDER BY relname`,
      [pg.schema],
    );

  it('analyzes events and deliveries once 1,000 deliveries were created, not before', async () => {
    const now = Date.now();
    const batch = (from: number) =>
      Array.from({ length: 100 }, (_, i) => ({
        event: event('acme', 'user.created', now + from + i, { id: `evt_young_${from + i}` }),
      }));
    // 490 events x 2 webhooks = 980 deliveries: below the first threshold (autovacuum, whose round
    // is a minute, is not expected meanwhile)
    for (let from = 0; from < 490; from += 100)
      await store.events.ingest(batch(from).slice(0, Math.min(100, 490 - from)), now);
    expect((await analyzed()).map((r) => r.n)).toEqual([0, 0]);

    await store.events.ingest(batch(490), now);
    await waitFor(async () => (await analyzed()).every((r) => r.n > 0), {
      message: 'events and deliveries analyzed',
    });
    const stats = await pgQuery<{ reltuples: number }>(
      `SELECT reltuples::int AS reltuples FROM pg_class WHERE oid = $1::regclass`,
      [`${pg.schema}.deliveries`],
    );
    expect(stats[0]!.reltuples).toBeGreaterThanOrEqual(1_000);
  });
});
