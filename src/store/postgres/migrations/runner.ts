import type pg from 'pg';
import { HooklaneError } from '../../../domain/errors.js';
import { inTransaction } from '../transaction.js';
import { migrations, type PgMigration } from './index.js';

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so any
 * number of processes may start (or run `hooklane migrate`) at once: the first applies, the others
 * wait on the lock and then find nothing left to do. The lock is keyed by the current schema, so
 * stores in different schemas of one database never wait on each other, and being transaction
 * scoped it is released by the server even if this process dies mid-migration.
 *
 * A database migrated by a newer hooklane is refused before anything is touched: running old code
 * against a schema it does not know could corrupt data.
 */
const LOCK_CLASS = 0x686c; // "hl": the first key of the two-key advisory lock, hooklane's namespace

export async function runMigrations(
  pool: pg.Pool,
  list: readonly PgMigration[] = migrations,
): Promise<{ applied: number[]; version: number }> {
  const latest = Math.max(0, ...list.map((m) => m.version));
  return inTransaction(pool, async (client) => {
    await client.query(
      `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(coalesce(current_schema(), '')))`,
    );
    await client.query(`CREATE TABLE IF NOT EXISTS hooklane_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM hooklane_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > latest) {
      throw new HooklaneError(
        'unavailable',
        `the database schema is at version ${current}, newer than this hooklane binary supports ` +
          `(version ${latest}): it was migrated by a newer hooklane. Upgrade hooklane to run against it.`,
      );
    }
    const applied: number[] = [];
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(
        `INSERT INTO hooklane_migrations (version, name, applied_at)
         VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)`,
        [m.version, m.name],
      );
      applied.push(m.version);
    }
    return { applied, version: Math.max(current, ...applied) };
  });
}
