/**
 * For the tests that hold a claim's cost to what it was before some state was added
 * (held-backlog.test.ts, scheduled-webhooks.test.ts): the median time of a store call over many
 * runs on the same database, each after one new event of a live webhook was ingested.
 */
import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';
import type { ClaimOptions, Store } from '../../src/store/types.js';
import { event } from '../store/fixtures.js';

/** a claim by worker w1 at `now`: 50 at most, 50 per webhook, unless `over` says otherwise */
export function claimOpts(now: number, over: Partial<ClaimOptions> = {}): ClaimOptions {
  return {
    workerId: 'w1',
    limit: 50,
    now,
    leaseMarginMs: 1_000,
    excludeWebhookIds: [],
    perWebhookLimit: 50,
    ...over,
  };
}

/**
 * `medianMs(fn)`: the median ms of `fn(now)` over `rounds` runs, each after one `type` event of
 * `tenantId` was ingested at a `now` later than every earlier one (and than `t0` + 1 s)
 */
export function claimCostTimer(
  store: () => Store,
  { tenantId, type, t0, rounds = 31 }: { tenantId: string; type: string; t0: number; rounds?: number },
): (fn: (now: number) => Promise<unknown>) => Promise<number> {
  let n = 0;
  return async (fn) => {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const now = t0 + 1_000 + ++n;
      await store().events.ingest([{ event: event(tenantId, type, now) }], now);
      const t = performance.now();
      await fn(now);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(rounds / 2)]!;
  };
}

/** the most a cost may be after the change of state: 10x plus 1 ms, room for a noisy machine and none for a walk */
export const costBound = (beforeMs: number): number => 10 * beforeMs + 1;

/**
 * Claims (which must take only `liveWebhookId`'s deliveries) and nextDueAt calls cost at most
 * costBound of what they did `before` (medians, as measured by `medianMs`).
 */
export async function expectClaimAndNextDueAtAsBefore(
  store: Store,
  medianMs: (fn: (now: number) => Promise<unknown>) => Promise<number>,
  liveWebhookId: string,
  before: { claim: number; nextDueAt: number },
): Promise<void> {
  const claim = await medianMs(async (now) => {
    const got = await store.queue.claim(claimOpts(now));
    expect(new Set(got.map((c) => c.webhook.id))).toEqual(new Set([liveWebhookId]));
  });
  expect(claim).toBeLessThan(costBound(before.claim));
  const nextDueAt = await medianMs(() => store.queue.nextDueAt());
  expect(nextDueAt).toBeLessThan(costBound(before.nextDueAt));
}
