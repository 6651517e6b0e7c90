/**
 * #1 Delivery throughput on SQLite: events posted through the API (64 in flight), one matching
 * webhook (max_in_flight 64, like the limit's 64 in flight), counted at the receiver. Measured
 * like the limit (lib/delivery.mjs), target >= 0.5x the limit.
 */
import { POSTGRES, describeCpu } from '../lib/cpu.mjs';
import { measureDelivery } from '../lib/delivery.mjs';
import { hooklaneUnavailable, setupTenant, withHooklane } from '../lib/hooklane.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { notAvailable } from '../lib/report.mjs';
import { limitOf, relayOf } from './00-limit.mjs';

export const id = 1;
export const title = 'delivery throughput, SQLite';
export const needs = [0];

const METRICS = ['deliveries/s, 1 webhook', 'the same against the bare relay', 'events accepted/s meanwhile'];

/** one hooklane deployment's delivery throughput with a single matching webhook */
export async function deliveryThroughput({ quick, engine, processes = 1 }) {
  const receiver = await startReceiver();
  try {
    return await withHooklane({ engine, processes }, async ({ url, origins, servers }) => {
      await setupTenant(url, [{ url: `${receiver.url}/hook`, max_in_flight: 64 }]);
      const cpuOf = Object.fromEntries(
        servers.map((s, i) => [servers.length === 1 ? 'hooklane' : `hooklane ${i + 1}`, s.pid]),
      );
      // on PostgreSQL the database's own work is part of what a delivery costs the machine
      if (engine === 'postgres') cpuOf[POSTGRES.label] = POSTGRES;
      return measureDelivery({ origins, receiver, quick, cpuOf });
    });
  } finally {
    await receiver.stop();
  }
}

export async function run({ quick, results }) {
  const limit = limitOf(results);
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const m = await deliveryThroughput({ quick, engine: 'sqlite' });
  return {
    rows: [
      {
        metric: METRICS[0],
        value: m.perSec,
        unit: '/s',
        denominator: limit,
        target: { ratio: 0.5 },
        note: describeCpu(m.cpu, 'delivery'),
      },
      { metric: METRICS[1], value: m.perSec, unit: '/s', denominator: relayOf(results) },
      { metric: METRICS[2], value: m.acceptedPerSec, unit: '/s' },
    ],
    details: m,
  };
}
