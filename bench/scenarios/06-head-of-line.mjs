/**
 * #6 Head-of-line blocking: a healthy webhook's throughput (measured as in #1) alone, then sharing
 * the dispatcher with a webhook that answers after 2 s and one that never answers (both
 * timeout_ms 5,000, default max_in_flight). Each webhook is its own origin (receiver port), as
 * different customers' endpoints are. Before the healthy load starts, both bad webhooks have a
 * backlog of 100 events and their in-flight caps are full; a side load keeps adding 20 events/s to
 * each. Target: healthy throughput >= 0.9x its solo run.
 */
import { describeCpu } from '../lib/cpu.mjs';
import { deliveryTiming, measureDelivery } from '../lib/delivery.mjs';
import {
  EVENTS_PATH,
  EVENT_HEADERS,
  hooklaneUnavailable,
  setupTenant,
  withHooklane,
} from '../lib/hooklane.mjs';
import { closedLoop, openLoop } from '../lib/load.mjs';
import { EVENT_TYPE, eventBody } from '../lib/payload.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { notAvailable } from '../lib/report.mjs';
import { waitFor } from '../lib/stats.mjs';

export const id = 6;
export const title = 'head-of-line: healthy + slow + dead';
export const needs = [];

const METRICS = ['healthy deliveries/s, shared'];
const BAD_TYPES = ['bench.slow', 'bench.dead'];

const badEvent = (i) => ({
  path: EVENTS_PATH,
  headers: EVENT_HEADERS,
  body: eventBody(i, { type: BAD_TYPES[i % 2] }),
});

export async function run({ quick }) {
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const receiver = await startReceiver({ listeners: 3 });
  const healthy = { url: `${receiver.urls[0]}/healthy`, events: [EVENT_TYPE], max_in_flight: 64 };
  try {
    const solo = await withHooklane({ engine: 'sqlite' }, async ({ url, servers }) => {
      await setupTenant(url, [healthy]);
      const cpuOf = { hooklane: servers[0].pid };
      return measureDelivery({ origins: [url], receiver, quick, path: '/healthy', cpuOf });
    });

    await receiver.configure({ behaviours: { '/slow': { delayMs: 2000 }, '/dead': { hang: true } } });
    // Requests to /dead never end: hooklane's own drain gives up after 1 s (so that, with
    // --profile, it still exits by itself and writes its profile), the harness's after 2 s.
    const env = { HOOKLANE_SHUTDOWN_GRACE_MS: '1000' };
    const shared = await withHooklane(
      { engine: 'sqlite', env, stopGraceMs: 2000 },
      async ({ url, servers }) => {
        const [, slow, dead] = await setupTenant(url, [
          healthy,
          { url: `${receiver.urls[1]}/slow`, events: ['bench.slow'], timeout_ms: 5000 },
          { url: `${receiver.urls[2]}/dead`, events: ['bench.dead'], timeout_ms: 5000 },
        ]);
        const backlog = await closedLoop({ origins: [url], inFlight: 8, count: 200, request: badEvent });
        if (backlog.ok !== 200) throw new Error(`backlog: ${JSON.stringify(backlog.statuses)}`);
        await waitFor(
          async () => {
            const s = await receiver.stats();
            return (
              (s.byPath['/slow']?.count ?? 0) >= slow.max_in_flight &&
              (s.byPath['/dead']?.count ?? 0) >= dead.max_in_flight
            );
          },
          { timeoutMs: 30_000, what: 'the slow and dead webhooks to reach their in-flight caps' },
        );
        const { durationMs } = deliveryTiming(quick);
        const side = openLoop({
          origins: [url],
          ratePerSec: 40,
          durationMs: durationMs + 2000,
          request: badEvent,
        });
        const cpuOf = { hooklane: servers[0].pid };
        const m = await measureDelivery({ origins: [url], receiver, quick, path: '/healthy', cpuOf });
        const sideResult = await side;
        const s = await receiver.stats();
        return {
          ...m,
          side_load_accepted: sideResult.ok,
          slow_arrivals: s.byPath['/slow']?.count ?? 0,
          dead_arrivals: s.byPath['/dead']?.count ?? 0,
        };
      },
    );
    return {
      rows: [
        {
          metric: METRICS[0],
          value: shared.perSec,
          unit: '/s',
          denominator: { label: 'solo', value: solo.perSec },
          target: { ratio: 0.9 },
          note: `solo: ${describeCpu(solo.cpu, 'delivery')}; shared: ${describeCpu(shared.cpu, 'healthy delivery')}`,
        },
      ],
      details: { solo, shared },
    };
  } finally {
    await receiver.stop();
  }
}
