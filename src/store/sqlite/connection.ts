import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteConnection = Database.Database;

/**
 * Opens the one connection a SQLite store uses. SQLite allows one writer at a time, and
 * better-sqlite3 is synchronous, so a single connection in the process that owns the file is both
 * the simplest and the fastest arrangement: no lock hand-offs, no SQLITE_BUSY between our own
 * statements.
 *
 * - WAL: readers never block the writer, and a commit is one append to the log.
 * - synchronous: NORMAL (default) fsyncs only at checkpoints: every commit survives a process
 *   crash, the last ones may be lost on power loss. FULL fsyncs the log on every commit. See
 *   docs/durability.md for the measured cost.
 * - busy_timeout: another process (`hooklane migrate`, a backup) may hold the lock briefly.
 * - foreign_keys: deleting a tenant or an event cascades to what it owns.
 */
export function openConnection(path: string, synchronous: 'NORMAL' | 'FULL'): SqliteConnection {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  // 32 MiB page cache (the default is 2 MiB): the claim and ingest indexes stay in memory
  db.pragma('cache_size = -32768');
  return db;
}
