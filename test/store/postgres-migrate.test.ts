/**
 * PostgreSQL migrations: many processes starting at once on an empty database are safe (advisory
 * lock), and a binary refuses a database migrated by a newer one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { migrations } from '../../src/store/postgres/migrations/index.js';
import { runMigrations } from '../../src/store/postgres/migrations/runner.js';
import { createPool } from '../../src/store/postgres/pool.js';
import type { Store } from '../../src/store/types.js';
import { PG_TEST_URL, freshPgSchema, pgQuery, type PgSchema } from '../helpers/pg.js';

const LATEST = Math.max(...migrations.map((m) => m.version));

// Skipped without HOOKLANE_TEST_DATABASE_URL: these tests need a PostgreSQL server (see test/helpers/pg.ts).
describe.skipIf(PG_TEST_URL === undefined)('PostgreSQL migrations', () => {
  let pg: PgSchema;
  const stores: Store[] = [];

  beforeAll(async () => {
    pg = await freshPgSchema();
    // the schema option must create a missing schema: start from nothing
    await pg.drop();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await pg?.drop();
  });

  it('six processes migrating an empty schema at once apply each migration exactly once', async () => {
    const opened = await Promise.all(
      Array.from({ length: 6 }, () => openPostgresStore({ url: pg.url, poolSize: 2, schema: pg.schema })),
    );
    stores.push(...opened);
    const results = await Promise.all(opened.map((s) => s.migrate()));

    for (const r of results) expect(r.version).toBe(LATEST);
    // exactly one store applied the migrations, the others found nothing to do
    const appliers = results.filter((r) => r.applied.length > 0);
    expect(appliers).toHaveLength(1);
    expect(appliers[0]!.applied).toEqual(migrations.map((m) => m.version));

    const rows = await pgQuery<{ version: number }>(
      'SELECT version FROM hooklane_migrations ORDER BY version',
      [],
      pg.schema,
    );
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    const tables = await pgQuery<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [pg.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'api_keys',
      'attempts',
      'deliveries',
      'event_types',
      'events',
      'hooklane_migrations',
      'tenants',
      'webhooks',
    ]);
    // and the stores work on what they created
    await opened[0]!.ping();
    expect(await opened[1]!.queue.nextDueAt()).toBeNull();
  });

  it('migrating again applies nothing', async () => {
    const again = await stores[0]!.migrate();
    expect(again).toEqual({ applied: [], version: LATEST });
  });

  it('refuses a database migrated by a newer hooklane, and changes nothing', async () => {
    const newer = [
      ...migrations,
      { version: LATEST + 1, name: 'from_the_future', sql: 'CREATE TABLE future_thing (id TEXT)' },
    ];
    const pool = createPool({ url: pg.url, poolSize: 1, schema: pg.schema });
    try {
      expect(await runMigrations(pool, newer)).toEqual({ applied: [LATEST + 1], version: LATEST + 1 });
    } finally {
      await pool.end();
    }

    const old = stores[2]!;
    await expect(old.migrate()).rejects.toThrow(
      new RegExp(
        `schema is at version ${LATEST + 1}, newer than this hooklane binary supports \\(version ${LATEST}\\)`,
      ),
    );
    const rows = await pgQuery<{ version: number }>(
      'SELECT max(version) AS version FROM hooklane_migrations',
      [],
      pg.schema,
    );
    expect(rows[0]!.version).toBe(LATEST + 1);
  });
});
