/**
 * PostgreSQL migrations: many processes starting at once on an empty database are safe (advisory
 * lock), and a binary refuses a database migrated by a newer one. Checked in-process (six stores)
 * and with the real binary (`hooklane migrate` and `hooklane serve`, several processes at once).
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { migrations } from '../../src/store/postgres/migrations/index.js';
import { runMigrations } from '../../src/store/postgres/migrations/runner.js';
import { createPool } from '../../src/store/postgres/pool.js';
import type { Store } from '../../src/store/types.js';
import { PG_TEST_URL, freshPgSchema, pgQuery, type PgSchema } from '../helpers/pg.js';
import { CLI } from '../helpers/server-process.js';

const LATEST = Math.max(...migrations.map((m) => m.version));

// Skipped without HOOKLANE_TEST_DATABASE_URL: these tests need a PostgreSQL server (see test/helpers/pg.ts).
// Skipped only without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it and fails if PostgreSQL is unreachable.
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
    // the core tables (later migrations add more)
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'api_keys',
        'attempts',
        'deliveries',
        'event_types',
        'events',
        'hooklane_migrations',
        'tenants',
        'webhooks',
      ]),
    );
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

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** runs the built binary to completion */
function hooklane(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, HOOKLANE_LOG_LEVEL: 'warn', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// Skipped without HOOKLANE_TEST_DATABASE_URL: these tests need a PostgreSQL server (see test/helpers/pg.ts).
// Skipped only without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it and fails if PostgreSQL is unreachable.
describe.skipIf(PG_TEST_URL === undefined)('hooklane migrate on PostgreSQL (the real binary)', () => {
  let pg: PgSchema;
  let url: string;

  beforeAll(async () => {
    pg = await freshPgSchema();
    await pg.drop(); // the binary must create the schema named in the URL
    url = `${pg.url}?schema=${pg.schema}`;
  });
  afterAll(async () => {
    await pg?.drop();
  });

  it('four `hooklane migrate` processes started at once: one applies, the others find it done', async () => {
    const runs = await Promise.all(Array.from({ length: 4 }, () => hooklane(['migrate', '--database', url])));
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const appliers = runs.filter((r) => /applied migration\(s\) /.test(r.stdout));
    expect(appliers).toHaveLength(1);
    expect(appliers[0]!.stdout).toContain(`schema version ${LATEST}`);
    for (const r of runs.filter((x) => x !== appliers[0]))
      expect(r.stdout).toMatch(new RegExp(`is up to date \\(schema version ${LATEST}\\)`));

    const rows = await pgQuery<{ version: number }>(
      'SELECT version FROM hooklane_migrations ORDER BY version',
      [],
      pg.schema,
    );
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    // the tables were created in the schema named by the URL
    const inSchema = await pgQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
      [pg.schema],
    );
    expect(inSchema[0]!.n).toBeGreaterThanOrEqual(8);
  });

  it('an old binary refuses a newer schema with a clear message: migrate and serve exit non-zero', async () => {
    await pgQuery(
      `INSERT INTO hooklane_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', 0)`,
      [LATEST + 1],
      pg.schema,
    );
    try {
      const expected = new RegExp(
        `schema is at version ${LATEST + 1}, newer than this hooklane binary supports \\(version ${LATEST}\\).*Upgrade hooklane`,
      );
      const migrate = await hooklane(['migrate', '--database', url]);
      expect(migrate.code).not.toBe(0);
      expect(migrate.stderr).toMatch(expected);

      const serve = await hooklane(['serve', '--port', '0', '--database', url, '--role', 'worker'], {
        HOOKLANE_ADMIN_KEY: 'hl_test_admin_key_0123456789abcdef',
      });
      expect(serve.code).not.toBe(0);
      expect(serve.stderr).toMatch(expected);
    } finally {
      await pgQuery('DELETE FROM hooklane_migrations WHERE version = $1', [LATEST + 1], pg.schema);
    }
  });
});

// Skipped without HOOKLANE_TEST_DATABASE_URL: these tests need a PostgreSQL server (see test/helpers/pg.ts).
// Skipped only without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it and fails if PostgreSQL is unreachable.
describe.skipIf(PG_TEST_URL === undefined)('PostgreSQL: a role without CREATE on the database', () => {
  let pg: PgSchema;
  const role = `hl_test_role_${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    pg = await freshPgSchema();
    // what a DBA does for a locked-down deployment: a schema owned by hooklane's role, nothing more
    await pgQuery(`CREATE ROLE ${role} LOGIN`);
    await pgQuery(`ALTER SCHEMA ${pg.schema} OWNER TO ${role}`);
  });
  afterAll(async () => {
    await pg?.drop();
    await pgQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  it('runs in the schema prepared for it (it never needs to create it)', async () => {
    const url = new URL(pg.url);
    url.username = role;
    url.password = '';
    const store = await openPostgresStore({ url: url.toString(), poolSize: 1, schema: pg.schema });
    try {
      expect((await store.migrate()).version).toBe(LATEST);
      await store.ping();
      expect(await store.queue.nextDueAt()).toBeNull();
    } finally {
      await store.close();
    }
  });
});
