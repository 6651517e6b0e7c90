/**
 * The store conformance suite: written once, run against every engine (test/store/sqlite.test.ts,
 * test/store/postgres.test.ts). It covers every verb of the Store interface (src/store/types.ts)
 * through the interface alone, on a real database, so an engine passes only by behaving exactly
 * like the others. Engine-specific checks (EXPLAIN plans, concurrent pools) live in their own files.
 *
 * Each test starts from empty tables (`reset`), so tests never see each other's deliveries in the
 * queue, which is global across tenants.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HooklaneError } from '../../src/domain/errors.js';
import type { Event, Webhook } from '../../src/domain/types.js';
import type { ClaimOptions, Store } from '../../src/store/types.js';
import { waitFor } from '../helpers/wait.js';
import { apiKey, attemptFor, completion, event, tenant, webhook } from './fixtures.js';

export interface ConformanceTarget {
  /** opens a Store on the test database; every call is a separate instance (own connection or pool) */
  open(): Promise<Store>;
  /** empties every table */
  reset(): Promise<void>;
  /** records migration `version` as applied, as a newer hooklane would have */
  recordSchemaVersion(version: number): Promise<void>;
  /** removes that record again */
  forgetSchemaVersion(version: number): Promise<void>;
  /** drops the database (file or schema) */
  destroy(): Promise<void>;
}

/** a fixed clock: ids and times are deterministic, and "due" is what the test says */
const T0 = 1_750_000_000_000;
const T = (s: number) => T0 + s * 1_000;

function claimOpts(workerId: string, now: number, over: Partial<ClaimOptions> = {}): ClaimOptions {
  return {
    workerId,
    limit: 100,
    now,
    leaseMarginMs: 1_000,
    excludeWebhookIds: [],
    perWebhookLimit: 100,
    ...over,
  };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<HooklaneError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HooklaneError);
  expect((err as HooklaneError).code).toBe(code);
  return err as HooklaneError;
}

export function describeStoreConformance(
  name: string,
  setup: () => Promise<ConformanceTarget>,
  opts: { skip?: string } = {},
): void {
  // Skipped only for PostgreSQL without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it.
  describe.skipIf(opts.skip !== undefined)(
    `Store conformance: ${name}${opts.skip ? ` (${opts.skip})` : ''}`,
    () => {
      let target: ConformanceTarget;
      let store: Store;
      let latestVersion = 0;

      beforeAll(async () => {
        target = await setup();
        store = await target.open();
        const first = await store.migrate();
        expect(first.applied.length).toBeGreaterThan(0);
        latestVersion = first.version;
      });
      afterAll(async () => {
        await store?.close();
        await target?.destroy();
      });
      beforeEach(async () => {
        await target.reset();
      });

      /** a tenant with webhooks; returns them by name */
      async function withWebhooks<K extends string>(
        tenantId: string,
        defs: Record<K, Partial<Webhook>>,
      ): Promise<Record<K, Webhook>> {
        if ((await store.tenants.get(tenantId)) === null) await store.tenants.create(tenant(tenantId, T(0)));
        const out = {} as Record<K, Webhook>;
        let i = 0;
        for (const [key, over] of Object.entries(defs) as [K, Partial<Webhook>][]) {
          const w = webhook(tenantId, { created_at: T(0) + i++, ...over });
          await store.webhooks.create(w);
          out[key] = w;
        }
        return out;
      }

      async function ingestOne(e: Event, now: number, onlyWebhookId?: string) {
        const [r] = await store.events.ingest(
          [onlyWebhookId === undefined ? { event: e } : { event: e, onlyWebhookId }],
          now,
        );
        return r!;
      }

      async function deliveriesOf(tenantId: string) {
        return (await store.deliveries.list(tenantId, {}, { limit: 1000 })).data;
      }

      describe('migrate and ping', () => {
        it('migrate again applies nothing, and ping answers', async () => {
          expect(await store.migrate()).toEqual({ applied: [], version: latestVersion });
          await store.ping();
        });

        it('refuses a database migrated by a newer hooklane, and changes nothing', async () => {
          await target.recordSchemaVersion(latestVersion + 1);
          const old = await target.open();
          try {
            await expect(old.migrate()).rejects.toThrow(
              new RegExp(
                `schema is at version ${latestVersion + 1}, newer than this hooklane binary supports \\(version ${latestVersion}\\)`,
              ),
            );
          } finally {
            await old.close();
            await target.forgetSchemaVersion(latestVersion + 1);
          }
          expect(await store.migrate()).toEqual({ applied: [], version: latestVersion });
        });
      });

      describe('tenants', () => {
        it('create, get, update, conflict on an existing id', async () => {
          await store.tenants.create(tenant('acme', T(1)));
          expect(await store.tenants.get('acme')).toEqual(tenant('acme', T(1)));
          expect(await store.tenants.get('nope')).toBeNull();
          await rejectsWith(store.tenants.create(tenant('acme', T(2))), 'conflict');

          const updated = await store.tenants.update(
            'acme',
            { name: 'Acme Inc', metadata: { tier: 2 } },
            T(3),
          );
          expect(updated).toEqual({
            id: 'acme',
            name: 'Acme Inc',
            metadata: { tier: 2 },
            created_at: T(1),
            updated_at: T(3),
          });
          expect(await store.tenants.update('acme', { name: 'Only name' }, T(4))).toMatchObject({
            name: 'Only name',
            metadata: { tier: 2 },
          });
          expect(await store.tenants.update('nope', { name: 'x' }, T(4))).toBeNull();
        });

        it('lists newest first in keyset pages, ties broken by id; a bad cursor is refused', async () => {
          await store.tenants.create(tenant('b', T(2)));
          await store.tenants.create(tenant('a', T(2)));
          await store.tenants.create(tenant('z', T(1)));
          await store.tenants.create(tenant('m', T(3)));
          const p1 = await store.tenants.list({ limit: 2 });
          expect(p1.data.map((t) => t.id)).toEqual(['m', 'b']);
          expect(p1.next).toBe('b');
          const p2 = await store.tenants.list({ limit: 2, before: p1.next });
          expect(p2.data.map((t) => t.id)).toEqual(['a', 'z']);
          expect(p2.next).toBeNull();
          await rejectsWith(store.tenants.list({ limit: 2, before: 'missing' }), 'invalid_cursor');
        });

        it('delete removes the tenant and everything it owns, and nothing of other tenants', async () => {
          const { w } = await withWebhooks('gone', { w: {} });
          const { v } = await withWebhooks('kept', { v: {} });
          await store.apiKeys.create(apiKey('gone', 'secret-gone'));
          await store.apiKeys.create(apiKey('kept', 'secret-kept'));
          const e1 = event('gone', 'user.created', T(1));
          const e2 = event('kept', 'user.created', T(1));
          await store.events.ingest([{ event: e1 }, { event: e2 }], T(1));
          const claimed = await store.queue.claim(claimOpts('w1', T(2)));
          expect(claimed).toHaveLength(2);
          await store.queue.complete(
            'w1',
            claimed.map((c) => completion(c, T(3), 'succeeded')),
            T(3),
          );
          const goneDelivery = claimed.find((c) => c.delivery.tenant_id === 'gone')!.delivery;
          const keptDelivery = claimed.find((c) => c.delivery.tenant_id === 'kept')!.delivery;

          expect(await store.tenants.delete('gone')).toBe(true);
          expect(await store.tenants.delete('gone')).toBe(false);

          expect(await store.tenants.get('gone')).toBeNull();
          expect(await store.webhooks.get('gone', w.id)).toBeNull();
          expect(await store.events.get('gone', e1.id)).toBeNull();
          expect(await store.deliveries.get('gone', goneDelivery.id)).toBeNull();
          expect(await store.deliveries.attempts('gone', goneDelivery.id)).toEqual([]);
          expect(await store.apiKeys.findByHash(apiKey('gone', 'secret-gone').key_hash)).toBeNull();

          expect(await store.tenants.get('kept')).not.toBeNull();
          expect(await store.webhooks.get('kept', v.id)).not.toBeNull();
          expect(await store.events.get('kept', e2.id)).not.toBeNull();
          expect(await store.deliveries.get('kept', keptDelivery.id)).toMatchObject({ status: 'succeeded' });
          expect(await store.deliveries.attempts('kept', keptDelivery.id)).toHaveLength(1);
          expect(await store.apiKeys.findByHash(apiKey('kept', 'secret-kept').key_hash)).not.toBeNull();
        });
      });

      describe('api keys', () => {
        it('create, find by hash, list per tenant and platform-wide, delete scoped, count', async () => {
          await store.tenants.create(tenant('acme'));
          await store.tenants.create(tenant('other'));
          const platform = apiKey(null, 'platform-secret', T(1));
          const k1 = apiKey('acme', 'acme-one', T(2), 'editor');
          const k2 = apiKey('acme', 'acme-two', T(3), 'viewer');
          const k3 = apiKey('acme', 'acme-three', T(4));
          const o1 = apiKey('other', 'other-one', T(5));
          for (const k of [platform, k1, k2, k3, o1]) await store.apiKeys.create(k);
          await rejectsWith(store.apiKeys.create(k1), 'conflict');

          expect(await store.apiKeys.findByHash(k2.key_hash)).toEqual(k2);
          expect(await store.apiKeys.findByHash('0'.repeat(64))).toBeNull();
          expect(await store.apiKeys.countPlatformKeys()).toBe(1);

          const p1 = await store.apiKeys.list('acme', { limit: 2 });
          expect(p1.data.map((k) => k.id)).toEqual([k3.id, k2.id]);
          const p2 = await store.apiKeys.list('acme', { limit: 2, before: p1.next });
          expect(p2).toEqual({ data: [k1], next: null });
          expect((await store.apiKeys.list(null, { limit: 10 })).data).toEqual([platform]);

          expect(await store.apiKeys.delete('other', k1.id)).toBe(false);
          expect(await store.apiKeys.delete(null, k1.id)).toBe(false);
          expect(await store.apiKeys.delete('acme', k1.id)).toBe(true);
          expect(await store.apiKeys.findByHash(k1.key_hash)).toBeNull();
          expect(await store.apiKeys.delete(null, platform.id)).toBe(true);
          expect(await store.apiKeys.countPlatformKeys()).toBe(0);
        });
      });

      describe('event types', () => {
        it('upsert creates then updates; get; list in name order; delete', async () => {
          const created = await store.eventTypes.upsert(
            { name: 'user.created', description: 'a user', schema: { type: 'object' } },
            T(1),
          );
          expect(created).toEqual({
            created: true,
            eventType: {
              name: 'user.created',
              description: 'a user',
              schema: { type: 'object' },
              created_at: T(1),
              updated_at: T(1),
            },
          });
          const updated = await store.eventTypes.upsert(
            { name: 'user.created', description: 'changed', schema: null },
            T(2),
          );
          expect(updated.created).toBe(false);
          expect(updated.eventType).toMatchObject({
            description: 'changed',
            schema: null,
            created_at: T(1),
            updated_at: T(2),
          });
          expect(await store.eventTypes.get('user.created')).toEqual(updated.eventType);
          expect(await store.eventTypes.get('nope')).toBeNull();

          for (const n of ['b.x', 'a.x', 'c.x'])
            await store.eventTypes.upsert({ name: n, description: '', schema: null }, T(3));
          const p1 = await store.eventTypes.list({ limit: 2 });
          expect(p1.data.map((e) => e.name)).toEqual(['a.x', 'b.x']);
          expect(p1.next).toBe('b.x');
          const p2 = await store.eventTypes.list({ limit: 2, after: p1.next });
          expect(p2.data.map((e) => e.name)).toEqual(['c.x', 'user.created']);
          expect(p2.next).toBeNull();

          expect(await store.eventTypes.delete('a.x')).toBe(true);
          expect(await store.eventTypes.delete('a.x')).toBe(false);
        });
      });

      describe('webhooks', () => {
        it('create, get (scoped by tenant), conflict, update, disable, list newest first', async () => {
          const { a, b, c } = await withWebhooks('acme', {
            a: { created_at: T(1) },
            b: { created_at: T(2) },
            c: { created_at: T(3) },
          });
          await store.tenants.create(tenant('other'));
          expect(await store.webhooks.get('acme', a.id)).toEqual(a);
          expect(await store.webhooks.get('other', a.id)).toBeNull();
          await rejectsWith(store.webhooks.create(a), 'conflict');

          const changed: Webhook = {
            ...b,
            url: 'https://example.com/new',
            events: ['invoice.*'],
            headers: { 'x-team': 'billing' },
            paused: true,
            timeout_ms: 5_000,
            rate_limit_per_s: 2.5,
            secrets: [
              { secret: 'whsec_bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3', expires_at: null },
              { secret: b.secrets[0]!.secret, expires_at: T(100) },
            ],
            updated_at: T(4),
            // created_at is immutable: a different value here must be ignored
            created_at: T(99),
          };
          expect(await store.webhooks.update(changed)).toEqual({ ...changed, created_at: b.created_at });
          expect(await store.webhooks.update({ ...changed, id: 'wh_missing' })).toBeNull();

          await store.webhooks.disable('acme', c.id, 'endpoint answered 410 Gone', T(5));
          expect(await store.webhooks.get('acme', c.id)).toMatchObject({
            active: false,
            disabled_reason: 'endpoint answered 410 Gone',
            updated_at: T(5),
          });

          const p1 = await store.webhooks.list('acme', { limit: 2 });
          expect(p1.data.map((w) => w.id)).toEqual([c.id, b.id]);
          const p2 = await store.webhooks.list('acme', { limit: 2, before: p1.next });
          expect(p2.data.map((w) => w.id)).toEqual([a.id]);
          expect(p2.next).toBeNull();
          expect((await store.webhooks.list('other', { limit: 10 })).data).toEqual([]);
        });

        it('delete cancels pending and leased deliveries, not finished ones; a late completion changes nothing', async () => {
          const { w, keep } = await withWebhooks('acme', { w: {}, keep: {} });
          const [done, leased, pending] = [1, 2, 3].map((i) => event('acme', 'user.created', T(i)));
          await ingestOne(done!, T(1));
          const first = await store.queue.claim(claimOpts('w1', T(1), { limit: 2 }));
          await store.queue.complete(
            'w1',
            first.map((c) => completion(c, T(1), 'succeeded')),
            T(1),
          );
          await ingestOne(leased!, T(2));
          const inFlight = (await store.queue.claim(claimOpts('w1', T(2)))).find(
            (c) => c.webhook.id === w.id,
          )!;
          await ingestOne(pending!, T(3));

          expect(await store.webhooks.delete('acme', w.id, T(4))).toBe(true);
          expect(await store.webhooks.delete('acme', w.id, T(4))).toBe(false);
          expect(await store.webhooks.get('acme', w.id)).toBeNull();

          const byStatus = (await deliveriesOf('acme'))
            .filter((d) => d.webhook_id === w.id)
            .map((d) => [d.event_id, d.status, d.lease_owner]);
          expect(byStatus.sort()).toEqual(
            [
              [done!.id, 'succeeded', null],
              [leased!.id, 'cancelled', null],
              [pending!.id, 'cancelled', null],
            ].sort(),
          );
          // the other webhook's deliveries are untouched
          expect(
            (await deliveriesOf('acme')).filter((d) => d.webhook_id === keep.id && d.status === 'cancelled'),
          ).toEqual([]);

          // the worker that held the cancelled delivery finishes: its attempt is kept, the state is not changed
          expect(await store.queue.complete('w1', [completion(inFlight, T(5), 'retry')], T(5))).toBe(0);
          expect(await store.deliveries.get('acme', inFlight.delivery.id)).toMatchObject({
            status: 'cancelled',
          });
          expect(await store.deliveries.attempts('acme', inFlight.delivery.id)).toHaveLength(1);
          // nothing of the deleted webhook is ever claimed again
          const later = await store.queue.claim(claimOpts('w2', T(1_000)));
          expect(later.filter((c) => c.webhook.id === w.id)).toEqual([]);
        });
      });

      describe('events.ingest', () => {
        it('fans out by filter: exact, prefix.*, * ; skips inactive webhooks and other tenants; paused ones still get deliveries', async () => {
          const hooks = await withWebhooks('acme', {
            exact: { events: ['user.created'] },
            prefix: { events: ['user.*'] },
            star: { events: ['*'] },
            other: { events: ['invoice.paid', 'users.*'] },
            inactive: { events: ['*'], active: false, disabled_reason: 'off' },
            paused: { events: ['*'], paused: true },
          });
          await withWebhooks('elsewhere', { theirs: { events: ['*'] } });

          const cases: [string, (keyof typeof hooks)[]][] = [
            ['user.created', ['exact', 'prefix', 'star', 'paused']],
            ['user.email.changed', ['prefix', 'star', 'paused']],
            ['user', ['star', 'paused']],
            ['invoice.paid', ['other', 'star', 'paused']],
          ];
          for (const [type, expected] of cases) {
            const e = event('acme', type, T(1));
            const r = await ingestOne(e, T(1));
            expect(r).toEqual({ event: e, duplicate: false, deliveries: expected.length });
            const got = (await store.deliveries.list('acme', { event_id: e.id }, { limit: 100 })).data;
            expect(got.map((d) => d.webhook_id).sort()).toEqual(expected.map((k) => hooks[k].id).sort());
            for (const d of got) {
              expect(d).toMatchObject({
                tenant_id: 'acme',
                event_id: e.id,
                event_type: type,
                status: 'pending',
                attempts: 0,
                next_attempt_at: T(1),
                lease_owner: null,
                lease_expires_at: null,
                created_at: T(1),
                completed_at: null,
              });
            }
          }
          expect(await deliveriesOf('elsewhere')).toEqual([]);
        });

        it('stores the event exactly as given, raw bytes included', async () => {
          await store.tenants.create(tenant('acme'));
          const e = event('acme', 'github.push', T(1), {
            source_id: 'src_1',
            raw_body: Buffer.from([0, 1, 2, 255, 0x7b]),
            raw_content_type: 'application/octet-stream',
            source_headers: { 'x-github-event': 'push' },
            idempotency_key: 'gh-123',
            // stored and returned as the exact bytes given, never re-serialised
            payload: '{"id":"x", "data":  {"b":1,"a":2}}',
            data: { b: 1, a: 2 },
          });
          await ingestOne(e, T(1));
          expect(await store.events.get('acme', e.id)).toEqual(e);
          expect(await store.events.get('other', e.id)).toBeNull();
        });

        it('is idempotent on id and on idempotency key, across calls and within one batch', async () => {
          const { w } = await withWebhooks('acme', { w: {} });
          await withWebhooks('other', { w: {} });
          const original = event('acme', 'user.created', T(1), { id: 'evt_fixed', idempotency_key: 'k1' });
          expect(await ingestOne(original, T(1))).toMatchObject({ duplicate: false, deliveries: 1 });

          // same id, different content: the stored original comes back
          const sameId = event('acme', 'user.deleted', T(2), {
            id: 'evt_fixed',
            payload: '{"changed":true}',
          });
          expect(await ingestOne(sameId, T(2))).toEqual({ event: original, duplicate: true, deliveries: 0 });
          // different id, same idempotency key
          const sameKey = event('acme', 'user.created', T(3), { idempotency_key: 'k1' });
          expect(await ingestOne(sameKey, T(3))).toEqual({ event: original, duplicate: true, deliveries: 0 });
          // the same id in another tenant is another event
          expect(
            await ingestOne(
              event('other', 'user.created', T(4), { id: 'evt_fixed', idempotency_key: 'k1' }),
              T(4),
            ),
          ).toMatchObject({ duplicate: false, deliveries: 1 });

          // inside one batch: the first input wins, later ones are its duplicates; results in input order
          const a = event('acme', 'user.created', T(5), { id: 'evt_a' });
          const aAgain = event('acme', 'user.created', T(5), { id: 'evt_a', payload: '{"again":1}' });
          const b = event('acme', 'user.created', T(5), { id: 'evt_b', idempotency_key: 'k2' });
          const bByKey = event('acme', 'user.created', T(5), { id: 'evt_c', idempotency_key: 'k2' });
          const c = event('acme', 'user.created', T(5), { id: 'evt_d' });
          const results = await store.events.ingest(
            [
              { event: a },
              { event: aAgain },
              { event: b },
              { event: bByKey },
              { event: original },
              { event: c },
            ],
            T(5),
          );
          expect(results).toEqual([
            { event: a, duplicate: false, deliveries: 1 },
            { event: a, duplicate: true, deliveries: 0 },
            { event: b, duplicate: false, deliveries: 1 },
            { event: b, duplicate: true, deliveries: 0 },
            { event: original, duplicate: true, deliveries: 0 },
            { event: c, duplicate: false, deliveries: 1 },
          ]);
          expect(await store.events.get('acme', 'evt_c')).toBeNull();
          const all = await store.deliveries.list('acme', { webhook_id: w.id }, { limit: 100 });
          expect(all.data.map((d) => d.event_id).sort()).toEqual(['evt_a', 'evt_b', 'evt_d', 'evt_fixed']);
          expect(await store.events.ingest([], T(6))).toEqual([]);
        });

        it('onlyWebhookId delivers to that one webhook whatever the filters say', async () => {
          const { target, other } = await withWebhooks('acme', {
            target: { events: ['invoice.paid'] },
            other: { events: ['*'] },
          });
          const e = event('acme', 'user.created', T(1));
          expect(await ingestOne(e, T(1), target.id)).toMatchObject({ duplicate: false, deliveries: 1 });
          const got = (await store.deliveries.list('acme', { event_id: e.id }, { limit: 10 })).data;
          expect(got.map((d) => d.webhook_id)).toEqual([target.id]);
          expect(got.map((d) => d.webhook_id)).not.toContain(other.id);
          // a webhook that does not exist gets nothing, and the event is still stored
          const e2 = event('acme', 'user.created', T(2));
          expect(await ingestOne(e2, T(2), 'wh_missing')).toMatchObject({ duplicate: false, deliveries: 0 });
          expect(await store.events.get('acme', e2.id)).not.toBeNull();
        });

        it('with a lease, new deliveries come back leased to the worker, within its limits, as a claim would take them', async () => {
          const { a, b, c, excluded, paused } = await withWebhooks('acme', {
            a: { timeout_ms: 2_000 },
            b: {},
            c: {},
            excluded: {},
            paused: { paused: true },
          });
          const lease = {
            workerId: 'w1',
            limit: 4,
            leaseMarginMs: 1_000,
            excludeWebhookIds: [excluded.id],
            perWebhookLimit: 2,
          };
          const e1 = event('acme', 'user.created', T(1));
          const e2 = event('acme', 'user.created', T(1));
          const e3 = event('acme', 'user.created', T(1));
          let wakes = 0;
          const unsubscribe = store.queue.subscribe(() => wakes++);
          let results;
          try {
            results = await store.events.ingest(
              [e1, e2, e3].map((e) => ({ event: e })),
              T(1),
              lease,
            );
            // deliveries were left pending (paused, excluded, over the limits): a wake is due
            await waitFor(() => wakes > 0, { message: 'a wake for the pending deliveries' });
          } finally {
            unsubscribe();
          }
          expect(results.map((r) => r.deliveries)).toEqual([5, 5, 5]);
          const leased = results.flatMap((r) => r.leased ?? []);
          // the limit (4) is reached in the second event: the first leases to a, b and c, the second to one of them; none of the
          // excluded or paused webhook, and no webhook more than perWebhookLimit (2)
          // (which event comes first is the engine's choice: PostgreSQL inserts in key order)
          expect(results.map((r) => r.leased?.length ?? 0).sort()).toEqual([0, 1, 3]);
          const perWebhook = new Map<string, number>();
          for (const l of leased) perWebhook.set(l.webhook.id, (perWebhook.get(l.webhook.id) ?? 0) + 1);
          expect([...perWebhook.keys()].sort()).toEqual([a.id, b.id, c.id].sort());
          expect(Math.max(...perWebhook.values())).toBe(2);
          results.forEach((r) => {
            for (const l of r.leased ?? []) expect(l.event.id).toBe(r.event.id);
          });
          const payloads = new Map([e1, e2, e3].map((e) => [e.id, e.payload]));
          for (const l of leased) {
            expect(l.event).toEqual({
              id: l.delivery.event_id,
              type: 'user.created',
              payload: payloads.get(l.delivery.event_id),
              raw_body: null,
              raw_content_type: null,
              source_id: null,
            });
            expect(l.webhook).toEqual([a, b, c].find((w) => w.id === l.webhook.id));
            const timeout = l.webhook.id === a.id ? 2_000 : b.timeout_ms;
            expect(l.delivery).toMatchObject({
              status: 'delivering',
              attempts: 0,
              lease_owner: 'w1',
              lease_expires_at: T(1) + timeout + 1_000,
              created_at: T(1),
            });
            // stored exactly as returned
            expect(await store.deliveries.get('acme', l.delivery.id)).toEqual(l.delivery);
          }
          // a claim (excluding nothing) takes the rest but the paused webhook's, never a leased one
          const claimed = await store.queue.claim(claimOpts('w2', T(1)));
          expect(claimed).toHaveLength(15 - 4 - 3);
          const leasedIds = new Set(leased.map((l) => l.delivery.id));
          expect(claimed.filter((x) => leasedIds.has(x.delivery.id))).toEqual([]);
          const rest = await store.deliveries.list('acme', { status: 'pending' }, { limit: 100 });
          expect(rest.data.map((d) => d.webhook_id)).toEqual([paused.id, paused.id, paused.id]);
          expect(claimed.filter((x) => x.webhook.id === excluded.id)).toHaveLength(3);
          // a leased delivery completes under its lease like a claimed one
          expect(await store.queue.complete('w1', [completion(leased[0]!, T(2), 'succeeded')], T(2))).toBe(1);
        });

        it('with a lease, a duplicate leases nothing, and an ingest that leases every delivery wakes no one', async () => {
          const { w } = await withWebhooks('acme', { w: {} });
          const lease = {
            workerId: 'w1',
            limit: 10,
            leaseMarginMs: 1_000,
            excludeWebhookIds: [],
            perWebhookLimit: 10,
          };
          const e = event('acme', 'user.created', T(1));
          let wakes = 0;
          const unsubscribe = store.queue.subscribe(() => wakes++);
          try {
            const [first] = await store.events.ingest([{ event: e }], T(1), lease);
            expect(first!.leased?.map((l) => l.webhook.id)).toEqual([w.id]);
            const [again] = await store.events.ingest([{ event: e }], T(1), lease);
            expect(again).toMatchObject({ duplicate: true, deliveries: 0 });
            expect(again!.leased ?? []).toEqual([]);
            // a later ingest that leaves one pending does wake: the listener works
            await store.events.ingest([{ event: event('acme', 'user.created', T(2)) }], T(2));
            await waitFor(() => wakes > 0, { message: 'the wake of the plain ingest' });
            expect(wakes).toBe(1);
          } finally {
            unsubscribe();
          }
          expect(await store.queue.claim(claimOpts('w2', T(2)))).toHaveLength(1);
        });

        it('events.list filters by type, source and [since, until), newest first, in pages', async () => {
          await store.tenants.create(tenant('acme'));
          const evs = [
            event('acme', 'user.created', T(1), { id: 'e1' }),
            event('acme', 'user.deleted', T(2), { id: 'e2' }),
            event('acme', 'user.created', T(3), { id: 'e3', source_id: 'src_a' }),
            event('acme', 'user.created', T(3), { id: 'e4' }),
            event('acme', 'user.created', T(4), { id: 'e5' }),
          ];
          await store.events.ingest(
            evs.map((e) => ({ event: e })),
            T(4),
          );
          const ids = async (
            f: Parameters<Store['events']['list']>[1],
            limit = 100,
            before?: string | null,
          ) => (await store.events.list('acme', f, { limit, before })).data.map((e) => e.id);
          expect(await ids({})).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
          expect(await ids({ type: 'user.created' })).toEqual(['e5', 'e4', 'e3', 'e1']);
          expect(await ids({ source_id: 'src_a' })).toEqual(['e3']);
          expect(await ids({ since: T(2), until: T(4) })).toEqual(['e4', 'e3', 'e2']);
          const p1 = await store.events.list('acme', {}, { limit: 2 });
          expect(p1.next).toBe('e4');
          expect(await ids({}, 2, p1.next)).toEqual(['e3', 'e2']);
          await rejectsWith(store.events.list('acme', {}, { limit: 2, before: 'nope' }), 'invalid_cursor');
          expect(await ids({ type: 'nothing' })).toEqual([]);
        });
      });

      describe('deliveries', () => {
        it('get, list with filters (event, webhook, status) in pages, newest first', async () => {
          const { a, b } = await withWebhooks('acme', { a: {}, b: {} });
          const e1 = event('acme', 'user.created', T(1));
          const e2 = event('acme', 'user.created', T(2));
          await ingestOne(e1, T(1));
          await ingestOne(e2, T(2));
          const all = await deliveriesOf('acme');
          expect(all).toHaveLength(4);
          expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort().reverse());
          expect(await store.deliveries.get('acme', all[0]!.id)).toEqual(all[0]);
          expect(await store.deliveries.get('other', all[0]!.id)).toBeNull();

          const list = async (f: Parameters<Store['deliveries']['list']>[1]) =>
            (await store.deliveries.list('acme', f, { limit: 100 })).data;
          expect((await list({ event_id: e1.id })).map((d) => d.webhook_id).sort()).toEqual(
            [a.id, b.id].sort(),
          );
          expect((await list({ webhook_id: a.id })).map((d) => d.event_id)).toEqual([e2.id, e1.id]);
          const [claimed] = await store.queue.claim(claimOpts('w1', T(3), { limit: 1 }));
          expect((await list({ status: 'delivering' })).map((d) => d.id)).toEqual([claimed!.delivery.id]);
          expect(await list({ status: 'pending' })).toHaveLength(3);
          expect(await list({ webhook_id: b.id, status: 'failed' })).toEqual([]);

          const p1 = await store.deliveries.list('acme', {}, { limit: 3 });
          expect(p1.data).toHaveLength(3);
          const p2 = await store.deliveries.list('acme', {}, { limit: 3, before: p1.next });
          expect(p2.data).toHaveLength(1);
          expect(p2.next).toBeNull();
          expect([...p1.data, ...p2.data].map((d) => d.id)).toEqual(all.map((d) => d.id));
        });

        it('retry takes over a delivery whose lease expired (a dead worker, a paused webhook)', async () => {
          const { w } = await withWebhooks('acme', { w: { timeout_ms: 1_000 } });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [c] = await store.queue.claim(claimOpts('dead', T(1), { leaseMarginMs: 1_000 }));
          await store.webhooks.update({ ...w, paused: true });
          await rejectsWith(store.deliveries.retry('acme', c!.delivery.id, T(3) - 1), 'conflict');
          expect(await store.deliveries.retry('acme', c!.delivery.id, T(3))).toMatchObject({
            status: 'pending',
            lease_owner: null,
            lease_expires_at: null,
            next_attempt_at: T(3),
          });
          // the dead worker's late completion changes nothing
          expect(await store.queue.complete('dead', [completion(c!, T(4), 'failed')], T(4))).toBe(0);
          expect(await store.deliveries.get('acme', c!.delivery.id)).toMatchObject({ status: 'pending' });
        });

        it('retry: finished ones become pending due now; a pending one is made due now; conflict while delivering', async () => {
          await withWebhooks('acme', {
            w: {
              retry_policy: { max_attempts: 1, initial_delay_ms: 1, backoff_multiplier: 1, max_delay_ms: 1 },
            },
          });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [c] = await store.queue.claim(claimOpts('w1', T(1)));
          const id = c!.delivery.id;

          await rejectsWith(store.deliveries.retry('acme', id, T(2)), 'conflict');
          expect(await store.deliveries.get('acme', id)).toMatchObject({
            status: 'delivering',
            lease_owner: 'w1',
          });

          await store.queue.complete('w1', [completion(c!, T(2), 'failed')], T(2));
          const retried = await store.deliveries.retry('acme', id, T(3));
          expect(retried).toMatchObject({
            status: 'pending',
            attempts: 1,
            next_attempt_at: T(3),
            completed_at: null,
            lease_owner: null,
            updated_at: T(3),
          });
          expect(await store.deliveries.get('acme', id)).toEqual(retried);

          // a pending delivery due later is made due now
          const [again] = await store.queue.claim(claimOpts('w2', T(3)));
          await store.queue.complete(
            'w2',
            [completion(again!, T(3), 'retry', { next_attempt_at: T(500) })],
            T(3),
          );
          expect(await store.deliveries.retry('acme', id, T(4))).toMatchObject({
            status: 'pending',
            next_attempt_at: T(4),
            attempts: 2,
          });

          expect(await store.deliveries.retry('acme', 'dlv_missing', T(4))).toBeNull();
          expect(await store.deliveries.retry('other', id, T(4))).toBeNull();
        });

        it('recover: failed deliveries of a webhook created in [since, until) become pending, due now', async () => {
          const { w, other } = await withWebhooks('acme', { w: {}, other: {} });
          for (const s of [1, 2, 3, 4]) await ingestOne(event('acme', 'user.created', T(s)), T(s));
          const claimed = await store.queue.claim(claimOpts('w1', T(5)));
          expect(claimed).toHaveLength(8);
          await store.queue.complete(
            'w1',
            claimed.map((c) => completion(c, T(5), 'failed')),
            T(5),
          );

          expect(await store.deliveries.recover('acme', w.id, T(2), T(4), T(6))).toBe(2);
          const mine = (await store.deliveries.list('acme', { webhook_id: w.id }, { limit: 100 })).data;
          const recovered = mine.filter((d) => d.status === 'pending');
          expect(recovered.map((d) => d.created_at).sort()).toEqual([T(2), T(3)]);
          for (const d of recovered)
            expect(d).toMatchObject({ next_attempt_at: T(6), completed_at: null, attempts: 1 });
          expect(
            mine
              .filter((d) => d.status === 'failed')
              .map((d) => d.created_at)
              .sort(),
          ).toEqual([T(1), T(4)]);
          expect(
            (await store.deliveries.list('acme', { webhook_id: other.id, status: 'failed' }, { limit: 100 }))
              .data,
          ).toHaveLength(4);
          // nothing failed is left in range: recovering again changes nothing
          expect(await store.deliveries.recover('acme', w.id, T(2), T(4), T(7))).toBe(0);
        });
      });

      describe('queue.claim', () => {
        it('claims due deliveries oldest due first, leases them, and returns what a worker needs to send', async () => {
          const { w } = await withWebhooks('acme', { w: { timeout_ms: 7_000 } });
          const e1 = event('acme', 'user.created', T(1));
          const e3 = event('acme', 'user.created', T(3));
          const e2 = event('acme', 'user.created', T(2), {
            raw_body: Buffer.from('raw bytes'),
            raw_content_type: 'text/plain',
            source_id: 'src_9',
          });
          const later = event('acme', 'user.created', T(15));
          await ingestOne(e1, T(1));
          await ingestOne(e3, T(3));
          await ingestOne(e2, T(2));
          await ingestOne(later, T(15));

          const claimed = await store.queue.claim(claimOpts('w1', T(10), { leaseMarginMs: 500 }));
          expect(claimed.map((c) => c.event.id)).toEqual([e1.id, e2.id, e3.id]);
          const second = claimed[1]!;
          expect(second.event).toEqual({
            id: e2.id,
            type: 'user.created',
            payload: e2.payload,
            raw_body: Buffer.from('raw bytes'),
            raw_content_type: 'text/plain',
            source_id: 'src_9',
          });
          expect(second.webhook).toEqual(w);
          expect(second.delivery).toMatchObject({
            status: 'delivering',
            lease_owner: 'w1',
            lease_expires_at: T(10) + 7_000 + 500,
            attempts: 0,
            next_attempt_at: T(2),
            updated_at: T(10),
          });
          expect(await store.deliveries.get('acme', second.delivery.id)).toEqual(second.delivery);
          // nothing else is due yet; the leased rows are not claimable by anyone else
          expect(await store.queue.claim(claimOpts('w2', T(10)))).toEqual([]);
          expect((await store.queue.claim(claimOpts('w2', T(15)))).map((c) => c.event.id)).toEqual([
            later.id,
          ]);
        });

        it("a fan-out's deliveries claimed together share one event object (one copy of the payload)", async () => {
          const { a, b, c } = await withWebhooks('acme', { a: {}, b: {}, c: {} });
          const fanned = event('acme', 'user.created', T(1));
          const single = event('acme', 'user.created', T(2));
          await ingestOne(fanned, T(1));
          await ingestOne(single, T(2));
          const got = await store.queue.claim(claimOpts('w1', T(3)));
          expect(got).toHaveLength(6);
          const ofFanned = got.filter((x) => x.event.id === fanned.id);
          expect(ofFanned.map((x) => x.webhook.id).sort()).toEqual([a.id, b.id, c.id].sort());
          expect(ofFanned[1]!.event).toBe(ofFanned[0]!.event);
          expect(ofFanned[2]!.event).toBe(ofFanned[0]!.event);
          expect(ofFanned[0]!.event.payload).toBe(fanned.payload);
          const ofSingle = got.filter((x) => x.event.id === single.id);
          expect(ofSingle[0]!.event).not.toBe(ofFanned[0]!.event);
          expect(ofSingle[0]!.event.payload).toBe(single.payload);
        });

        it('respects limit, and an empty claim asks for nothing', async () => {
          await withWebhooks('acme', { w: {} });
          await store.events.ingest(
            [1, 2, 3, 4, 5].map((i) => ({ event: event('acme', 'user.created', T(i)) })),
            T(1),
          );
          expect(await store.queue.claim(claimOpts('w1', T(2), { limit: 0 }))).toEqual([]);
          expect(await store.queue.claim(claimOpts('w1', T(2), { limit: 2 }))).toHaveLength(2);
          expect(await store.queue.claim(claimOpts('w1', T(2), { limit: 2 }))).toHaveLength(2);
          expect(await store.queue.claim(claimOpts('w1', T(2), { limit: 2 }))).toHaveLength(1);
          expect(await store.queue.claim(claimOpts('w1', T(2), { limit: 2 }))).toHaveLength(0);
        });

        it('an expired lease makes the delivery claimable again, by another worker', async () => {
          await withWebhooks('acme', { w: { timeout_ms: 1_000 } });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [first] = await store.queue.claim(claimOpts('w1', T(1), { leaseMarginMs: 1_000 }));
          expect(first!.delivery.lease_expires_at).toBe(T(3));
          expect(await store.queue.claim(claimOpts('w2', T(3) - 1))).toEqual([]);
          const [taken] = await store.queue.claim(claimOpts('w2', T(3), { leaseMarginMs: 1_000 }));
          expect(taken!.delivery).toMatchObject({
            id: first!.delivery.id,
            lease_owner: 'w2',
            lease_expires_at: T(5),
            status: 'delivering',
          });
        });

        it('skips excluded webhooks, and paused or inactive ones', async () => {
          const { a, b, paused, disabled } = await withWebhooks('acme', {
            a: {},
            b: {},
            paused: {},
            disabled: {},
          });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          await store.webhooks.update({ ...paused, paused: true, updated_at: T(2) });
          await store.webhooks.disable('acme', disabled.id, 'too many failures', T(2));

          const got = await store.queue.claim(claimOpts('w1', T(3), { excludeWebhookIds: [a.id] }));
          expect(got.map((c) => c.webhook.id)).toEqual([b.id]);
          expect(await store.queue.claim(claimOpts('w1', T(3)))).toHaveLength(1); // a, now that it is not excluded
          expect(await store.queue.claim(claimOpts('w1', T(3)))).toEqual([]);

          // unpausing makes its delivery claimable; the disabled webhook's stays pending
          await store.webhooks.update({ ...paused, paused: false, updated_at: T(4) });
          expect((await store.queue.claim(claimOpts('w1', T(4)))).map((c) => c.webhook.id)).toEqual([
            paused.id,
          ]);
          expect(
            await store.deliveries.list(
              'acme',
              { webhook_id: disabled.id, status: 'pending' },
              { limit: 10 },
            ),
          ).toMatchObject({
            data: [{ status: 'pending' }],
          });
        });

        it('an expired lease of a paused webhook is not reclaimed until it is unpaused', async () => {
          const { w } = await withWebhooks('acme', { w: { timeout_ms: 1_000 } });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          await store.queue.claim(claimOpts('w1', T(1)));
          await store.webhooks.update({ ...w, paused: true });
          expect(await store.queue.claim(claimOpts('w2', T(100)))).toEqual([]);
          await store.webhooks.update({ ...w, paused: false });
          expect(await store.queue.claim(claimOpts('w2', T(100)))).toHaveLength(1);
        });

        // limit 4 (as many claimable webhooks as the claim could serve, 2 each) and limit 6 (fewer: the
        // claim may stop once each has its share) pick the same rows, in the same order, past an
        // excluded webhook's older backlog
        for (const limit of [4, 6]) {
          it(`with limit ${limit}, picks the oldest due of the webhooks it may take, pending and expired leases alike, behind an excluded backlog`, async () => {
            const { dead, a, b } = await withWebhooks('acme', {
              dead: { events: ['dead.*'] },
              a: { events: ['a.*'] },
              b: { events: ['b.*'], timeout_ms: 1_000 },
            });
            const b0 = event('acme', 'b.x', T(0));
            await ingestOne(b0, T(0));
            const [first] = await store.queue.claim(claimOpts('w0', T(3), { leaseMarginMs: 1_000 }));
            expect(first!.delivery.lease_expires_at).toBe(T(5));
            await store.events.ingest(
              [1, 2, 3, 4, 5].map((i) => ({ event: event('acme', 'dead.x', T(1), { id: `evt_dead_${i}` }) })),
              T(1),
            );
            const a2 = event('acme', 'a.x', T(2));
            const b3 = event('acme', 'b.x', T(3));
            const a4 = event('acme', 'a.x', T(4));
            const a6 = event('acme', 'a.x', T(6));
            for (const [e, at] of [
              [a2, 2],
              [b3, 3],
              [a4, 4],
              [a6, 6],
            ] as const)
              await ingestOne(e, T(at));

            const got = await store.queue.claim(
              claimOpts('w1', T(10), { limit, perWebhookLimit: 2, excludeWebhookIds: [dead.id] }),
            );
            // a6 is due too, but a has its 2; b's expired lease (due T(5)) is b's second
            expect(got.map((c) => c.event.id)).toEqual([a2.id, b3.id, a4.id, b0.id]);
            expect(got.map((c) => c.webhook.id)).toEqual([a.id, b.id, a.id, b.id]);
            expect(got.every((c) => c.delivery.lease_owner === 'w1')).toBe(true);
            const rest = await store.queue.claim(claimOpts('w2', T(10)));
            expect(rest.map((c) => c.webhook.id)).toEqual([
              dead.id,
              dead.id,
              dead.id,
              dead.id,
              dead.id,
              a.id,
            ]);
            expect(rest[5]!.event.id).toBe(a6.id);
          });
        }

        it('takes at most perWebhookLimit deliveries of one webhook per claim', async () => {
          const { a, b } = await withWebhooks('acme', { a: { events: ['a.*'] }, b: { events: ['b.*'] } });
          // a's backlog is older: without the cap it would fill the whole batch
          await store.events.ingest(
            [1, 2, 3, 4, 5].map((i) => ({ event: event('acme', 'a.x', T(i)) })),
            T(1),
          );
          await store.events.ingest(
            [1, 2, 3].map((i) => ({ event: event('acme', 'b.x', T(i)) })),
            T(2),
          );
          const got = await store.queue.claim(claimOpts('w1', T(3), { limit: 4, perWebhookLimit: 2 }));
          const per = (id: string) => got.filter((c) => c.webhook.id === id).length;
          expect(got).toHaveLength(4);
          expect([per(a.id), per(b.id)]).toEqual([2, 2]);
        });
      });

      describe('queue.complete', () => {
        it('succeeded, retry and failed move the delivery and record the attempt', async () => {
          await withWebhooks('acme', { w: {} });
          await store.events.ingest(
            [1, 2, 3].map((i) => ({ event: event('acme', 'user.created', T(i)) })),
            T(1),
          );
          const [s, r, f] = await store.queue.claim(claimOpts('w1', T(2)));
          const attempts = [
            completion(s!, T(3), 'succeeded'),
            completion(r!, T(3), 'retry', { next_attempt_at: T(60) }),
            completion(f!, T(3), 'failed'),
          ];
          expect(await store.queue.complete('w1', attempts, T(4))).toBe(3);

          expect(await store.deliveries.get('acme', s!.delivery.id)).toMatchObject({
            status: 'succeeded',
            attempts: 1,
            lease_owner: null,
            lease_expires_at: null,
            last_status_code: 200,
            last_error: null,
            completed_at: T(4),
            updated_at: T(4),
          });
          expect(await store.deliveries.get('acme', r!.delivery.id)).toMatchObject({
            status: 'pending',
            attempts: 1,
            next_attempt_at: T(60),
            last_status_code: 503,
            lease_owner: null,
            completed_at: null,
          });
          expect(await store.deliveries.get('acme', f!.delivery.id)).toMatchObject({
            status: 'failed',
            attempts: 1,
            completed_at: T(4),
          });
          expect(await store.deliveries.attempts('acme', s!.delivery.id)).toEqual([attempts[0]!.attempt]);

          // the retry is claimable once due, and its next attempt is number 2, listed after the first
          expect(await store.queue.claim(claimOpts('w1', T(59)))).toEqual([]);
          const [again] = await store.queue.claim(claimOpts('w1', T(60)));
          expect(again!.delivery.attempts).toBe(1);
          const second = completion(again!, T(61), 'succeeded');
          expect(second.attempt.attempt_number).toBe(2);
          await store.queue.complete('w1', [second], T(61));
          expect(
            (await store.deliveries.attempts('acme', r!.delivery.id)).map((a) => a.attempt_number),
          ).toEqual([1, 2]);
          expect(await store.deliveries.get('acme', r!.delivery.id)).toMatchObject({
            status: 'succeeded',
            attempts: 2,
          });
          expect(await store.queue.complete('w1', [], T(62))).toBe(0);
        });

        it('stores attempts exactly: headers, errors, fractional durations rounded to whole ms', async () => {
          await withWebhooks('acme', { w: {} });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [c] = await store.queue.claim(claimOpts('w1', T(1)));
          const done = completion(c!, T(2), 'retry');
          done.attempt = { ...attemptFor(c!, T(2), null), duration_ms: 12.6 };
          await store.queue.complete('w1', [done], T(2));
          expect(await store.deliveries.attempts('acme', c!.delivery.id)).toEqual([
            { ...done.attempt, duration_ms: 13 },
          ]);
          expect(await store.deliveries.get('acme', c!.delivery.id)).toMatchObject({
            last_status_code: null,
            last_error: 'connect ECONNREFUSED',
          });
        });

        it('a worker whose lease was taken over changes nothing, but its attempt is recorded', async () => {
          await withWebhooks('acme', { w: { timeout_ms: 1_000 } });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [stale] = await store.queue.claim(claimOpts('slow', T(1)));
          const [fresh] = await store.queue.claim(claimOpts('fast', T(10)));
          expect(fresh!.delivery.id).toBe(stale!.delivery.id);

          const late = completion(stale!, T(11), 'failed');
          expect(await store.queue.complete('slow', [late], T(11))).toBe(0);
          expect(await store.deliveries.get('acme', fresh!.delivery.id)).toMatchObject({
            status: 'delivering',
            lease_owner: 'fast',
            attempts: 0,
          });
          // a release by the stale worker changes nothing either
          await store.queue.release('slow', [{ tenant_id: 'acme', id: stale!.delivery.id }], T(11));
          expect(await store.deliveries.get('acme', fresh!.delivery.id)).toMatchObject({
            lease_owner: 'fast',
          });

          const ok = completion(fresh!, T(12), 'succeeded');
          expect(await store.queue.complete('fast', [ok], T(12))).toBe(1);
          expect(await store.deliveries.get('acme', fresh!.delivery.id)).toMatchObject({
            status: 'succeeded',
            attempts: 1,
          });
          expect(
            (await store.deliveries.attempts('acme', fresh!.delivery.id)).map((a) => a.id).sort(),
          ).toEqual([late.attempt.id, ok.attempt.id].sort());
          // completing twice changes nothing the second time
          expect(await store.queue.complete('fast', [completion(fresh!, T(13), 'failed')], T(13))).toBe(0);
          expect(await store.deliveries.get('acme', fresh!.delivery.id)).toMatchObject({
            status: 'succeeded',
          });
        });

        it('410 Gone disables the webhook in the same write, keeping the first reason', async () => {
          const { w } = await withWebhooks('acme', { w: {} });
          await store.events.ingest(
            [1, 2].map((i) => ({ event: event('acme', 'user.created', T(i)) })),
            T(1),
          );
          const [c1, c2] = await store.queue.claim(claimOpts('w1', T(2)));
          await store.queue.complete(
            'w1',
            [completion(c1!, T(3), 'failed', { disable_webhook_reason: 'endpoint answered 410 Gone' })],
            T(3),
          );
          expect(await store.webhooks.get('acme', w.id)).toMatchObject({
            active: false,
            disabled_reason: 'endpoint answered 410 Gone',
            updated_at: T(3),
          });
          await store.queue.complete(
            'w1',
            [completion(c2!, T(4), 'failed', { disable_webhook_reason: 'second reason' })],
            T(4),
          );
          expect(await store.webhooks.get('acme', w.id)).toMatchObject({
            disabled_reason: 'endpoint answered 410 Gone',
          });
          // a disabled webhook gets no new deliveries
          expect(await ingestOne(event('acme', 'user.created', T(5)), T(5))).toMatchObject({ deliveries: 0 });
        });

        it('writing the same completions twice (a lost commit acknowledgement) records each attempt once', async () => {
          await withWebhooks('acme', { w: {} });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [c] = await store.queue.claim(claimOpts('w1', T(1)));
          const done = [completion(c!, T(2), 'succeeded')];
          expect(await store.queue.complete('w1', done, T(2))).toBe(1);
          expect(await store.queue.complete('w1', done, T(2))).toBe(0);
          expect(await store.deliveries.attempts('acme', c!.delivery.id)).toEqual([done[0]!.attempt]);
          expect(await store.deliveries.get('acme', c!.delivery.id)).toMatchObject({
            status: 'succeeded',
            attempts: 1,
          });
        });

        it('a retry without next_attempt_at is refused and changes nothing', async () => {
          await withWebhooks('acme', { w: {} });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [c] = await store.queue.claim(claimOpts('w1', T(1)));
          const bad = completion(c!, T(2), 'retry');
          delete bad.next_attempt_at;
          await expect(store.queue.complete('w1', [bad], T(2))).rejects.toThrow(/next_attempt_at/);
          expect(await store.deliveries.get('acme', c!.delivery.id)).toMatchObject({ status: 'delivering' });
          expect(await store.deliveries.attempts('acme', c!.delivery.id)).toEqual([]);
        });
      });

      describe('queue.release, nextDueAt, depth, subscribe', () => {
        it('release gives unstarted claims back at their old due time', async () => {
          await withWebhooks('acme', { w: {} });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [c] = await store.queue.claim(claimOpts('w1', T(5)));
          await store.queue.release('w1', [{ tenant_id: 'acme', id: c!.delivery.id }], T(6));
          expect(await store.deliveries.get('acme', c!.delivery.id)).toMatchObject({
            status: 'pending',
            next_attempt_at: T(1),
            lease_owner: null,
            lease_expires_at: null,
            attempts: 0,
          });
          await store.queue.release('w1', [], T(6));
          const [again] = await store.queue.claim(claimOpts('w2', T(6)));
          expect(again!.delivery.id).toBe(c!.delivery.id);
        });

        it('nextDueAt is the earliest pending delivery of a sendable webhook', async () => {
          expect(await store.queue.nextDueAt()).toBeNull();
          const { paused } = await withWebhooks('acme', {
            w: { events: ['w.*'] },
            paused: { events: ['p.*'], paused: true },
          });
          await ingestOne(event('acme', 'p.x', T(1)), T(1));
          expect(await store.queue.nextDueAt()).toBeNull();
          await ingestOne(event('acme', 'w.x', T(5)), T(5));
          await ingestOne(event('acme', 'w.x', T(3)), T(3));
          expect(await store.queue.nextDueAt()).toBe(T(3));
          await store.webhooks.update({ ...paused, paused: false });
          expect(await store.queue.nextDueAt()).toBe(T(1));
        });

        it('nextDueAt includes the expiry of a lease (crash recovery is on time)', async () => {
          await withWebhooks('acme', { w: { timeout_ms: 2_000 } });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          await store.queue.claim(claimOpts('w1', T(1), { leaseMarginMs: 1_000 }));
          expect(await store.queue.nextDueAt()).toBe(T(4));
          await ingestOne(event('acme', 'user.created', T(2)), T(2));
          expect(await store.queue.nextDueAt()).toBe(T(2));
        });

        it('depth counts pending, due and delivering deliveries', async () => {
          expect(await store.queue.depth(T(0))).toEqual({
            pending: 0,
            due: 0,
            oldest_due_at: null,
            delivering: 0,
          });
          await withWebhooks('acme', { w: {} });
          for (const s of [1, 2, 3, 10]) await ingestOne(event('acme', 'user.created', T(s)), T(s));
          await store.queue.claim(claimOpts('w1', T(1)));
          expect(await store.queue.depth(T(5))).toEqual({
            pending: 3,
            due: 2,
            oldest_due_at: T(2),
            delivering: 1,
          });
        });

        it('subscribe: listeners are woken after an ingest that created deliveries, until unsubscribed', async () => {
          await withWebhooks('acme', { w: { events: ['user.*'] } });
          let wakes = 0;
          const unsubscribe = store.queue.subscribe(() => wakes++);
          try {
            const before = wakes;
            await ingestOne(event('acme', 'user.created', T(1)), T(1));
            await waitFor(() => wakes > before, { message: 'a wake after ingest' });
          } finally {
            unsubscribe();
          }
          const after = wakes;
          await ingestOne(event('acme', 'user.created', T(2)), T(2));
          // the other store instance below proves delivery of cross-process wakes; here we only
          // check that an unsubscribed listener is no longer called by this store's own commits
          expect(wakes).toBe(after);
        });

        it('subscribe wakes after retry and recover made work due', async () => {
          await withWebhooks('acme', { w: {} });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const [c] = await store.queue.claim(claimOpts('w1', T(1)));
          await store.queue.complete('w1', [completion(c!, T(2), 'failed')], T(2));
          let wakes = 0;
          const unsubscribe = store.queue.subscribe(() => wakes++);
          try {
            await store.deliveries.retry('acme', c!.delivery.id, T(3));
            await waitFor(() => wakes > 0, { message: 'a wake after retry' });
          } finally {
            unsubscribe();
          }
        });

        /**
         * Counts the wakes of a store instance's own commits. On PostgreSQL a store's first subscriber
         * is also woken once its LISTEN connection is up: a fresh instance is used, past that wake
         * (opened after the test's setup, it hears none of the setup's notifications). Own commits
         * wake before the write returns (the SQLite thread: before its reply), so "no wake" can be
         * checked right after a write.
         */
        async function countingWakes(): Promise<{
          s: Store;
          wakes: () => number;
          done: () => Promise<void>;
        }> {
          const listens = store.capabilities.supportsListen;
          const s = listens ? await target.open() : store;
          let wakes = 0;
          const unsubscribe = s.queue.subscribe(() => wakes++);
          if (listens) await waitFor(() => wakes > 0, { message: 'the LISTEN connection' });
          return {
            s,
            wakes: () => wakes,
            done: async () => {
              unsubscribe();
              if (s !== store) await s.close();
            },
          };
        }

        it("an ingest whose only pending deliveries are a paused webhook's wakes no one", async () => {
          await withWebhooks('acme', {
            paused: { events: ['user.*'], paused: true },
            live: { events: ['order.*'] },
          });
          const { s, wakes, done } = await countingWakes();
          try {
            const before = wakes();
            const [r] = await s.events.ingest([{ event: event('acme', 'user.created', T(1)) }], T(1));
            expect(r!.deliveries).toBe(1);
            // a NOTIFY (PostgreSQL) would have come back by now
            await new Promise((resolve) => setTimeout(resolve, 300));
            expect(wakes(), "a paused webhook's new delivery").toBe(before);
            expect(await s.queue.claim(claimOpts('w1', T(2)))).toEqual([]);

            await s.events.ingest([{ event: event('acme', 'order.created', T(2)) }], T(2));
            await waitFor(() => wakes() > before, { message: "a wake for the live webhook's delivery" });
          } finally {
            await done();
          }
        });

        it('subscribe wakes after an update that resumes a paused webhook, not after other updates', async () => {
          const { w } = await withWebhooks('acme', { w: { paused: true } });
          // its backlog: kept while paused, claimable once resumed
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const { s, wakes, done } = await countingWakes();
          try {
            expect(await s.queue.claim(claimOpts('w1', T(2)))).toEqual([]);

            let before = wakes();
            const renamed: Webhook = { ...w, description: 'still paused', updated_at: T(2) };
            await s.webhooks.update(renamed);
            expect(wakes(), 'an update that keeps it paused').toBe(before);

            const resumed: Webhook = { ...renamed, paused: false, updated_at: T(3) };
            expect(await s.webhooks.update(resumed)).toEqual(resumed);
            await waitFor(() => wakes() > before, { message: 'a wake after resume' });

            before = wakes();
            // what `hooklane listen` does to mark its webhook alive: it was claimable already
            await s.webhooks.update({ ...resumed, updated_at: T(4) });
            await s.webhooks.update({ ...resumed, paused: true, updated_at: T(5) });
            expect(wakes(), 'an update of a claimable webhook, and pausing it').toBe(before);
            expect(await s.queue.claim(claimOpts('w1', T(5)))).toEqual([]);
          } finally {
            await done();
          }
        });

        it('subscribe wakes after an update that re-enables a disabled webhook, unless it stays paused', async () => {
          const { w } = await withWebhooks('acme', { w: {} });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          const { s, wakes, done } = await countingWakes();
          try {
            await s.webhooks.disable('acme', w.id, 'endpoint answered 410 Gone', T(2));
            const disabled = (await s.webhooks.get('acme', w.id))!;
            expect(await s.queue.claim(claimOpts('w1', T(2)))).toEqual([]);

            const before = wakes();
            const enabledPaused = { ...disabled, active: true, paused: true, disabled_reason: null };
            await s.webhooks.update({ ...enabledPaused, updated_at: T(3) });
            await s.webhooks.update({ ...disabled, updated_at: T(4) });
            expect(wakes(), 're-enabled but paused, then disabled again').toBe(before);

            await s.webhooks.update({ ...disabled, active: true, disabled_reason: null, updated_at: T(5) });
            await waitFor(() => wakes() > before, { message: 'a wake after re-enabling' });
            expect(await s.queue.claim(claimOpts('w1', T(5)))).toHaveLength(1);
          } finally {
            await done();
          }
        });

        it('with supportsListen, resuming a webhook in one store instance wakes another', async (ctx) => {
          if (!store.capabilities.supportsListen) {
            // Skipped on SQLite: one process owns the file, so there is no other instance to wake.
            ctx.skip();
            return;
          }
          const { w } = await withWebhooks('acme', { w: { paused: true } });
          await ingestOne(event('acme', 'user.created', T(1)), T(1));
          // opened after the ingest: it cannot hear that commit's notification
          const other = await target.open();
          try {
            let wakes = 0;
            const unsubscribe = other.queue.subscribe(() => wakes++);
            // the first wake comes when its LISTEN connection is up; only then can notifications arrive
            await waitFor(() => wakes > 0, { message: 'the LISTEN connection' });
            const before = wakes;
            await store.webhooks.update({ ...w, paused: false, updated_at: T(2) });
            await waitFor(() => wakes > before, { message: 'a wake from the other instance' });
            unsubscribe();
          } finally {
            await other.close();
          }
        });

        it('with supportsListen, a commit in one store instance wakes another', async (ctx) => {
          if (!store.capabilities.supportsListen) {
            // Skipped on SQLite: one process owns the file, so there is no other instance to wake.
            ctx.skip();
            return;
          }
          const other = await target.open();
          try {
            let wakes = 0;
            const unsubscribe = other.queue.subscribe(() => wakes++);
            await withWebhooks('acme', { w: {} });
            // the first wake comes when its LISTEN connection is up; only then can notifications arrive
            await waitFor(() => wakes > 0, { message: 'the LISTEN connection' });
            const before = wakes;
            await ingestOne(event('acme', 'user.created', T(1)), T(1));
            await waitFor(() => wakes > before, { message: 'a wake from the other instance' });
            unsubscribe();
          } finally {
            await other.close();
          }
        });
      });
    },
  );
}
