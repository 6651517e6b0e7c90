/**
 * #7 Backlog: 1,000,000 pending deliveries (20,000 quick) drained after the receiver comes back.
 * "Offline" is modelled as the API's maintenance window: the 4 webhooks (default max_in_flight 16
 * each, 64 in flight in all) are paused while 250,000 events (×4 webhooks) are posted, then resumed.
 * The empty-queue rate is the same drain of a small backlog (10,000; 2,000 quick) on the same
 * empty database first. hooklane's
 * RSS is sampled from /proc every 250 ms for the whole scenario, and its VmHWM read at the end.
 * Targets: drain rate >= 0.8x the empty-queue rate; peak RSS <= 300 MB.
 */
import {
  EVENTS_PATH,
  EVENT_HEADERS,
  TENANT,
  api,
  hooklaneUnavailable,
  setupTenant,
  withHooklane,
} from '../lib/hooklane.mjs';
import { closedLoop } from '../lib/load.mjs';
import { eventBody } from '../lib/payload.mjs';
import { readPeakRss, sampleRss } from '../lib/procs.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { notAvailable } from '../lib/report.mjs';
import { nowMs } from '../lib/stats.mjs';

export const id = 7;
export const title = 'backlog: 1M pending, then drain';
export const needs = [];

const METRICS = ['drain deliveries/s', 'peak RSS'];
const WEBHOOKS = 4;
const MB = 2 ** 20;

export async function run({ quick }) {
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const deliveries = quick ? 20_000 : 1_000_000;
  const small = quick ? 2000 : 10_000;
  const receiver = await startReceiver();
  try {
    return await withHooklane({ engine: 'sqlite' }, async ({ url, servers }) => {
      const pid = servers[0].pid;
      const rss = sampleRss(pid);
      try {
        const client = api(url);
        const webhooks = await setupTenant(
          url,
          Array.from({ length: WEBHOOKS }, (_, i) => ({ url: `${receiver.url}/b/${i}`, paused: true })),
        );
        let posted = 0;
        /** posts `events` events while the webhooks are paused, then resumes them and times the drain */
        async function backlogAndDrain(events) {
          const fill = await closedLoop({
            origins: [url],
            inFlight: 64,
            count: events,
            request: (i) => ({ path: EVENTS_PATH, headers: EVENT_HEADERS, body: eventBody(posted + i) }),
          });
          posted += events;
          if (fill.ok !== events)
            throw new Error(`only ${fill.ok} of ${events} events accepted: ${JSON.stringify(fill.statuses)}`);
          await receiver.reset();
          const resumedAt = nowMs();
          for (const w of webhooks)
            await client.patch(`/v1/tenants/${TENANT}/webhooks/${w.id}`, { paused: false });
          const expected = events * WEBHOOKS;
          const s = await receiver.waitForUnique(expected, {
            timeoutMs: quick ? 120_000 : 3_600_000,
            intervalMs: 250,
            what: `${expected} backlogged deliveries`,
          });
          for (const w of webhooks)
            await client.patch(`/v1/tenants/${TENANT}/webhooks/${w.id}`, { paused: true });
          return {
            deliveries: s.unique,
            duplicates: s.duplicates,
            fill_per_s: fill.perSec,
            fill_ms: fill.elapsedMs,
            drain_ms: s.lastAt - resumedAt,
            perSec: s.unique / ((s.lastAt - resumedAt) / 1000),
          };
        }
        const empty = await backlogAndDrain(small / WEBHOOKS);
        const full = await backlogAndDrain(deliveries / WEBHOOKS);
        const peakSampled = rss.stop();
        const peak = Math.max(peakSampled, readPeakRss(pid) ?? 0);
        return {
          rows: [
            {
              metric: `${METRICS[0]}, ${deliveries.toLocaleString('en-US')} backlog`,
              value: full.perSec,
              unit: '/s',
              denominator: { label: 'empty queue', value: empty.perSec },
              target: { ratio: 0.8 },
            },
            { metric: METRICS[1], value: peak / MB, unit: 'MB', target: { max: 300 } },
          ],
          details: {
            empty_queue: empty,
            backlog: full,
            peak_rss_mb: peak / MB,
            peak_rss_sampled_mb: peakSampled / MB,
          },
        };
      } finally {
        rss.stop();
      }
    });
  } finally {
    await receiver.stop();
  }
}
