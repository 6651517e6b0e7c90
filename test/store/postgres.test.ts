/**
 * The store conformance suite on the PostgreSQL engine, in a fresh schema of the database named by
 * HOOKLANE_TEST_DATABASE_URL. Skipped (saying why) when that variable is not set; when it is set and
 * the server cannot be reached, setup fails and so does every test: CI never passes by skipping.
 */
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { PG_SKIP_REASON, PG_TEST_URL, freshPgSchema, pgQuery } from '../helpers/pg.js';
import { describeStoreConformance } from './conformance.js';

const TABLES = ['attempts', 'deliveries', 'events', 'webhooks', 'api_keys', 'event_types', 'tenants'];

describeStoreConformance(
  'postgres',
  async () => {
    const pg = await freshPgSchema();
    return {
      open: () => openPostgresStore({ url: pg.url, poolSize: 3, schema: pg.schema }),
      reset: async () => {
        await pgQuery(`TRUNCATE ${TABLES.join(', ')} CASCADE`, [], pg.schema);
      },
      recordSchemaVersion: async (version) => {
        await pgQuery(
          `INSERT INTO hooklane_migrations (version, name, applied_at) VALUES ($1, 'from_a_newer_hooklane', 0)`,
          [version],
          pg.schema,
        );
      },
      forgetSchemaVersion: async (version) => {
        await pgQuery('DELETE FROM hooklane_migrations WHERE version = $1', [version], pg.schema);
      },
      destroy: () => pg.drop(),
    };
  },
  PG_TEST_URL === undefined ? { skip: PG_SKIP_REASON } : {},
);
