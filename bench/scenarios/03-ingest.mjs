/**
 * #3 Ingest: `POST /events` answered 202 per second (each one durable: event and delivery committed
 * before the answer), with one matching webhook that is paused so nothing is sent meanwhile. The
 * denominator is a bare Fastify route answering 202 under the same load generator, 64 in flight.
 * Target >= 0.6x bare.
 */
import { measureAccepted } from '../lib/accepted.mjs';
import { startBareFastify } from '../lib/bare.mjs';
import { describeCpu } from '../lib/cpu.mjs';
import { eventRequest } from '../lib/delivery.mjs';
import { hooklaneUnavailable, setupTenant, withHooklane } from '../lib/hooklane.mjs';
import { notAvailable } from '../lib/report.mjs';

export const id = 3;
export const title = 'ingest (durable), receiver paused';
export const needs = [];

const METRICS = ['events accepted/s, 64 in flight'];

export async function run({ quick }) {
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const bare = await startBareFastify();
  let bareResult;
  try {
    bareResult = await measureAccepted({
      origins: [bare.url],
      request: eventRequest,
      quick,
      cpuOf: { 'bare Fastify': bare.pid },
    });
  } finally {
    await bare.stop();
  }
  const hooklane = await withHooklane({ engine: 'sqlite' }, async ({ url, servers }) => {
    // The URL is never called: the webhook is paused, so its deliveries are only stored.
    await setupTenant(url, [{ url: 'http://127.0.0.1:9/never-called', paused: true }]);
    return measureAccepted({
      origins: [url],
      request: eventRequest,
      quick,
      cpuOf: { hooklane: servers[0].pid },
    });
  });
  if (hooklane.ok !== hooklane.sent) {
    throw new Error(
      `hooklane refused ${hooklane.sent - hooklane.ok} events: ${JSON.stringify(hooklane.statuses)}`,
    );
  }
  return {
    rows: [
      {
        metric: METRICS[0],
        value: hooklane.perSec,
        unit: '/s',
        denominator: { label: 'bare Fastify', value: bareResult.perSec },
        target: { ratio: 0.6 },
        note: `${describeCpu(hooklane.cpu, 'event')}; ${describeCpu(bareResult.cpu, 'request')}`,
      },
    ],
    details: { hooklane, bare_fastify: bareResult },
  };
}
