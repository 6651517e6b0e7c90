import { backoffDelayMs, retryAfterMs } from './retry-policy.js';
import type { ErrorClass, RetryPolicy } from './types.js';

/** What the sender observed for one attempt. */
export interface AttemptObservation {
  /** HTTP status, or null when no response arrived */
  status: number | null;
  /** the Retry-After header, if any */
  retryAfter?: string | undefined;
  /** set when no response arrived */
  errorClass?: ErrorClass | undefined;
}

export type Outcome =
  | { kind: 'succeeded' }
  /** the delivery is due again at next_attempt_at */
  | { kind: 'retry'; delayMs: number }
  /** no more attempts */
  | { kind: 'failed' }
  /** 410 Gone: the delivery fails and the webhook is disabled */
  | { kind: 'disable'; reason: string };

const THROTTLE = new Set([429, 502, 503, 504]);

/**
 * The Standard Webhooks outcome rules: 2xx success; 3xx failure (redirects are not followed);
 * 410 disables; 429/502/503/504 honour Retry-After (bounded by the policy); anything else, a
 * timeout or a network error retries with exponential backoff until max_attempts.
 * `attemptsMade` counts the attempt just observed.
 */
export function classifyOutcome(
  obs: AttemptObservation,
  policy: RetryPolicy,
  attemptsMade: number,
  now: number,
  random: () => number = Math.random,
): Outcome {
  if (obs.status !== null && obs.status >= 200 && obs.status < 300) return { kind: 'succeeded' };
  if (obs.status === 410) return { kind: 'disable', reason: 'endpoint answered 410 Gone' };
  if (obs.errorClass === 'blocked') return { kind: 'failed' };
  if (attemptsMade >= policy.max_attempts) return { kind: 'failed' };
  let delayMs = backoffDelayMs(policy, attemptsMade, random);
  if (obs.status !== null && THROTTLE.has(obs.status)) {
    const honoured = retryAfterMs(obs.retryAfter, policy, now);
    if (honoured !== null) delayMs = honoured;
  }
  return { kind: 'retry', delayMs };
}

export function errorClassForStatus(status: number): ErrorClass | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return 'redirect';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500) return '5xx';
  return 'other';
}
