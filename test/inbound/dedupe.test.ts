/**
 * Group-committed dedupe claims on a real SQLite store: claims made in one event-loop turn share a
 * statement, copies of one key get one event id, and one claim that cannot be stored (its source
 * deleted a moment ago) fails alone instead of failing its neighbours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId, newToken } from '../../src/domain/ids.js';
import type { Source } from '../../src/domain/types.js';
import { DedupeClaims } from '../../src/inbound/dedupe.js';
import { hashToken } from '../../src/inbound/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { DedupeClaim, Store } from '../../src/store/types.js';

const T0 = Date.parse('2026-11-22T12:00:00.000Z');
let dir: string;
let store: Store;
let statements = 0;

function source(id: string): Source {
  return {
    id,
    tenant_id: 'acme',
    name: id,
    token: newToken(),
    active: true,
    verification: { type: 'none' },
    previous_secrets: [],
    tolerance_s: 300,
    event_type: null,
    id_from: null,
    dedupe_window_s: 60,
    rate_limit_per_s: null,
    max_body_bytes: 1024,
    schema: null,
    created_at: T0,
    updated_at: T0,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hl-dedupe-'));
  const real = await openSqliteStore({ path: join(dir, 'hl.db'), synchronous: 'NORMAL' });
  await real.migrate();
  const claim = real.sources.claimDedupeKeys;
  store = {
    ...real,
    close: () => real.close(),
    sources: {
      ...real.sources,
      claimDedupeKeys: (claims, now) => {
        statements++;
        return claim(claims, now);
      },
    },
  };
  await store.tenants.create({ id: 'acme', name: 'a', metadata: {}, created_at: T0, updated_at: T0 });
  for (const id of ['src_a', 'src_b']) {
    const s = source(id);
    await store.sources.create(s, hashToken(s.token));
  }
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const claim = (source_id: string, key: string): DedupeClaim => ({
  tenant_id: 'acme',
  source_id,
  key,
  event_id: newId('event', T0),
  expires_at: T0 + 60_000,
});

it('claims made in one loop turn go out as one statement; copies of a key share an event id', async () => {
  const claims = new DedupeClaims(store, { now: () => T0 });
  statements = 0;
  const inputs = Array.from({ length: 100 }, (_, i) => claim('src_a', `k${i % 40}`));
  const ids = await Promise.all(inputs.map((c) => claims.claim(c)));
  expect(statements).toBe(1);
  ids.forEach((id, i) => expect(id).toBe(inputs[i % 40]!.event_id));
});

it('a claim that cannot be stored fails alone', async () => {
  const claims = new DedupeClaims(store, { now: () => T0 });
  await store.sources.delete('acme', 'src_b');
  const good = claim('src_a', 'fresh');
  const results = await Promise.allSettled([claims.claim(claim('src_b', 'x')), claims.claim(good)]);
  expect(results[0]!.status).toBe('rejected');
  expect(results[1]).toEqual({ status: 'fulfilled', value: good.event_id });
});
