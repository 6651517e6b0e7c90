/**
 * The store conformance suite on the SQLite engine, on a real file in a fresh temporary directory:
 * in the calling thread (openSqliteStore), and in its own thread as `hooklane serve` runs it
 * (openSqliteStoreInThread, every call crossing threads by message).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openSqliteStoreInThread } from '../../src/store/sqlite/thread.js';
import type { Store } from '../../src/store/types.js';
import { describeStoreConformance } from './conformance.js';

const TABLES = ['attempts', 'deliveries', 'events', 'webhooks', 'api_keys', 'event_types', 'tenants'];

type Open = (opts: { path: string; synchronous: 'NORMAL' }) => Promise<Store>;

for (const [name, open] of [
  ['sqlite', openSqliteStore],
  ['sqlite in its own thread', openSqliteStoreInThread],
] as [string, Open][]) {
  describeStoreConformance(name, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-conformance-'));
    const path = join(dir, 'hooklane.db');
    /** a second connection, as an operator's sqlite3 shell would be */
    const withFile = <T>(fn: (db: Database.Database) => T): T => {
      const db = new Database(path);
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      try {
        return fn(db);
      } finally {
        db.close();
      }
    };
    return {
      open: () => open({ path, synchronous: 'NORMAL' }),
      reset: async () => {
        withFile((db) => db.transaction(() => TABLES.forEach((t) => db.exec(`DELETE FROM ${t}`)))());
      },
      recordSchemaVersion: async (version) => {
        withFile((db) =>
          db
            .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
            .run(version, 'from_a_newer_hooklane', Date.now()),
        );
      },
      forgetSchemaVersion: async (version) => {
        withFile((db) => db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(version));
      },
      destroy: async () => {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
