/**
 * The pure outcome rules (API.md "What a webhook receives"): which answers succeed, fail, retry or
 * disable, the exponential backoff with ±20% jitter capped at max_delay_ms, and Retry-After bounded
 * by the policy.
 */
import { describe, expect, it } from 'vitest';
import { classifyOutcome, errorClassForStatus } from '../../src/domain/outcome.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, retryAfterMs } from '../../src/domain/retry-policy.js';
import type { RetryPolicy } from '../../src/domain/types.js';

const policy: RetryPolicy = {
  max_attempts: 5,
  initial_delay_ms: 1000,
  backoff_multiplier: 2,
  max_delay_ms: 60_000,
};
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const mid = () => 0.5;

describe('classifyOutcome', () => {
  it.each([200, 201, 202, 204, 299])('%i succeeds', (status) => {
    expect(classifyOutcome({ status }, policy, 1, NOW)).toEqual({ kind: 'succeeded' });
  });

  it('410 disables, whatever the attempt number', () => {
    for (const n of [1, 5])
      expect(classifyOutcome({ status: 410 }, policy, n, NOW)).toEqual({
        kind: 'disable',
        reason: expect.stringMatching(/410/),
      });
  });

  it.each([301, 302, 303, 307, 308, 400, 401, 404, 409, 422, 500, 501, 505])(
    '%i retries with the backoff, then fails at max_attempts',
    (status) => {
      expect(classifyOutcome({ status }, policy, 1, NOW, mid)).toEqual({ kind: 'retry', delayMs: 1000 });
      expect(classifyOutcome({ status }, policy, 3, NOW, mid)).toEqual({ kind: 'retry', delayMs: 4000 });
      expect(classifyOutcome({ status }, policy, 5, NOW, mid)).toEqual({ kind: 'failed' });
    },
  );

  it.each(['timeout', 'connect', 'other'] as const)('no answer (%s) retries, then fails', (errorClass) => {
    expect(classifyOutcome({ status: null, errorClass }, policy, 2, NOW, mid)).toEqual({
      kind: 'retry',
      delayMs: 2000,
    });
    expect(classifyOutcome({ status: null, errorClass }, policy, 5, NOW, mid)).toEqual({ kind: 'failed' });
  });

  it('a destination refused by the egress guard fails at once: retrying would be refused again', () => {
    expect(classifyOutcome({ status: null, errorClass: 'blocked' }, policy, 1, NOW)).toEqual({
      kind: 'failed',
    });
  });

  it.each([429, 502, 503, 504])('%i honours Retry-After, bounded by max_delay_ms', (status) => {
    expect(classifyOutcome({ status, retryAfter: '30' }, policy, 1, NOW, mid)).toEqual({
      kind: 'retry',
      delayMs: 30_000,
    });
    expect(classifyOutcome({ status, retryAfter: '86400' }, policy, 1, NOW, mid)).toEqual({
      kind: 'retry',
      delayMs: 60_000,
    });
    // without (or with an unreadable) Retry-After: the backoff
    expect(classifyOutcome({ status }, policy, 1, NOW, mid)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(classifyOutcome({ status, retryAfter: 'soon' }, policy, 1, NOW, mid)).toEqual({
      kind: 'retry',
      delayMs: 1000,
    });
    // and the last attempt is the last, Retry-After or not
    expect(classifyOutcome({ status, retryAfter: '1' }, policy, 5, NOW, mid)).toEqual({ kind: 'failed' });
  });

  it('Retry-After on other statuses is ignored', () => {
    expect(classifyOutcome({ status: 500, retryAfter: '30' }, policy, 1, NOW, mid)).toEqual({
      kind: 'retry',
      delayMs: 1000,
    });
  });

  it('error classes of statuses', () => {
    expect([200, 302, 404, 500, 100].map(errorClassForStatus)).toEqual([
      null,
      'redirect',
      '4xx',
      '5xx',
      'other',
    ]);
  });
});

describe('backoffDelayMs', () => {
  it('initial × multiplier^(n-1), capped', () => {
    const p = { ...policy, max_delay_ms: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(p, n, mid))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it('jitter stays within ±20% and covers the range', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const samples = Array.from({ length: 2000 }, () => backoffDelayMs(policy, 3, random));
    for (const d of samples) {
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
    }
    expect(Math.min(...samples)).toBeLessThan(3300);
    expect(Math.max(...samples)).toBeGreaterThan(4700);
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(3200);
    expect(backoffDelayMs(policy, 3, () => 0.999999)).toBe(4800);
  });

  it('the default policy: 5 s, 25 s, 125 s, … up to 10 h', () => {
    expect([1, 2, 3, 8].map((n) => backoffDelayMs(DEFAULT_RETRY_POLICY, n, mid))).toEqual([
      5000, 25_000, 125_000, 36_000_000,
    ]);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, bounded to [0, max_delay_ms]', () => {
    expect(retryAfterMs('2', policy, NOW)).toBe(2000);
    expect(retryAfterMs(' 0 ', policy, NOW)).toBe(0);
    expect(retryAfterMs(new Date(NOW + 10_000).toUTCString(), policy, NOW)).toBe(10_000);
    expect(retryAfterMs(new Date(NOW - 10_000).toUTCString(), policy, NOW)).toBe(0);
    expect(retryAfterMs('999999', policy, NOW)).toBe(60_000);
    expect(retryAfterMs(undefined, policy, NOW)).toBeNull();
    expect(retryAfterMs('-5', policy, NOW)).toBeNull();
    expect(retryAfterMs('1.5', policy, NOW)).toBeNull();
    expect(retryAfterMs('later', policy, NOW)).toBeNull();
  });
});
