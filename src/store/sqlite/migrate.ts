import { HooklaneError } from '../../domain/errors.js';
import type { SqliteConnection } from './connection.js';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

/**
 * Applies pending migrations, all in one IMMEDIATE transaction: a second process running
 * `hooklane migrate` at the same time waits on the write lock (busy_timeout), then finds nothing
 * left to do. Calling it again is a no-op.
 *
 * A database migrated by a newer hooklane is refused before anything is touched: old code on a
 * schema it does not know could corrupt data.
 */
export function runMigrations(
  db: SqliteConnection,
  list: readonly Migration[] = allMigrations,
  now: () => number = Date.now,
): { applied: number[]; version: number } {
  const latest = list.reduce((max, m) => Math.max(max, m.version), 0);
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
      version: number | null;
    };
    const current = row.version ?? 0;
    if (current > latest) {
      throw new HooklaneError(
        'unavailable',
        `the database schema is at version ${current}, newer than this hooklane binary supports ` +
          `(version ${latest}); it was migrated by a newer hooklane. Upgrade hooklane to run against it.`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, now());
      applied.push(m.version);
    }
    return { applied, version: Math.max(current, ...applied) };
  });
  return apply.immediate();
}
