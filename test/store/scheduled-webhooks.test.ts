/**
 * Webhooks whose pending work is not due yet must cost the claim and nextDueAt nothing. A receiver's
 * outage leaves thousands of webhooks each holding a retry scheduled minutes or hours out; until
 * webhook_due (SQLite migration 6, PostgreSQL migration 5) both engines visited every webhook with
 * pending deliveries, due or not, one seek each. With 10,000 such webhooks (2 shared cores): on
 * SQLite a claim cost 30–45 ms and a nextDueAt ~110 ms of the database thread, on every wake (at
 * 7e7e375 this test's first case measured a median claim of 28 ms against its bound of 2.9 ms); on
 * PostgreSQL (at f1c0113) 51 ms against a bound of 27 ms. webhook_due names only the webhooks whose
 * time has come (src/store/sqlite/pending-webhooks.ts, src/store/postgres/sql/claim.ts; its
 * PostgreSQL races are postgres-webhook-due.test.ts's).
 *
 * As in held-backlog.test.ts the cost is compared with itself: the median of 31 claims (and
 * nextDueAt calls) on the same database, before and after SCHEDULED webhooks get a retry due in an
 * hour; the bound, 10x plus 1 ms, leaves room for a noisy machine and none for a visit to each.
 * Then the time comes: every scheduled retry is claimed, once, oldest first, and the rows of
 * webhook_due that the claims find early are set right or removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/store/sqlite/connection.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { migrations as pgMigrations } from '../../src/store/postgres/migrations/index.js';
import { runMigrations as runPgMigrations } from '../../src/store/postgres/migrations/runner.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { runMigrations } from '../../src/store/sqlite/migrate.js';
import { migrations } from '../../src/store/sqlite/migrations/index.js';
import type { Store } from '../../src/store/types.js';
import { claimCostTimer, claimOpts, expectClaimAndNextDueAtAsBefore } from '../helpers/claim-cost.js';
import {
  WEBHOOK_DUE_COVERAGE_SQL,
  engines,
  seriesSql,
  storeForSuite,
  type RawStore,
} from '../helpers/engines.js';
import { PG_TEST_URL, freshPgSchema, pgQuery } from '../helpers/pg.js';
import { tenant, webhook } from './fixtures.js';

const SCHEDULED = 10_000;
const ROUNDS = 31;
const T0 = 1_750_000_000_000;
const HOUR = 3_600_000;

const live = webhook('live', { events: ['live.*'], created_at: T0 });

/**
 * SCHEDULED webhooks of tenant 'down', each with one delivery that failed and was scheduled for an
 * hour later (webhook n's at T0 + HOUR + n), written the way the dispatcher records it: leased, then
 * set pending by an UPDATE.
 */
const scheduleSql = (e: RawStore) => `
INSERT INTO webhooks (tenant_id, id, url, events, description, active, paused, headers, retry_policy,
                      timeout_ms, max_in_flight, payload_format, metadata, secrets, created_at, updated_at)
SELECT 'down', 'wh_down_' || ${e.zeroPad('n', 5)}, 'https://down.example/' || n, '["*"]', '', 1, 0, '{}',
       (SELECT retry_policy FROM webhooks LIMIT 1), 30000, 16, 'envelope', '{}',
       (SELECT secrets FROM webhooks LIMIT 1), ${T0}, ${T0}
FROM ${seriesSql(SCHEDULED)};
INSERT INTO events (tenant_id, id, type, timestamp, payload, created_at)
  VALUES ('down', 'evt_down', 'down.x', ${T0}, '{}', ${T0});
INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, next_attempt_at,
                        created_at, updated_at)
  SELECT 'down', 'dlv_' || substr(id, 4), 'evt_down', id, 'down.x', 'delivering', ${T0}, ${T0}, ${T0}
  FROM webhooks WHERE tenant_id = 'down';
UPDATE deliveries SET status = 'pending', attempts = 1,
  next_attempt_at = ${T0 + HOUR} + CAST(substr(webhook_id, 9) AS INTEGER)
  WHERE tenant_id = 'down';`;

for (const engine of engines) {
  describe.skipIf(engine.skip !== undefined)(
    `${engine.name}: webhooks whose work is not due yet cost the claim nothing`,
    () => {
      const suite = storeForSuite(engine);
      let store: Store;
      let before: { claim: number; nextDueAt: number };

      const medianMs = claimCostTimer(suite.store, {
        tenantId: 'live',
        type: 'live.x',
        t0: T0,
        rounds: ROUNDS,
      });

      beforeAll(async () => {
        store = suite.store();
        await store.tenants.create(tenant('live', T0));
        await store.tenants.create(tenant('down', T0));
        await store.webhooks.create(live);
        before = {
          claim: await medianMs((now) => store.queue.claim(claimOpts(now))),
          nextDueAt: await medianMs(() => store.queue.nextDueAt()),
        };
        await suite.raw().exec(scheduleSql(suite.raw()));
      }, 120_000);

      it(`${SCHEDULED} webhooks holding a retry due in an hour: claims and nextDueAt cost what they did`, async () => {
        await expectClaimAndNextDueAtAsBefore(store, medianMs, live.id, before);
      });

      it('when the hour has passed, every scheduled retry is claimed once, oldest first', async () => {
        expect(await suite.raw().get(WEBHOOK_DUE_COVERAGE_SQL)).toEqual({ rows: 1 + SCHEDULED, late: 0 });
        const at = T0 + HOUR + SCHEDULED + 1;
        const seen: string[] = [];
        for (;;) {
          const got = await store.queue.claim(
            claimOpts(at, { limit: 1_000, perWebhookLimit: 1, excludeWebhookIds: [live.id] }),
          );
          if (got.length === 0) break;
          seen.push(...got.map((c) => c.delivery.id));
        }
        expect(seen).toHaveLength(SCHEDULED);
        expect(new Set(seen).size).toBe(SCHEDULED);
        expect(seen.slice(0, 3)).toEqual(['dlv_down_00001', 'dlv_down_00002', 'dlv_down_00003']);
        // every scheduled webhook's row was found early (its delivery claimed) and removed on the way;
        // what is left is the live webhook's (excluded from these claims), and no row is late
        expect(await suite.raw().get(WEBHOOK_DUE_COVERAGE_SQL)).toEqual({ rows: 1, late: 0 });
      }, 60_000);
    },
  );
}

/** a delivery due later than the upgrade's first claim, before that claim's leases (30 s timeout) expire */
const LATER = 20_000;

/** a webhook's pending deliveries as an older hooklane left them: two due, one LATER */
const oldPendingSql = (hookId: string) => `
INSERT INTO events (tenant_id, id, type, timestamp, payload, created_at)
  VALUES ('acme', 'evt_old', 'a.x', ${T0}, '{}', ${T0});
INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, next_attempt_at,
                        created_at, updated_at)
VALUES ('acme', 'dlv_2', 'evt_old', '${hookId}', 'a.x', 'pending', ${T0 + 2}, ${T0}, ${T0}),
       ('acme', 'dlv_1', 'evt_old', '${hookId}', 'a.x', 'pending', ${T0 + 1}, ${T0}, ${T0}),
       ('acme', 'dlv_3', 'evt_old', '${hookId}', 'a.x', 'pending', ${T0 + LATER}, ${T0}, ${T0});`;

/** migrating `store` applies `version`, after which nextDueAt and the claims find oldPendingSql's deliveries, oldest first */
async function expectUpgradeCovers(store: Store, version: number): Promise<void> {
  expect((await store.migrate()).applied).toEqual([version]);
  expect(await store.queue.nextDueAt()).toBe(T0 + 1);
  const got = await store.queue.claim(claimOpts(T0 + 10));
  expect(got.map((c) => c.delivery.id)).toEqual(['dlv_1', 'dlv_2']);
  // next: the later delivery (before the leases just taken expire)
  expect(got[0]!.delivery.lease_expires_at).toBeGreaterThan(T0 + LATER);
  expect(await store.queue.nextDueAt()).toBe(T0 + LATER);
  const later = await store.queue.claim(claimOpts(T0 + LATER));
  expect(later.map((c) => c.delivery.id)).toEqual(['dlv_3']);
}

describe('sqlite migration 6 (webhook_due)', () => {
  it('covers the pending deliveries of a database it upgrades: they are claimed, oldest first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-migrate6-'));
    const path = join(dir, 'hooklane.db');
    try {
      // a database as migration 5 left it, with a webhook's pending deliveries: two due, one later
      const db = openConnection(path, 'NORMAL');
      runMigrations(
        db,
        migrations.filter((m) => m.version <= 5),
      );
      db.close();
      let store = await openSqliteStore({ path, synchronous: 'NORMAL' });
      await store.tenants.create(tenant('acme', T0));
      const hook = webhook('acme', { created_at: T0 });
      await store.webhooks.create(hook);
      await store.close();
      const raw = new Database(path);
      raw.exec(oldPendingSql(hook.id));
      raw.close();

      store = await openSqliteStore({ path, synchronous: 'NORMAL' });
      try {
        await expectUpgradeCovers(store, 6);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(PG_TEST_URL === undefined)('postgres migration 5 (webhook_due)', () => {
  it('covers the pending deliveries of a database it upgrades: they are claimed, oldest first', async () => {
    const pg = await freshPgSchema();
    const pool = createPool({ url: pg.url, poolSize: 1, schema: pg.schema });
    try {
      // a database as migration 4 left it, with a webhook's pending deliveries: two due, one later
      await runPgMigrations(
        pool,
        pgMigrations.filter((m) => m.version <= 4),
      );
      let store = await openPostgresStore({ url: pg.url, poolSize: 1, schema: pg.schema });
      await store.tenants.create(tenant('acme', T0));
      const hook = webhook('acme', { created_at: T0 });
      await store.webhooks.create(hook);
      await store.close();
      await pgQuery(oldPendingSql(hook.id), [], pg.schema);

      store = await openPostgresStore({ url: pg.url, poolSize: 2, schema: pg.schema });
      try {
        await expectUpgradeCovers(store, 5);
      } finally {
        await store.close();
      }
    } finally {
      await pool.end();
      await pg.drop();
    }
  });
});
