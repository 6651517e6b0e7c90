/**
 * Per-source token buckets, in this process: a source with `rate_limit_per_s: r` accepts bursts of
 * up to max(1, r) requests and r per second after that. Several processes on PostgreSQL each apply
 * the limit on their own (so the cluster-wide rate is at most processes × r).
 */
import type { Clock } from '../domain/clock.js';

interface Bucket {
  tokens: number;
  at: number;
  rate: number;
}

/** sources tracked at most; beyond it the table starts over (every source gets a full bucket) */
const MAX_SOURCES = 100_000;

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  /** takes one token; returns null when allowed, else the seconds until one is available */
  take(sourceId: string, ratePerS: number | null): number | null {
    if (ratePerS === null) return null;
    const now = this.clock.now();
    const capacity = Math.max(1, ratePerS);
    let b = this.buckets.get(sourceId);
    if (b === undefined || b.rate !== ratePerS) {
      if (this.buckets.size >= MAX_SOURCES) this.buckets.clear();
      b = { tokens: capacity, at: now, rate: ratePerS };
      this.buckets.set(sourceId, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * ratePerS);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return null;
    }
    return (1 - b.tokens) / ratePerS;
  }

  forget(sourceId: string): void {
    this.buckets.delete(sourceId);
  }
}
