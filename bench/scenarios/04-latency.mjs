/**
 * #4 Latency at a fixed 1,000 events/s (30 s; 5 s quick), open loop: accepted → received, p50 and
 * p99. "Accepted" is when the 202 reached the load generator, "received" when the whole request
 * reached the receiver; both clocks are performance.timeOrigin + now() on one machine. A delivery
 * can arrive before its 202 does; that counts as 0 ms. Targets p50 <= 3 ms, p99 <= 20 ms.
 * Default webhook settings: this is the latency a user gets without tuning.
 */
import {
  EVENTS_PATH,
  EVENT_HEADERS,
  hooklaneUnavailable,
  setupTenant,
  withHooklane,
} from '../lib/hooklane.mjs';
import { openLoop } from '../lib/load.mjs';
import { eventBody } from '../lib/payload.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { notAvailable } from '../lib/report.mjs';
import { percentile } from '../lib/stats.mjs';

export const id = 4;
export const title = 'latency at 1,000 events/s';
export const needs = [];

const METRICS = ['accepted → received p50', 'accepted → received p99'];
const RATE = 1000;

export async function run({ quick }) {
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const durationMs = quick ? 5000 : 30_000;
  const receiver = await startReceiver();
  try {
    return await withHooklane({ engine: 'sqlite' }, async ({ url }) => {
      await setupTenant(url, [{ url: `${receiver.url}/hook` }]);
      const accepted = new Map();
      const request = (phase) => (i) => ({
        path: EVENTS_PATH,
        headers: EVENT_HEADERS,
        body: eventBody(i, { id: `${phase}-${i}` }),
      });
      // Warm up at the same rate, then measure on a clean receiver.
      const warm = await openLoop({
        origins: [url],
        ratePerSec: RATE,
        durationMs: 1000,
        request: request('warm'),
      });
      await receiver.waitForUnique(warm.ok, { timeoutMs: 60_000, what: 'the warm-up deliveries' });
      await receiver.configure({ recordArrivals: true });

      const ingestLatencies = [];
      const load = await openLoop({
        origins: [url],
        ratePerSec: RATE,
        durationMs,
        request: request('lat'),
        onDone: (i, status, dueAt, doneAt) => {
          if (status !== 202) return;
          accepted.set(`lat-${i}`, doneAt);
          ingestLatencies.push(doneAt - dueAt);
        },
      });
      await receiver.waitForUnique(accepted.size, {
        timeoutMs: 120_000,
        what: `${accepted.size} deliveries`,
      });
      const latencies = [];
      let beforeAccepted = 0;
      for (const [eventId, receivedAt] of await receiver.arrivals()) {
        const at = accepted.get(eventId);
        if (at === undefined) continue;
        if (receivedAt < at) beforeAccepted++;
        latencies.push(Math.max(0, receivedAt - at));
      }
      const details = {
        rate_per_s: RATE,
        duration_ms: durationMs,
        sent: load.sent,
        accepted: accepted.size,
        dropped_at_cap: load.dropped,
        statuses: load.statuses,
        achieved_per_s: load.perSec,
        delivered_before_202: beforeAccepted,
        delivery_ms: {
          p50: percentile(latencies, 50),
          p90: percentile(latencies, 90),
          p99: percentile(latencies, 99),
          max: percentile(latencies, 100),
        },
        ingest_ms: { p50: percentile(ingestLatencies, 50), p99: percentile(ingestLatencies, 99) },
      };
      const short =
        load.ok < load.sent || load.dropped > 0
          ? `; only ${load.ok} of ${load.sent + load.dropped} accepted`
          : '';
      return {
        rows: [
          { metric: METRICS[0], value: details.delivery_ms.p50, unit: 'ms', target: { max: 3 } },
          {
            metric: METRICS[1],
            value: details.delivery_ms.p99,
            unit: 'ms',
            target: { max: 20 },
            note: `ingest (POST → 202) p50 ${details.ingest_ms.p50?.toFixed(2)} ms, p99 ${details.ingest_ms.p99?.toFixed(2)} ms${short}`,
          },
        ],
        details,
      };
    });
  } finally {
    await receiver.stop();
  }
}
