/**
 * webhook_due on PostgreSQL (migration 5) under concurrency. Its one rule: a webhook with a pending
 * delivery always has a row no later than it, or the claim never looks at that webhook again. Many
 * transactions write it at once here, so the two ways to break the rule are races:
 *
 * - a claim finds a row early (nothing due that it can see) and settles it (moves it later or
 *   removes it) while another transaction's pending delivery of that webhook is not committed yet;
 * - a writer decides the row is early enough on a snapshot taken before a settle committed.
 *
 * Both are driven here step by step with a second connection holding a transaction open, and then
 * at random: two stores ingesting fan-outs to 20 webhooks of two tenants in opposite orders while
 * two others claim, retry a quarter and complete; every delivery must be claimed exactly once per
 * attempt, no statement may fail (a deadlock would), and no row may end up late.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { ClaimedDelivery, Store } from '../../src/store/types.js';
import { WEBHOOK_DUE_COVERAGE_SQL } from '../helpers/engines.js';
import {
  PG_SKIP_REASON,
  PG_TEST_URL,
  migratedPgStore,
  pgQuery,
  type MigratedPgStore,
  type PgSchema,
} from '../helpers/pg.js';
import { claimOpts } from '../helpers/claim-cost.js';
import { completion, event, tenant, webhook } from './fixtures.js';

describe.skipIf(PG_TEST_URL === undefined)(
  `PostgreSQL webhook_due under concurrency${PG_TEST_URL ? '' : ` (${PG_SKIP_REASON})`}`,
  () => {
    let db: MigratedPgStore;
    let schema: PgSchema;
    let store: Store;
    /** a second session, for transactions held open across the store's calls */
    let other: pg.Client;
    const T0 = 1_750_000_000_000;
    const hook = webhook('acme', { id: 'wh_race', created_at: T0 });

    const coverage = async () =>
      (await pgQuery<{ rows: number; late: number }>(WEBHOOK_DUE_COVERAGE_SQL, [], schema.schema))[0]!;
    const rowOf = async (webhookId: string) =>
      (
        await pgQuery<{ due_at: string }>(
          'SELECT due_at FROM webhook_due WHERE webhook_id = $1',
          [webhookId],
          schema.schema,
        )
      ).map((r) => Number(r.due_at));
    /** inserts a pending delivery of evt_1 to the hook, due at `at`, in `other`'s open transaction */
    const insertPending = (id: string, at: number) =>
      other.query(
        `INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, next_attempt_at, created_at, updated_at)
       VALUES ('acme', $1, 'evt_1', $2, 'user.created', 'pending', $3, $3, $3)`,
        [id, hook.id, at],
      );

    beforeAll(async () => {
      db = await migratedPgStore(2);
      ({ pg: schema, store } = db);
      await store.tenants.create(tenant('acme', T0));
      await store.webhooks.create(hook);
      other = new pg.Client({ connectionString: schema.url, options: `-c search_path=${schema.schema}` });
      await other.connect();
    });

    afterAll(async () => {
      await other?.end();
      await db?.close();
    });

    it('a claim does not settle away the row of a webhook whose new delivery is not committed yet', async () => {
      await store.events.ingest([{ event: event('acme', 'user.created', T0, { id: 'evt_1' }) }], T0);
      expect(await rowOf(hook.id)).toEqual([T0]);
      expect((await store.queue.claim(claimOpts(T0 + 1))).map((c) => c.delivery.event_id)).toEqual(['evt_1']);

      // another transaction gives the webhook a pending delivery, due now, and has not committed: its
      // row (T0, early but no later than the new delivery) is left as it is, and the webhook's key held
      await other.query('BEGIN');
      await insertPending('dlv_uncommitted', T0 + 2);
      // this claim cannot see that delivery: to it the row is early, with nothing due behind it
      expect(await store.queue.claim(claimOpts(T0 + 3))).toEqual([]);
      expect(await rowOf(hook.id)).toEqual([T0]);
      await other.query('COMMIT');

      const got = await store.queue.claim(claimOpts(T0 + 4));
      expect(got.map((c) => c.delivery.id)).toEqual(['dlv_uncommitted']);
      // the row, early again, goes at the next claim that finds it so
      expect(await store.queue.claim(claimOpts(T0 + 5))).toEqual([]);
      expect(await coverage()).toEqual({ rows: 0, late: 0 });
    });

    it('a writer waits for a settle that holds its webhook, then sees what it did', async () => {
      const at = T0 + 10;
      await store.events.ingest([{ event: event('acme', 'user.created', at, { id: 'evt_2' }) }], at);
      expect((await store.queue.claim(claimOpts(at))).map((c) => c.delivery.event_id)).toEqual(['evt_2']);
      expect(await rowOf(hook.id)).toEqual([at]);
      // a settle, half done: the webhook's key taken, its row (nothing pending behind it) removed, not
      // committed
      await other.query('BEGIN');
      await other.query("SELECT pg_advisory_xact_lock(hooklane_due_key('acme', $1))", [hook.id]);
      await other.query('DELETE FROM webhook_due WHERE webhook_id = $1', [hook.id]);
      // a pending delivery of that webhook written meanwhile: its cover waits for the settle
      let written = false;
      const write = store.events
        .ingest([{ event: event('acme', 'user.created', at + 1, { id: 'evt_3' }) }], at + 1)
        .then(() => {
          written = true;
        });
      await new Promise((r) => setTimeout(r, 300));
      expect(written).toBe(false);
      await other.query('COMMIT');
      await write;
      // it saw the row gone, and wrote its own
      expect(await rowOf(hook.id)).toEqual([at + 1]);
      expect(await coverage()).toEqual({ rows: 1, late: 0 });
      const got = await store.queue.claim(claimOpts(at + 2));
      expect(got.map((c) => c.delivery.event_id)).toEqual(['evt_3']);
    });

    it('early rows never take the place of due work: claims of 2 walk five webhooks 2, 2, 1', async () => {
      // (with a claim's window of 2 rows, a first version counted the two webhooks the first claim
      // drained, early now and first in due order, against it, and the second claim came back empty)
      const at = T0 + 1_000;
      await store.tenants.create(tenant('five', T0));
      for (let i = 0; i < 5; i++)
        await store.webhooks.create(webhook('five', { id: `wh_five_${i}`, created_at: T0 }));
      await store.events.ingest([{ event: event('five', 'user.created', at, { id: 'evt_five' }) }], at);
      const taken: string[][] = [];
      for (let i = 0; i < 4; i++) {
        const got = await store.queue.claim(claimOpts(at + 1 + i, { limit: 2, perWebhookLimit: 2 }));
        taken.push(got.map((c) => c.webhook.id));
      }
      expect(taken.map((t) => t.length)).toEqual([2, 2, 1, 0]);
      expect(new Set(taken.flat()).size).toBe(5);
    });

    it('a delivery made pending from a session on another search_path (psql, a schema-qualified UPDATE) is covered too', async () => {
      const at = T0 + 2_000;
      await store.events.ingest([{ event: event('acme', 'user.created', at, { id: 'evt_psql' }) }], at);
      const [got] = await store.queue.claim(claimOpts(at));
      expect(got?.delivery.event_id).toBe('evt_psql');
      expect(await store.queue.claim(claimOpts(at + 1))).toEqual([]);
      expect(await rowOf(hook.id)).toEqual([]);
      // an operator puts it back by hand, from a session whose search_path is the default
      await pgQuery(
        `UPDATE ${schema.schema}.deliveries SET status = 'pending', next_attempt_at = $1, lease_owner = NULL,
           lease_expires_at = NULL WHERE id = $2`,
        [at + 2, got!.delivery.id],
      );
      expect(await rowOf(hook.id)).toEqual([at + 2]);
      expect((await store.queue.claim(claimOpts(at + 3))).map((c) => c.delivery.event_id)).toEqual([
        'evt_psql',
      ]);
    });

    it("a deleted webhook's row goes at the next claim (its deliveries were cancelled with it)", async () => {
      const at = T0 + 3_000;
      await store.tenants.create(tenant('gone', T0));
      const doomed = webhook('gone', { id: 'wh_doomed', created_at: T0 });
      await store.webhooks.create(doomed);
      await store.events.ingest([{ event: event('gone', 'user.created', at, { id: 'evt_doomed' }) }], at);
      expect(await rowOf(doomed.id)).toEqual([at]);
      expect(await store.webhooks.delete('gone', doomed.id, at + 1)).toBe(true);
      expect(await store.queue.claim(claimOpts(at + 2))).toEqual([]);
      expect(await rowOf(doomed.id)).toEqual([]);

      // a delivery an ingest wrote for it as it was deleted (a race) brings the row back; it is never
      // sent, takes no claim's room, and its row goes again
      await pgQuery(
        `INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, next_attempt_at,
                                 created_at, updated_at)
         VALUES ('gone', 'dlv_orphan', 'evt_doomed', $1, 'user.created', 'pending', $2, $2, $2)`,
        [doomed.id, at + 2],
        schema.schema,
      );
      expect(await rowOf(doomed.id)).toEqual([at + 2]);
      const alive = webhook('gone', { id: 'wh_alive', events: ['alive.*'], created_at: T0 });
      await store.webhooks.create(alive);
      await store.events.ingest([{ event: event('gone', 'alive.x', at + 3, { id: 'evt_alive' }) }], at + 3);
      const got = await store.queue.claim(claimOpts(at + 4, { limit: 1 }));
      expect(got.map((c) => c.delivery.event_id)).toEqual(['evt_alive']);
      expect(await rowOf(doomed.id)).toEqual([]);
      // (the orphan would stay pending, and the cases below wait for an empty queue)
      expect(await store.tenants.delete('gone')).toBe(true);
    });

    it("a deleted tenant's rows go with it", async () => {
      const at = T0 + 3_500;
      await store.tenants.create(tenant('leaving', T0));
      await store.webhooks.create(webhook('leaving', { id: 'wh_leaving', created_at: T0 }));
      await store.events.ingest([{ event: event('leaving', 'user.created', at, { id: 'evt_leaving' }) }], at);
      expect(await rowOf('wh_leaving')).toEqual([at]);
      expect(await store.tenants.delete('leaving')).toBe(true);
      expect(await rowOf('wh_leaving')).toEqual([]);
    });

    it('a statement covering 20,000 webhooks holds their buckets, not 20,000 keys, and still holds off a settle', async () => {
      const at = T0 + 4_000;
      const MANY = 20_000;
      await store.tenants.create(tenant('many', T0));
      const first = webhook('many', { id: 'wh_many_00000', events: ['user.*'], created_at: T0 });
      await store.webhooks.create(first);
      // the others subscribe to other events: only the bulk statement below gives them deliveries
      await pgQuery(
        `INSERT INTO webhooks (tenant_id, id, url, events, retry_policy, timeout_ms, max_in_flight, secrets,
                               created_at, updated_at)
         SELECT 'many', 'wh_many_' || lpad(n::text, 5, '0'), url, '["bulk.*"]', retry_policy, timeout_ms,
                max_in_flight, secrets, created_at, updated_at
         FROM webhooks, generate_series(1, ${MANY - 1}) n WHERE id = 'wh_many_00000'`,
        [],
        schema.schema,
      );
      await store.events.ingest([{ event: event('many', 'user.created', at, { id: 'evt_many_0' }) }], at);
      expect(await rowOf(first.id)).toEqual([at]);

      // another transaction makes a delivery of every one of them pending, in one statement (with a
      // key per webhook that ran PostgreSQL out of shared memory), and has not committed
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO events (tenant_id, id, type, timestamp, payload, created_at)
         VALUES ('many', 'evt_many', 'user.created', $1, '{}', $1)`,
        [at],
      );
      await other.query(
        `INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, next_attempt_at,
                                 created_at, updated_at)
         SELECT 'many', 'dlv_' || id, 'evt_many', id, 'user.created', 'pending', $1, $1, $1
         FROM webhooks WHERE tenant_id = 'many'`,
        [at + 1],
      );
      // the claim takes the first webhook's own delivery, then finds its row early; its settle
      // cannot take the bucket the open statement holds, so the row stays
      const got = await store.queue.claim(claimOpts(at + 2, { limit: 10 }));
      expect(got.map((c) => c.delivery.event_id)).toEqual(['evt_many_0']);
      expect(await store.queue.claim(claimOpts(at + 3, { limit: 10 }))).toEqual([]);
      expect(await rowOf(first.id)).toEqual([at]);
      await other.query('COMMIT');
      expect(await coverage()).toEqual({ rows: expect.any(Number), late: 0 });
      const next = await store.queue.claim(claimOpts(at + 4, { limit: 10, perWebhookLimit: 1 }));
      expect(next).toHaveLength(10);
      // claimed, all 20,000 rows are early at once: the claim that finds them settles them in parts
      // (at once, their 40,000 advisory locks ran PostgreSQL out of shared memory)
      for (;;) {
        const batch = await store.queue.claim(claimOpts(at + 5, { limit: MANY, perWebhookLimit: 1 }));
        if (batch.length === 0) break;
      }
      expect(await store.queue.claim(claimOpts(at + 6))).toEqual([]);
      expect(await pgQuery("SELECT 1 FROM webhook_due WHERE tenant_id = 'many'", [], schema.schema)).toEqual(
        [],
      );
      // and the tenant's delete takes its rows with it
      expect(await store.tenants.delete('many')).toBe(true);
      expect(await pgQuery("SELECT 1 FROM webhook_due WHERE tenant_id = 'many'", [], schema.schema)).toEqual(
        [],
      );
    }, 60_000);

    it("another schema's writers in the same database do not hold up this one's settles", async () => {
      const at = T0 + 5_000;
      // a second hooklane in another schema, a statement of 20,000 webhooks open there: it holds
      // every bucket key it has, and advisory locks are database-wide
      const neighbour = await migratedPgStore(1);
      const session = new pg.Client({
        connectionString: schema.url,
        options: `-c search_path=${neighbour.pg.schema}`,
      });
      await session.connect();
      try {
        await session.query(`
          INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('n', 'n', 1, 1);
          INSERT INTO webhooks (tenant_id, id, url, events, retry_policy, timeout_ms, max_in_flight, secrets,
                                created_at, updated_at)
          SELECT 'n', 'wh_n_' || n, 'https://n.example/', '["*"]', '{}', 30000, 16, '[]', 1, 1
          FROM generate_series(1, 20000) n;
          INSERT INTO events (tenant_id, id, type, timestamp, payload, created_at) VALUES ('n', 'evt_n', 'x', 1, '{}', 1);`);
        await session.query('BEGIN');
        await session.query(`
          INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, next_attempt_at,
                                  created_at, updated_at)
          SELECT 'n', 'dlv_' || id, 'evt_n', id, 'x', 'pending', 1, 1, 1 FROM webhooks`);
        // here, a webhook's row found early is settled all the same
        await store.events.ingest(
          [{ event: event('acme', 'user.created', at, { id: 'evt_neighbour' }) }],
          at,
        );
        expect((await store.queue.claim(claimOpts(at))).map((c) => c.delivery.event_id)).toEqual([
          'evt_neighbour',
        ]);
        expect(await store.queue.claim(claimOpts(at + 1))).toEqual([]);
        expect(await rowOf(hook.id)).toEqual([]);
        await session.query('ROLLBACK');
      } finally {
        await session.end();
        await neighbour.close();
      }
    }, 60_000);

    it('fan-outs ingested by two stores in opposite orders while two others claim and retry: each delivery claimed once per attempt, nothing late', async () => {
      const EVENTS = 300;
      const tenants = ['north', 'south'];
      for (const t of tenants) {
        await store.tenants.create(tenant(t, T0));
        for (let i = 0; i < 10; i++)
          await store.webhooks.create(
            webhook(t, { id: `wh_${t}_${i}`, events: ['fan.*'], created_at: T0 + i }),
          );
      }
      const stores = [store];
      for (let i = 0; i < 3; i++)
        stores.push(await openPostgresStore({ url: schema.url, poolSize: 2, schema: schema.schema }));
      try {
        const [apiA, apiB, workerA, workerB] = stores as [Store, Store, Store, Store];
        const claims = new Map<string, number>();
        const retried = new Set<string>();
        let ingesting = 2;

        /** EVENTS events in batches of 10, each batch both tenants, this store's tenant order */
        async function ingest(api: Store, order: string[], tag: string): Promise<void> {
          for (let i = 0; i < EVENTS; i += 10) {
            const batch = [];
            for (const t of order)
              for (let j = i; j < i + 5; j++)
                batch.push({ event: event(t, 'fan.x', Date.now(), { id: `evt_${tag}_${t}_${j}` }) });
            await api.events.ingest(batch, Date.now());
          }
          ingesting--;
        }

        async function work(worker: Store, workerId: string): Promise<void> {
          for (;;) {
            const batch: ClaimedDelivery[] = await worker.queue.claim(
              claimOpts(Date.now(), { workerId, limit: 100, perWebhookLimit: 10 }),
            );
            if (batch.length === 0) {
              const left = await worker.queue.depth(Date.now());
              if (ingesting === 0 && left.pending === 0 && left.delivering === 0) return;
              await new Promise((r) => setTimeout(r, 2));
              continue;
            }
            // (the earlier cases' leases, long expired at Date.now(), are taken and completed too)
            for (const c of batch)
              if (tenants.includes(c.delivery.tenant_id))
                claims.set(c.delivery.id, (claims.get(c.delivery.id) ?? 0) + 1);
            const now = Date.now();
            const completions = batch.map((c) => {
              if (c.delivery.attempts === 0 && c.delivery.id.charCodeAt(c.delivery.id.length - 1) % 4 === 0) {
                retried.add(c.delivery.id);
                return completion(c, now, 'retry', { next_attempt_at: now });
              }
              return completion(c, now, 'succeeded');
            });
            expect(await worker.queue.complete(workerId, completions, now)).toBe(batch.length);
          }
        }

        await Promise.all([
          ingest(apiA, tenants, 'a'),
          ingest(apiB, [...tenants].reverse(), 'b'),
          work(workerA, 'worker-a'),
          work(workerB, 'worker-b'),
        ]);

        const total = 2 * EVENTS * 10;
        expect(claims.size).toBe(total);
        for (const [id, n] of claims)
          if (n !== (retried.has(id) ? 2 : 1)) throw new Error(`${id} claimed ${n} times`);
        const [done] = await pgQuery<{ n: number }>(
          "SELECT count(*)::int AS n FROM deliveries WHERE tenant_id IN ('north', 'south') AND status = 'succeeded'",
          [],
          schema.schema,
        );
        expect(done!.n).toBe(total);
        expect((await coverage()).late).toBe(0);
      } finally {
        await Promise.all(stores.slice(1).map((s) => s.close()));
      }
    }, 120_000);
  },
);
