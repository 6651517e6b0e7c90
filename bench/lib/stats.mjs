/** Small numeric helpers shared by scenarios. */

/** the wall clock with sub-millisecond resolution, comparable between processes on one machine */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

/** nearest-rank percentile of an unsorted array (p in 0..100); null for an empty array */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns a truthy value, and returns that value; throws after `timeoutMs`
 * with `what` in the message. Benchmarks wait on observed state, never on a fixed sleep.
 */
export async function waitFor(probe, { timeoutMs, intervalMs = 50, what = 'condition' }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function round(n, digits = 0) {
  if (n === null || n === undefined || !Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
