/**
 * Both storage engines, for tests that set up state behind a store's back with raw SQL and then
 * hold the store to the same behaviour on each (held-backlog.test.ts, scheduled-webhooks.test.ts).
 * PostgreSQL only with HOOKLANE_TEST_DATABASE_URL (CI sets it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { PG_SKIP_REASON, PG_TEST_URL, migratedPgStore, pgQuery } from './pg.js';

export interface RawStore {
  /** migrated, on a fresh database */
  store: Store;
  /** runs SQL (several statements allowed) on a connection of its own; on PostgreSQL then ANALYZE, so plans see what it added */
  exec(sql: string): Promise<void>;
  /** the first row of a query, on a connection of its own */
  get<R>(sql: string): Promise<R>;
  /** an SQL expression: `expr` (an integer) as text, zero-padded to `width` digits */
  zeroPad(expr: string, width: number): string;
  /** closes the store and removes its database */
  destroy(): Promise<void>;
}

export interface Engine {
  name: 'sqlite' | 'postgres';
  /** why it cannot run here, if it cannot */
  skip?: string;
  open(): Promise<RawStore>;
}

/**
 * webhook_due against the deliveries, in both dialects: its rows, and the webhooks with pending
 * deliveries whose row is missing or later than their oldest (either leaves work unclaimed; a
 * webhook that is gone has no work to claim)
 */
export const WEBHOOK_DUE_COVERAGE_SQL = `
SELECT (SELECT CAST(count(*) AS INTEGER) FROM webhook_due) AS rows,
  (SELECT CAST(count(*) AS INTEGER) FROM (
     SELECT tenant_id, webhook_id, min(next_attempt_at) AS oldest FROM deliveries
     WHERE status = 'pending' GROUP BY tenant_id, webhook_id) p
   JOIN webhooks h ON h.tenant_id = p.tenant_id AND h.id = p.webhook_id
   LEFT JOIN webhook_due w ON w.tenant_id = p.tenant_id AND w.webhook_id = p.webhook_id
   WHERE w.due_at IS NULL OR w.due_at > p.oldest) AS late`;

/** an SQL subquery of the integers 1 to `n` as column `n`, in both dialects */
export const seriesSql = (n: number) =>
  `(WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ${n}) SELECT n FROM i) AS series`;

export const engines: Engine[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'hooklane-engine-'));
      const path = join(dir, 'hooklane.db');
      const store = await openSqliteStore({ path, synchronous: 'NORMAL' });
      await store.migrate();
      const withDb = <T>(fn: (db: Database.Database) => T): T => {
        const db = new Database(path);
        try {
          db.pragma('busy_timeout = 5000');
          return fn(db);
        } finally {
          db.close();
        }
      };
      return {
        store,
        exec: async (sql) => {
          withDb((db) => db.exec(sql));
        },
        get: async <R>(sql: string) => withDb((db) => db.prepare(sql).get() as R),
        zeroPad: (expr, width) => `printf('%0${width}d', ${expr})`,
        destroy: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: PG_TEST_URL === undefined ? PG_SKIP_REASON : undefined,
    async open() {
      const { pg, store, close } = await migratedPgStore(2);
      return {
        store,
        exec: async (sql) => {
          await pgQuery(sql, [], pg.schema);
          await pgQuery('ANALYZE', [], pg.schema);
        },
        get: async <R>(sql: string) => (await pgQuery(sql, [], pg.schema))[0] as R,
        zeroPad: (expr, width) => `lpad((${expr})::text, ${width}, '0')`,
        destroy: close,
      };
    },
  },
];

/**
 * `engine`'s store for one describe block: opened in a beforeAll registered before the block's own
 * (so it runs first), destroyed after all its tests. Call inside the describe.
 */
export function storeForSuite(engine: Engine): { raw(): RawStore; store(): Store } {
  let opened: RawStore | undefined;
  beforeAll(async () => {
    opened = await engine.open();
  });
  afterAll(async () => {
    await opened?.destroy();
  });
  return { raw: () => opened!, store: () => opened!.store };
}
