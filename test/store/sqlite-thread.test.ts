/**
 * What crossing threads could break in the SQLite engine run in its own thread (sqlite/thread.ts),
 * beyond the conformance suite (sqlite.test.ts runs that through the thread too): error classes,
 * Buffers, wakes, the main thread staying free while the SQLite thread works, open failures, close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HooklaneError } from '../../src/domain/errors.js';
import { openSqliteStoreInThread } from '../../src/store/sqlite/thread.js';
import type { Store } from '../../src/store/types.js';
import { waitFor } from '../helpers/wait.js';
import { event, tenant, webhook } from './fixtures.js';

describe('SQLite store in its own thread', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooklane-thread-'));
    store = await openSqliteStoreInThread({ path: join(dir, 'hl.db'), synchronous: 'NORMAL' });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rethrows a store error as the same HooklaneError class and code', async () => {
    await store.tenants.create(tenant('acme'));
    const err = await store.tenants.create(tenant('acme')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HooklaneError);
    expect((err as HooklaneError).code).toBe('conflict');
    expect((err as HooklaneError).status).toBe(409);
  });

  it('keeps an inbound event’s raw body a Buffer both ways, and claims carry it', async () => {
    await store.tenants.create(tenant('acme'));
    await store.webhooks.create(webhook('acme', { payload_format: 'raw' }));
    const raw = Buffer.from([0x00, 0xff, 0x7b, 0x22, 0x61, 0x22, 0x7d]);
    const e = event('acme', 'stripe.charge', 5_000, {
      source_id: null,
      raw_body: raw,
      raw_content_type: 'application/octet-stream',
    });
    const [result] = await store.events.ingest([{ event: e }], 5_000);
    expect(result!.deliveries).toBe(1);

    const stored = await store.events.get('acme', e.id);
    expect(Buffer.isBuffer(stored!.raw_body)).toBe(true);
    expect(stored!.raw_body!.equals(raw)).toBe(true);

    const [claimed] = await store.queue.claim({
      workerId: 'w',
      limit: 10,
      now: 5_000,
      leaseMarginMs: 1_000,
      excludeWebhookIds: [],
      perWebhookLimit: 10,
    });
    expect(Buffer.isBuffer(claimed!.event.raw_body)).toBe(true);
    expect(claimed!.event.raw_body!.equals(raw)).toBe(true);
  });

  it('answers an accepted event with the caller’s own object, and a duplicate with the stored original', async () => {
    await store.tenants.create(tenant('acme'));
    const first = event('acme', 'user.created', 5_000, { idempotency_key: 'k1' });
    const [accepted] = await store.events.ingest([{ event: first }], 5_000);
    expect(accepted).toEqual({ event: first, duplicate: false, deliveries: 0 });
    expect(accepted!.event.data).toEqual(first.data);

    const again = event('acme', 'user.created', 6_000, { idempotency_key: 'k1', data: { other: true } });
    const [dup] = await store.events.ingest([{ event: again }], 6_000);
    expect(dup!.duplicate).toBe(true);
    expect(dup!.event.id).toBe(first.id);
    expect(dup!.event.data).toEqual(first.data);
  });

  it('wakes subscribers in the main thread after a commit that creates deliveries', async () => {
    let wakes = 0;
    const unsubscribe = store.queue.subscribe(() => wakes++);
    await store.tenants.create(tenant('acme'));
    await store.webhooks.create(webhook('acme'));
    await store.events.ingest([{ event: event('acme', 'user.created', 5_000) }], 5_000);
    await waitFor(() => wakes > 0, { message: 'a wake from the SQLite thread' });
    unsubscribe();
  });

  it('keeps the main thread free while the SQLite thread works', async () => {
    await store.tenants.create(tenant('acme'));
    await store.webhooks.create(webhook('acme'));
    const inputs = Array.from({ length: 5_000 }, (_, i) => ({
      event: event('acme', 'user.created', 5_000 + i),
    }));
    // the main thread's own timers keep firing while a 5,000-event transaction runs elsewhere
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = process.hrtime.bigint();
    const ingesting = store.events.ingest(inputs, 5_000);
    let ticksWhileBusy = -1;
    await new Promise<void>((resolve) => {
      const check = () => {
        ticksWhileBusy = ticks;
        resolve();
      };
      setTimeout(check, 20);
    });
    const results = await ingesting;
    clearInterval(timer);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(results).toHaveLength(5_000);
    // the transaction outlasted the 20 ms look (5,000 events × 2 rows take well over 100 ms)…
    expect(ms).toBeGreaterThan(40);
    // …and the main thread's timer fired meanwhile: in the calling thread it could not have
    expect(ticksWhileBusy).toBeGreaterThan(0);
  });

  it('fails every call after close, and close is idempotent', async () => {
    await store.close();
    await store.close();
    await expect(store.tenants.get('acme')).rejects.toThrow(/closed/);
  });
});

describe('opening the SQLite thread', () => {
  it('rejects with the engine’s own error when the file cannot be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-thread-'));
    try {
      // a directory is not a database file
      await expect(openSqliteStoreInThread({ path: dir, synchronous: 'NORMAL' })).rejects.toThrow(
        /unable to open|not a database|directory/i,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
