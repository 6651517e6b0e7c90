/**
 * A fresh PostgreSQL schema per test file, in the database named by HOOKLANE_TEST_DATABASE_URL.
 * PostgreSQL tests run only when that variable is set (`npm test` skips them otherwise, each skip
 * saying so); when it IS set, an unreachable server fails the tests instead of skipping them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';

export const PG_TEST_URL: string | undefined = process.env.HOOKLANE_TEST_DATABASE_URL || undefined;

/** Why PostgreSQL tests are skipped, for `describe.skipIf(!PG_TEST_URL)` messages. */
export const PG_SKIP_REASON = 'HOOKLANE_TEST_DATABASE_URL is not set: PostgreSQL tests need a server';

export interface PgSchema {
  /** the database URL (the same for every file; the schema tells them apart) */
  url: string;
  /** pass to openPostgresStore({schema}) / openStore({pgSchema}) */
  schema: string;
  /** drops the schema and everything in it */
  drop(): Promise<void>;
}

/** Runs one statement on a short-lived connection to the test database. */
export async function pgQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
  schema?: string,
): Promise<R[]> {
  const url = requireUrl();
  const client = new pg.Client({
    connectionString: url,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function freshPgSchema(): Promise<PgSchema> {
  const url = requireUrl();
  const schema = `hl_test_${randomBytes(6).toString('hex')}`;
  try {
    await pgQuery(`CREATE SCHEMA ${schema}`);
  } catch (e) {
    // set but unreachable is a failure, never a skip: say which server and why
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`HOOKLANE_TEST_DATABASE_URL is set, but PostgreSQL at ${redacted(url)} failed: ${why}`, {
      cause: e,
    });
  }
  return {
    url,
    schema,
    drop: async () => {
      await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

function requireUrl(): string {
  if (PG_TEST_URL === undefined) throw new Error(PG_SKIP_REASON);
  return PG_TEST_URL;
}

function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export interface MigratedPgStore {
  pg: PgSchema;
  store: Store;
  /** closes the store, then drops its schema */
  close(): Promise<void>;
}

/** A PostgreSQL store on a fresh schema, migrated: the usual start of a PostgreSQL test file. */
export async function migratedPgStore(poolSize: number): Promise<MigratedPgStore> {
  const schema = await freshPgSchema();
  const store = await openPostgresStore({ url: schema.url, poolSize, schema: schema.schema });
  await store.migrate();
  return {
    pg: schema,
    store,
    close: async () => {
      await store.close();
      await schema.drop();
    },
  };
}
