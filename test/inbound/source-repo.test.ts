/**
 * The sources repo on both engines: the same assertions on a SQLite file and on a fresh PostgreSQL
 * schema (skipped, saying why, when HOOKLANE_TEST_DATABASE_URL is not set).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, newToken } from '../../src/domain/ids.js';
import type { Source, SourceRequest } from '../../src/domain/types.js';
import { hashToken } from '../../src/inbound/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { freshPgSchema, PG_SKIP_REASON, PG_TEST_URL } from '../helpers/pg.js';
import { event } from '../store/fixtures.js';

interface Engine {
  name: string;
  skip?: string;
  open: () => Promise<{ store: Store; destroy: () => Promise<void> }>;
}

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hl-src-'));
      const store = await openSqliteStore({ path: join(dir, 'hl.db'), synchronous: 'NORMAL' });
      return {
        store,
        destroy: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    ...(PG_TEST_URL === undefined ? { skip: PG_SKIP_REASON } : {}),
    open: async () => {
      const pg = await freshPgSchema();
      const store = await openPostgresStore({ url: pg.url, poolSize: 3, schema: pg.schema });
      return {
        store,
        destroy: async () => {
          await store.close();
          await pg.drop();
        },
      };
    },
  },
];

const T0 = Date.parse('2026-11-22T12:00:00.000Z');

function aSource(tenant: string, at: number, patch: Partial<Source> = {}): Source {
  return {
    id: newId('source', at),
    tenant_id: tenant,
    name: 'src',
    token: newToken(),
    active: true,
    verification: { type: 'stripe', secret: 'whsec_abc' },
    previous_secrets: [],
    tolerance_s: 300,
    event_type: { from_json_pointer: '/type', prefix: 'stripe.' },
    id_from: { json_pointer: '/id' },
    dedupe_window_s: 86400,
    rate_limit_per_s: 2.5,
    max_body_bytes: 1024,
    schema: { type: 'object' },
    created_at: at,
    updated_at: at,
    ...patch,
  };
}

function aRequest(s: Source, at: number, status: number): SourceRequest {
  return {
    tenant_id: s.tenant_id,
    id: newId('request', at),
    source_id: s.id,
    received_at: at,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': '[redacted]' },
    content_type: 'application/json',
    body_bytes: 2,
    body_excerpt: '{}',
    status,
    outcome: status === 200 ? 'accepted' : 'rejected',
    reason: status === 200 ? null : 'signature_invalid: verification failed: invalid_signature',
    event_id: status === 200 ? 'evt_x' : null,
  };
}

for (const engine of ENGINES) {
  // Skipped only for PostgreSQL without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it.
  describe.skipIf(engine.skip !== undefined)(
    `sources repo on ${engine.name}${engine.skip ? ` (${engine.skip})` : ''}`,
    () => {
      let store: Store;
      let destroy: () => Promise<void>;

      beforeAll(async () => {
        ({ store, destroy } = await engine.open());
        await store.migrate();
        for (const id of ['acme', 'other']) {
          await store.tenants.create({ id, name: id, metadata: {}, created_at: T0, updated_at: T0 });
        }
      });
      afterAll(async () => destroy?.());

      it('creates, reads back every field, lists newest first, updates and deletes', async () => {
        const a = aSource('acme', T0);
        const b = aSource('acme', T0 + 1, {
          verification: { type: 'none' },
          event_type: null,
          id_from: null,
          schema: null,
          rate_limit_per_s: null,
        });
        await store.sources.create(a, hashToken(a.token));
        await store.sources.create(b, hashToken(b.token));
        await expect(store.sources.create(a, hashToken(newToken()))).rejects.toMatchObject({
          code: 'conflict',
        });
        expect(await store.sources.get('acme', a.id)).toEqual(a);
        expect(await store.sources.get('acme', b.id)).toEqual(b);
        expect(await store.sources.get('other', a.id)).toBeNull();

        const p1 = await store.sources.list('acme', { limit: 1 });
        expect(p1.data.map((s) => s.id)).toEqual([b.id]);
        const p2 = await store.sources.list('acme', { limit: 1, before: p1.next });
        expect(p2.data.map((s) => s.id)).toEqual([a.id]);
        expect((await store.sources.list('other', { limit: 10 })).data).toEqual([]);

        const changed = {
          ...a,
          name: 'renamed',
          active: false,
          token: 'ignored',
          previous_secrets: [{ secret: 'whsec_old', expires_at: T0 + 1000 }],
          updated_at: T0 + 5,
        };
        const saved = await store.sources.update(changed);
        expect(saved).toEqual({ ...changed, token: a.token });
        expect(await store.sources.update({ ...a, id: 'src_missing' })).toBeNull();

        expect(await store.sources.delete('acme', b.id)).toBe(true);
        expect(await store.sources.delete('acme', b.id)).toBe(false);
        expect(await store.sources.findByTokenHash(hashToken(b.token), T0)).toBeNull();
      });

      it('routes tokens by hash, and rotates with and without grace', async () => {
        const s = aSource('acme', T0 + 10);
        await store.sources.create(s, hashToken(s.token));
        expect((await store.sources.findByTokenHash(hashToken(s.token), T0))?.source.id).toBe(s.id);
        expect(await store.sources.findByTokenHash(hashToken('unknown'), T0)).toBeNull();

        const t2 = newToken();
        const rotated = await store.sources.rotateToken('acme', s.id, t2, hashToken(t2), T0 + 60_000, T0);
        expect(rotated?.token).toBe(t2);
        expect(await store.sources.findByTokenHash(hashToken(s.token), T0 + 59_999)).toMatchObject({
          expires_at: T0 + 60_000,
        });
        expect(await store.sources.findByTokenHash(hashToken(s.token), T0 + 60_000)).toBeNull();
        expect(await store.sources.findByTokenHash(hashToken(t2), T0 + 1e9)).toMatchObject({
          expires_at: null,
        });

        const t3 = newToken();
        await store.sources.rotateToken('acme', s.id, t3, hashToken(t3), T0, T0);
        expect(await store.sources.findByTokenHash(hashToken(t2), T0)).toBeNull();
        expect(await store.sources.findByTokenHash(hashToken(s.token), T0)).toBeNull();
        expect((await store.sources.findByTokenHash(hashToken(t3), T0))?.source.token).toBe(t3);
        expect(
          await store.sources.rotateToken('acme', 'src_missing', 'x', hashToken('x'), T0, T0),
        ).toBeNull();
      });

      it('claims dedupe keys in batches, atomically, honouring expiry, and prunes', async () => {
        const s = aSource('acme', T0 + 20);
        await store.sources.create(s, hashToken(s.token));
        const claim = (key: string, event_id: string, expires_at: number) => ({
          tenant_id: 'acme',
          source_id: s.id,
          key,
          event_id,
          expires_at,
        });
        // the same key several times in one batch, and in concurrent batches: one winner
        const batches = await Promise.all(
          Array.from({ length: 8 }, (_, b) =>
            store.sources.claimDedupeKeys(
              [
                claim('id:d1', `evt_${b}_a`, T0 + 1000),
                claim('id:x', `evt_${b}_x`, T0 + 1000),
                claim('id:d1', `evt_${b}_b`, T0 + 1000),
              ],
              T0,
            ),
          ),
        );
        const winners = new Set(batches.flatMap((r) => [r[0], r[2]]));
        expect(winners.size).toBe(1);
        expect(new Set(batches.map((r) => r[1])).size).toBe(1);
        const [d1] = [...winners];
        expect(
          await store.sources.claimDedupeKeys([claim('id:d1', 'evt_late', T0 + 2000)], T0 + 999),
        ).toEqual([d1]);
        // expired: the next claim takes the key over
        expect(
          await store.sources.claimDedupeKeys(
            [claim('id:d1', 'evt_new', T0 + 3000), claim('id:d2', 'evt_d2', T0 + 10)],
            T0 + 1000,
          ),
        ).toEqual(['evt_new', 'evt_d2']);
        expect(await store.sources.prune(T0 + 100)).toBeGreaterThanOrEqual(1);
        expect(await store.sources.claimDedupeKeys([claim('id:d2', 'evt_d2b', T0 + 200)], T0 + 100)).toEqual([
          'evt_d2b',
        ]);
        expect(await store.sources.claimDedupeKeys([claim('id:d1', 'evt_x', T0 + 3000)], T0 + 100)).toEqual([
          'evt_new',
        ]);
        expect(await store.sources.claimDedupeKeys([], T0)).toEqual([]);
        // more claims than one statement holds
        const many = Array.from({ length: 1200 }, (_, i) => claim(`id:m${i % 900}`, `evt_m${i}`, T0 + 5000));
        const ids = await store.sources.claimDedupeKeys(many, T0 + 100);
        ids.forEach((id, i) => expect(id).toBe(`evt_m${i % 900}`));
      });

      it('events.ingest with a dedupe key claims it with the event: a replay is a duplicate of the stored event', async () => {
        const s = aSource('acme', T0 + 40);
        await store.sources.create(s, hashToken(s.token));
        const at = T0 + 50;
        const inbound = (key: string, expires = at + 60_000) => ({
          event: event('acme', 'stripe.charge', at, { source_id: s.id }),
          dedupe: { key, expires_at: expires },
        });
        // copies in one batch and across concurrent batches: one stored event
        const first = inbound('id:e1');
        const batches = await Promise.all([
          store.events.ingest([first, inbound('id:e1')], at),
          store.events.ingest([inbound('id:e1'), inbound('id:e2')], at),
        ]);
        const e1 = batches.flat().filter((r, i) => i !== 3);
        const storedE1 = e1.filter((r) => !r.duplicate && r.rekeyTo === undefined);
        // PostgreSQL may answer a copy in the batch that lost the race with rekeyTo (the winner's
        // event not yet stored when it looked); whoever re-ingests under that id gets a duplicate
        for (const r of e1.filter((x) => x.rekeyTo !== undefined)) {
          const [again] = await store.events.ingest(
            [{ event: event('acme', 'stripe.charge', at, { id: r.rekeyTo!, source_id: s.id }) }],
            at,
          );
          expect(again!.duplicate).toBe(true);
        }
        expect(storedE1).toHaveLength(1);
        const originalId = storedE1[0]!.event.id;
        for (const r of e1.filter((x) => x.duplicate)) expect(r.event.id).toBe(originalId);
        expect(batches[1]![1]).toMatchObject({ duplicate: false });
        // a later replay, in its own batch: the original comes back
        const [replay] = await store.events.ingest([inbound('id:e1')], at + 1);
        expect(replay).toMatchObject({ duplicate: true, deliveries: 0 });
        expect(replay!.event.id).toBe(originalId);
        expect((await store.events.list('acme', { source_id: s.id }, { limit: 10 })).data).toHaveLength(2);
        // a key on record for an event that was never stored (its request died in between): rekeyTo
        await store.sources.claimDedupeKeys(
          [
            {
              tenant_id: 'acme',
              source_id: s.id,
              key: 'id:lost',
              event_id: 'evt_lost',
              expires_at: at + 60_000,
            },
          ],
          at,
        );
        const lost = inbound('id:lost');
        const [r] = await store.events.ingest([lost], at);
        expect(r).toMatchObject({ duplicate: false, deliveries: 0, rekeyTo: 'evt_lost' });
        expect(await store.events.get('acme', lost.event.id)).toBeNull();
        // an expired claim is taken over by the next event
        const [taken] = await store.events.ingest([inbound('id:e2', at + 2)], at + 60_001);
        expect(taken).toMatchObject({ duplicate: false });
      });

      it('appends request logs in batches and pages them newest first, per source', async () => {
        const s = aSource('acme', T0 + 30);
        const other = aSource('acme', T0 + 31);
        await store.sources.create(s, hashToken(s.token));
        await store.sources.create(other, hashToken(other.token));
        const rows = Array.from({ length: 1200 }, (_, i) =>
          aRequest(i % 2 === 0 ? s : other, T0 + i, i % 3 === 0 ? 401 : 200),
        );
        await store.sources.logRequests(rows);
        const mine = rows.filter((r) => r.source_id === s.id).sort((x, y) => (x.id < y.id ? 1 : -1));
        const seen: SourceRequest[] = [];
        let before: string | null = null;
        do {
          const page = await store.sources.requests('acme', s.id, { limit: 250, before });
          seen.push(...page.data);
          before = page.next;
        } while (before !== null);
        expect(seen).toEqual(mine);
        // a binary body's excerpt is storable on both engines (PostgreSQL TEXT refuses NUL)
        const binary = { ...aRequest(s, T0 + 5000, 401), body_excerpt: 'a\u0000b' };
        await store.sources.logRequests([binary]);
        const [stored] = (await store.sources.requests('acme', s.id, { limit: 1 })).data;
        expect(stored).toEqual({ ...binary, body_excerpt: 'a\uFFFDb' });
        // deleting the source takes its log with it
        await store.sources.delete('acme', s.id);
        expect((await store.sources.requests('acme', s.id, { limit: 10 })).data).toEqual([]);
        await expect(store.sources.logRequests([aRequest(s, T0, 200)])).rejects.toThrow();
      });

      it('deleting the tenant removes its sources and their routes', async () => {
        const s = aSource('other', T0 + 40);
        await store.sources.create(s, hashToken(s.token));
        await store.sources.logRequests([aRequest(s, T0, 200)]);
        await store.sources.claimDedupeKeys(
          [{ tenant_id: 'other', source_id: s.id, key: 'k', event_id: 'evt', expires_at: T0 + 1000 }],
          T0,
        );
        expect(await store.tenants.delete('other')).toBe(true);
        expect(await store.sources.findByTokenHash(hashToken(s.token), T0)).toBeNull();
        expect(await store.sources.get('other', s.id)).toBeNull();
      });
    },
  );
}
