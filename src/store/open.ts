import type { Config } from '../config/index.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  databaseUrl: string;
  sqliteSynchronous?: Config['sqliteSynchronous'];
  /** SQLite only: run the connection in a worker thread (sqlite/thread.ts); default false */
  sqliteThread?: boolean;
  /** SQLite only: where WAL checkpoints run (sqlite/checkpointer.ts); unset, the store's default ('writer') */
  sqliteCheckpoint?: Config['sqliteCheckpoint'];
  pgPoolSize?: number;
  /** PostgreSQL only: use this schema (created if missing); tests use one per file */
  pgSchema?: string;
}

/**
 * Chooses the engine from the URL. Engines are imported lazily so a SQLite deployment never loads
 * pg and vice versa. Migrations are NOT applied here: call store.migrate().
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const url = opts.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const sqlite = {
      path: url.slice('sqlite:'.length),
      synchronous: opts.sqliteSynchronous ?? 'NORMAL',
      checkpoint: opts.sqliteCheckpoint,
    } as const;
    if (opts.sqliteThread === true) {
      const { openSqliteStoreInThread } = await import('./sqlite/thread.js');
      return openSqliteStoreInThread(sqlite);
    }
    const { openSqliteStore } = await import('./sqlite/index.js');
    return openSqliteStore(sqlite);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgresStore } = await import('./postgres/index.js');
    return openPostgresStore({ url, poolSize: opts.pgPoolSize ?? 10, schema: opts.pgSchema });
  }
  throw new Error(`unsupported database URL scheme: ${url.split(':')[0]}`);
}
