/**
 * #7 Backlog: 1,000,000 pending deliveries (20,000 quick) drained after the receiver comes back.
 * "Offline" is modelled as the API's maintenance window: the 4 webhooks (default max_in_flight 16
 * each, 64 in flight in all) are paused while 250,000 events (×4 webhooks) are posted, then resumed.
 * The empty-queue rate is the same drain of a small backlog (10,000; 2,000 quick) on the same
 * empty database first. hooklane's
 * RSS is sampled from /proc every 250 ms for the whole scenario, and its VmHWM read at the end.
 * Targets: drain rate >= 0.8x the empty-queue rate; peak RSS <= 300 MB.
 *
 * A fifth webhook, never paused, gets events of its own type. Its delivery rate (measured like #1)
 * while the 1,000,000 deliveries are held, against its rate on the empty queue, shows whether a
 * backlog that cannot be sent slows everyone else (it did: the claim used to step over it).
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
import { describeCpu } from '../lib/cpu.mjs';
import { measureDelivery } from '../lib/delivery.mjs';
import { closedLoop } from '../lib/load.mjs';
import { EVENT_TYPE, eventBody } from '../lib/payload.mjs';
import { readPeakRss, sampleRss } from '../lib/procs.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { notAvailable } from '../lib/report.mjs';
import { nowMs } from '../lib/stats.mjs';

export const id = 7;
export const title = 'backlog: 1M pending, then drain';
export const needs = [];

const METRICS = ['drain deliveries/s', 'peak RSS', 'an active webhook beside it, deliveries/s'];
const LIVE_TYPE = 'bench.live';
const WEBHOOKS = 4;
const MB = 2 ** 20;

export async function run({ quick }) {
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const deliveries = quick ? 20_000 : 1_000_000;
  const small = quick ? 2000 : 10_000;
  const receiver = await startReceiver();
  try {
    return await withHooklane({ engine: 'sqlite' }, async ({ url, origins, servers }) => {
      const pid = servers[0].pid;
      const rss = sampleRss(pid);
      try {
        const client = api(url);
        const [, ...webhooks] = await setupTenant(url, [
          { url: `${receiver.url}/live`, events: [LIVE_TYPE], max_in_flight: 64 },
          ...Array.from({ length: WEBHOOKS }, (_, i) => ({
            url: `${receiver.url}/b/${i}`,
            events: [EVENT_TYPE],
            paused: true,
          })),
        ]);
        /** #1's measurement of the active webhook */
        const measureLive = () =>
          measureDelivery({
            origins,
            receiver,
            quick,
            path: '/live',
            cpuOf: { hooklane: pid },
            request: (n) => ({
              path: EVENTS_PATH,
              headers: EVENT_HEADERS,
              body: eventBody(n, { type: LIVE_TYPE }),
            }),
          });
        let posted = 0;
        /**
         * posts `events` events while the webhooks are paused, runs `whileHeld`, then resumes them and
         * times the drain
         */
        async function backlogAndDrain(events, whileHeld = async () => null) {
          const fill = await closedLoop({
            origins: [url],
            inFlight: 64,
            count: events,
            request: (i) => ({ path: EVENTS_PATH, headers: EVENT_HEADERS, body: eventBody(posted + i) }),
          });
          posted += events;
          if (fill.ok !== events)
            throw new Error(`only ${fill.ok} of ${events} events accepted: ${JSON.stringify(fill.statuses)}`);
          const held = await whileHeld();
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
            held,
          };
        }
        const empty = await backlogAndDrain(small / WEBHOOKS);
        const liveAlone = await measureLive();
        const full = await backlogAndDrain(deliveries / WEBHOOKS, measureLive);
        const liveBeside = full.held;
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
            {
              metric: `${METRICS[2]}, backlog held`,
              value: liveBeside.perSec,
              unit: '/s',
              denominator: { label: 'empty queue', value: liveAlone.perSec },
              note: `held: ${describeCpu(liveBeside.cpu, 'delivery')}; empty queue: ${describeCpu(liveAlone.cpu, 'delivery')}`,
            },
          ],
          details: {
            empty_queue: empty,
            backlog: full,
            peak_rss_mb: peak / MB,
            peak_rss_sampled_mb: peakSampled / MB,
            active_webhook: { empty_queue: liveAlone, backlog_held: liveBeside },
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
