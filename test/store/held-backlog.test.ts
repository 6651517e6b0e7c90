/**
 * A backlog the claim cannot take (a paused webhook's, or one at its in-flight cap) must not make
 * the claim for everyone else slower. The claim and nextDueAt used to walk the due index from its
 * oldest row and step over every such row: on SQLite, with 300,000 deliveries of one paused webhook
 * held, another webhook's deliveries ran 4x slower. Now a held webhook costs them one entry: its
 * webhook_due row (SQLite: src/store/sqlite/pending-webhooks.ts; PostgreSQL:
 * src/store/postgres/sql/claim.ts).
 *
 * The cost is compared with itself: the median of 31 claims (and nextDueAt calls) on the same database,
 * before and after 300,000 deliveries of another webhook are held. A walk over that backlog takes
 * tens of milliseconds where the claim takes a fraction of one or two (at 3a89560: 65 / 84 ms
 * against bounds of 2.6 / 2.9 ms on SQLite, 64 / 79 ms against 23 / 22 ms on PostgreSQL); the bound,
 * 10x plus 1 ms, leaves room for a noisy machine and none for a walk.
 * PostgreSQL runs only with HOOKLANE_TEST_DATABASE_URL (CI sets it).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import {
  claimCostTimer,
  claimOpts,
  costBound,
  expectClaimAndNextDueAtAsBefore,
} from '../helpers/claim-cost.js';
import { engines, seriesSql, storeForSuite, type RawStore } from '../helpers/engines.js';
import { tenant, webhook } from './fixtures.js';

const HELD = 300_000;
const ROUNDS = 31;
const T0 = 1_750_000_000_000;

const live = webhook('acme', { events: ['live.*'], created_at: T0 });
const held = webhook('acme', { events: ['held.*'], created_at: T0 });

/** `HELD` pending deliveries of the held webhook, all due before any live one (distinct times: a defined order) */
const holdSql = (e: RawStore) => `
  INSERT INTO events (tenant_id, id, type, timestamp, payload, created_at)
    VALUES ('acme', 'evt_held', 'held.x', ${T0}, '{}', ${T0});
  INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, next_attempt_at, created_at, updated_at)
  SELECT 'acme', 'dlv_held_' || ${e.zeroPad('n', 6)}, 'evt_held', '${held.id}', 'held.x', 'pending', ${T0 - HELD} + n, ${T0}, ${T0}
  FROM ${seriesSql(HELD)}`;

for (const engine of engines) {
  describe.skipIf(engine.skip !== undefined)(
    `${engine.name}: a held backlog does not slow the claim for other webhooks`,
    () => {
      const suite = storeForSuite(engine);
      let store: Store;
      let before: { claim: number; claimExcluded: number; nextDueAt: number };

      const medianMs = claimCostTimer(suite.store, {
        tenantId: 'acme',
        type: 'live.x',
        t0: T0,
        rounds: ROUNDS,
      });

      beforeAll(async () => {
        store = suite.store();
        await store.tenants.create(tenant('acme', T0));
        await store.webhooks.create(live);
        await store.webhooks.create(held);
        before = {
          claim: await medianMs((now) => store.queue.claim(claimOpts(now))),
          claimExcluded: await medianMs((now) =>
            store.queue.claim(claimOpts(now, { excludeWebhookIds: [held.id] })),
          ),
          nextDueAt: await medianMs(() => store.queue.nextDueAt()),
        };
        await suite.raw().exec(holdSql(suite.raw()));
      }, 120_000);

      it('the held webhook at its in-flight cap (excluded): claims cost what they did', async () => {
        const after = await medianMs(async (now) => {
          const got = await store.queue.claim(claimOpts(now, { excludeWebhookIds: [held.id] }));
          expect(new Set(got.map((c) => c.webhook.id))).toEqual(new Set([live.id]));
        });
        expect(after).toBeLessThan(costBound(before.claimExcluded));
      });

      it('the held webhook paused: claims and nextDueAt cost what they did', async () => {
        await store.webhooks.update({ ...held, paused: true, updated_at: T0 + 1 });
        // (every live delivery is leased by then; the next due time is the earliest lease's expiry)
        await expectClaimAndNextDueAtAsBefore(store, medianMs, live.id, before);
      });

      it('once resumed, the held backlog comes first: it is the oldest due', async () => {
        await store.webhooks.update({ ...held, paused: false, updated_at: T0 + 2 });
        const got = await store.queue.claim(claimOpts(T0 + 10_000, { limit: 20, perWebhookLimit: 20 }));
        expect(got).toHaveLength(20);
        expect(got.every((c) => c.webhook.id === held.id)).toBe(true);
        expect(got.map((c) => c.delivery.id)).toEqual(
          Array.from({ length: 20 }, (_, i) => `dlv_held_${String(i + 1).padStart(6, '0')}`),
        );
      });
    },
  );
}
