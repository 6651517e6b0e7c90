import type { RetryPolicy } from './types.js';

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  max_attempts: 8,
  initial_delay_ms: 5000,
  backoff_multiplier: 5,
  max_delay_ms: 36_000_000,
});

/** Bounds a user may set; beyond them a policy is rejected (400). */
export const RETRY_POLICY_LIMITS = {
  max_attempts: { min: 1, max: 50 },
  initial_delay_ms: { min: 0, max: 86_400_000 },
  backoff_multiplier: { min: 1, max: 100 },
  max_delay_ms: { min: 0, max: 7 * 86_400_000 },
} as const;

/**
 * Delay before attempt n+1 after attempt n (1-based) failed:
 * initial × multiplier^(n-1), ±20% jitter, capped at max_delay_ms.
 * `random` is injected so tests are exact.
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  attemptsMade: number,
  random: () => number = Math.random,
): number {
  const base = policy.initial_delay_ms * Math.pow(policy.backoff_multiplier, Math.max(0, attemptsMade - 1));
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.min(policy.max_delay_ms, jittered));
}

/**
 * A throttling answer's Retry-After (429/502/503/504) is honoured but bounded by the policy:
 * never less than 0 and never more than max_delay_ms. Returns null when the header is absent or unparsable.
 */
export function retryAfterMs(header: string | undefined, policy: RetryPolicy, now: number): number | null {
  if (header === undefined) return null;
  const trimmed = header.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    // An HTTP-date names its month (`Wed, 21 Oct 2015 07:28:00 GMT`, or the obsolete RFC 850 and
    // asctime forms); Date.parse alone would also read `1.5` or `-5` as dates long past.
    if (!/[a-z]{3}/i.test(trimmed)) return null;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.max(0, Math.min(policy.max_delay_ms, ms));
}
