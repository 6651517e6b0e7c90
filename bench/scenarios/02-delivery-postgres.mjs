/**
 * #2 Delivery throughput on PostgreSQL, one process and two (both `--role all` on one fresh
 * database, the load generator alternating between them as a load balancer would). Same workload
 * and measurement as #1; target >= 0.35x the limit.
 */
import { describeCpu } from '../lib/cpu.mjs';
import { hooklaneUnavailable } from '../lib/hooklane.mjs';
import { postgresUnavailable } from '../lib/postgres.mjs';
import { notAvailable } from '../lib/report.mjs';
import { limitOf } from './00-limit.mjs';
import { deliveryThroughput } from './01-delivery-sqlite.mjs';

export const id = 2;
export const title = 'delivery throughput, PostgreSQL';
export const needs = [0];

const METRICS = ['deliveries/s, 1 process', 'deliveries/s, 2 processes'];

export async function run({ quick, results }) {
  const limit = limitOf(results);
  const unavailable = hooklaneUnavailable() ?? (await postgresUnavailable());
  if (unavailable) return notAvailable(METRICS, unavailable);
  const one = await deliveryThroughput({ quick, engine: 'postgres', processes: 1 });
  const two = await deliveryThroughput({ quick, engine: 'postgres', processes: 2 });
  return {
    rows: [
      {
        metric: METRICS[0],
        value: one.perSec,
        unit: '/s',
        denominator: limit,
        target: { ratio: 0.35 },
        note: describeCpu(one.cpu, 'delivery'),
      },
      {
        metric: METRICS[1],
        value: two.perSec,
        unit: '/s',
        denominator: limit,
        target: { ratio: 0.35 },
        note: describeCpu(two.cpu, 'delivery'),
      },
    ],
    details: { one_process: one, two_processes: two },
  };
}
