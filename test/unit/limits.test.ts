/**
 * Per-webhook lanes (src/delivery/limits.ts): the in-flight cap, and the prefetch that lets a fast
 * receiver's lane hold claimed deliveries ready for the next free slot while a slow or dead
 * receiver's lane never holds more than its cap.
 */
import { describe, expect, it } from 'vitest';
import { PREFETCH_MAX_AVG_MS, WebhookLimits } from '../../src/delivery/limits.js';
import type { Webhook } from '../../src/domain/types.js';
import { makeClaimed, makeWebhook } from '../delivery/fixtures.js';

const NOW = 1_000_000;
const LIMIT = 200;

/** admits n deliveries of the webhook and starts what the lane allows; returns how many started */
function fill(limits: WebhookLimits, webhook: Webhook, n: number): number {
  for (let i = 0; i < n; i++) limits.admit(makeClaimed(webhook), NOW);
  return limits.takeStartable(NOW).length;
}

/** finishes `n` requests of the webhook, each having taken durationMs */
function finish(limits: WebhookLimits, webhook: Webhook, n: number, durationMs: number): void {
  for (let i = 0; i < n; i++) limits.finish(webhook.id, NOW, durationMs);
}

describe('WebhookLimits', () => {
  it('a new webhook may take up to its cap; at the cap it is excluded from claims', () => {
    const limits = new WebhookLimits();
    const w = makeWebhook({ max_in_flight: 4 });
    expect(fill(limits, w, 4)).toBe(4);
    expect(limits.excluded(NOW)).toEqual([w.id]);
  });

  it('a lane that answers fast may hold max_in_flight more waiting than its free slots', () => {
    const limits = new WebhookLimits();
    const w = makeWebhook({ max_in_flight: 20 });
    expect(fill(limits, w, 20)).toBe(20);
    finish(limits, w, 2, 3);
    // 2 free slots + a prefetch of 20
    expect(limits.perWebhookLimit(LIMIT, NOW)).toBe(22);
    expect(fill(limits, w, 5)).toBe(2); // two start, three wait
    expect(limits.excluded(NOW)).toEqual([]); // still room for 17
    expect(fill(limits, w, 17)).toBe(0);
    expect(limits.excluded(NOW)).toEqual([w.id]);
    finish(limits, w, 1, 3);
    expect(limits.takeStartable(NOW)).toHaveLength(1); // a waiting one takes the freed slot at once
  });

  it('the prefetch is as large as the cap, so one claim fills slots and prefetch', () => {
    const limits = new WebhookLimits();
    const w = makeWebhook({ max_in_flight: 64 });
    expect(fill(limits, w, 64)).toBe(64);
    finish(limits, w, 63, 2); // (a lane with nothing in flight or waiting is forgotten)
    expect(limits.perWebhookLimit(LIMIT, NOW)).toBe(127);
    expect(limits.perWebhookLimit(100, NOW)).toBe(100);
  });

  it('a slow lane never holds more than its cap', () => {
    const limits = new WebhookLimits();
    const w = makeWebhook({ max_in_flight: 4 });
    expect(fill(limits, w, 4)).toBe(4);
    finish(limits, w, 2, 2000);
    expect(limits.perWebhookLimit(LIMIT, NOW)).toBe(16);
    expect(fill(limits, w, 2)).toBe(2);
    expect(limits.excluded(NOW)).toEqual([w.id]);
  });

  it('a lane that turns slow stops prefetching once its average passes the threshold', () => {
    const limits = new WebhookLimits();
    const w = makeWebhook({ max_in_flight: 2 });
    expect(fill(limits, w, 2)).toBe(2);
    finish(limits, w, 1, 1);
    expect(fill(limits, w, 1)).toBe(1); // at the cap again, with room for a prefetch of 2
    expect(limits.excluded(NOW)).toEqual([]);
    // one answer after 5 s lifts the moving average (weight 0.2) to ~1,000 ms
    finish(limits, w, 1, 5000);
    expect(PREFETCH_MAX_AVG_MS).toBeLessThan(1000);
    expect(fill(limits, w, 1)).toBe(1);
    expect(limits.excluded(NOW)).toEqual([w.id]);
  });

  it('a rate-limited lane takes no more than its tokens', () => {
    const limits = new WebhookLimits();
    const w = makeWebhook({ max_in_flight: 10, rate_limit_per_s: 3 });
    expect(fill(limits, w, 1)).toBe(1);
    finish(limits, w, 1, 1);
    // 2 tokens left of 3: room for 2, no prefetch
    expect(fill(limits, w, 2)).toBe(2);
    expect(limits.excluded(NOW)).toEqual([w.id]);
  });
});
