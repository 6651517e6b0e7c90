/**
 * #5 Fan-out: every event matches 100 webhooks (each its own path on the receiver, default
 * settings), so one accepted event owes 100 deliveries. Events are posted 8 in flight; the rate is
 * deliveries counted at the receiver / (last arrival − first post). Target >= 0.5x the limit.
 */
import {
  EVENTS_PATH,
  EVENT_HEADERS,
  hooklaneUnavailable,
  setupTenant,
  withHooklane,
} from '../lib/hooklane.mjs';
import { cpuMeter, describeCpu } from '../lib/cpu.mjs';
import { closedLoop } from '../lib/load.mjs';
import { eventBody } from '../lib/payload.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { notAvailable } from '../lib/report.mjs';
import { limitOf } from './00-limit.mjs';

export const id = 5;
export const title = 'fan-out: 1 event → 100 webhooks';
export const needs = [0];

const METRICS = ['deliveries/s'];
const WEBHOOKS = 100;

/** #5's webhooks: WEBHOOKS of them, each on its own path of `receiverUrl`, default settings */
export const fanOutWebhooks = (receiverUrl) =>
  Array.from({ length: WEBHOOKS }, (_, i) => ({ url: `${receiverUrl}/fan/${i}` }));

export async function run({ quick, results }) {
  const limit = limitOf(results);
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const events = quick ? 60 : 600;
  const receiver = await startReceiver();
  try {
    return await withHooklane({ engine: 'sqlite' }, async ({ url, servers }) => {
      await setupTenant(url, fanOutWebhooks(receiver.url));
      const post = (count, prefix) =>
        closedLoop({
          origins: [url],
          inFlight: 8,
          count,
          request: (i) => ({
            path: EVENTS_PATH,
            headers: EVENT_HEADERS,
            body: eventBody(i, { id: `${prefix}-${i}` }),
          }),
        });
      const warm = await post(5, 'warm');
      await receiver.waitForUnique(warm.ok * WEBHOOKS, { timeoutMs: 60_000, what: 'the warm-up fan-out' });
      await receiver.reset();

      const meter = cpuMeter({ hooklane: servers[0].pid, receiver: receiver.pid });
      const load = await post(events, 'fan');
      if (load.ok !== events)
        throw new Error(`only ${load.ok} of ${events} events accepted: ${JSON.stringify(load.statuses)}`);
      const expected = events * WEBHOOKS;
      const s = await receiver.waitForUnique(expected, {
        timeoutMs: quick ? 120_000 : 600_000,
        what: `${expected} deliveries`,
      });
      const perSec = s.unique / ((s.lastAt - load.startedAt) / 1000);
      const cpu = meter.perOp(s.unique);
      const paths = Object.keys(s.byPath).length;
      if (paths !== WEBHOOKS) throw new Error(`deliveries reached ${paths} webhooks, not ${WEBHOOKS}`);
      return {
        rows: [
          {
            metric: METRICS[0],
            value: perSec,
            unit: '/s',
            denominator: limit,
            target: { ratio: 0.5 },
            note: describeCpu(cpu, 'delivery'),
          },
        ],
        details: {
          events,
          webhooks: WEBHOOKS,
          deliveries: s.unique,
          duplicates: s.duplicates,
          posting_ms: load.elapsedMs,
          drain_ms: s.lastAt - load.startedAt,
          perSec,
          cpu,
        },
      };
    });
  } finally {
    await receiver.stop();
  }
}
