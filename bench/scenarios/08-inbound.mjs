/**
 * #8 Inbound: Standard-Webhooks-signed 1 KiB requests to a source (`POST /in/{token}`), each with
 * its own webhook-id and a fresh timestamp, signed by the load generator. Two measurements, each
 * also taken against the bare Fastify route (no verification, no storage):
 * - answered per second, 64 in flight (target >= 0.5x bare);
 * - p99 from due time to answer at a fixed 1,000 requests/s, open loop (target <= 10 ms): at 64 in
 *   flight a p99 is mostly queueing, so the latency target is taken below saturation.
 * When the sources API is not there (404), the scenario says so instead of measuring.
 */
import { measureAccepted } from '../lib/accepted.mjs';
import { startBareFastify } from '../lib/bare.mjs';
import { describeCpu } from '../lib/cpu.mjs';
import { TENANT, api, hooklaneUnavailable, setupTenant, withHooklane } from '../lib/hooklane.mjs';
import { openLoop } from '../lib/load.mjs';
import { eventBody, newSecret, signerFor } from '../lib/payload.mjs';
import { notAvailable } from '../lib/report.mjs';
import { percentile } from '../lib/stats.mjs';

export const id = 8;
export const title = 'inbound: signed requests to a source';
export const needs = [];

const METRICS = ['requests answered/s, 64 in flight', 'p99 at 1,000 requests/s'];
const RATE = 1000;

function signedRequests(path, secret) {
  const sign = signerFor(secret);
  return (i, phase) => {
    const id = `msg_${phase}_${i}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const body = eventBody(i);
    return {
      path,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': sign(id, timestamp, body),
      },
      body,
    };
  };
}

async function measure(origin, request, quick, cpuOf) {
  const saturated = await measureAccepted({ origins: [origin], request, quick, cpuOf });
  const latencies = [];
  const fixed = await openLoop({
    origins: [origin],
    ratePerSec: RATE,
    durationMs: quick ? 3000 : 15_000,
    request: (i) => request(i, 'fixed'),
    onDone: (_i, status, dueAt, doneAt) => {
      if (status >= 200 && status < 300) latencies.push(doneAt - dueAt);
    },
  });
  return {
    perSec: saturated.perSec,
    saturated,
    fixed_rate: {
      rate_per_s: RATE,
      ok: fixed.ok,
      sent: fixed.sent,
      dropped: fixed.dropped,
      statuses: fixed.statuses,
    },
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
  };
}

/** creates a source; null when this hooklane has no sources API */
async function createSource(url, secret) {
  const path = `/v1/tenants/${TENANT}/sources`;
  const res = await api(url).raw('POST', path, {
    name: 'bench',
    verification: { type: 'standard_webhooks', secret },
  });
  if (res.status === 404) return null;
  if (res.status !== 201)
    throw new Error(`POST ${path} → ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body;
}

export async function run({ quick }) {
  const unavailable = hooklaneUnavailable();
  if (unavailable) return notAvailable(METRICS, unavailable);
  const secret = newSecret();
  const hooklane = await withHooklane({ engine: 'sqlite' }, async ({ url, servers }) => {
    await setupTenant(url, []);
    const source = await createSource(url, secret);
    if (source === null) return null;
    return measure(url, signedRequests(new URL(source.url).pathname, secret), quick, {
      hooklane: servers[0].pid,
    });
  });
  if (hooklane === null)
    return notAvailable(METRICS, 'this hooklane has no sources API (POST /v1/tenants/{t}/sources → 404)');
  if (hooklane.saturated.ok !== hooklane.saturated.sent) {
    throw new Error(`hooklane refused signed requests: ${JSON.stringify(hooklane.saturated.statuses)}`);
  }
  const bare = await startBareFastify();
  let bareResult;
  try {
    bareResult = await measure(bare.url, signedRequests('/in/bench-token', secret), quick, {
      'bare Fastify': bare.pid,
    });
  } finally {
    await bare.stop();
  }
  return {
    rows: [
      {
        metric: METRICS[0],
        value: hooklane.perSec,
        unit: '/s',
        denominator: { label: 'bare Fastify', value: bareResult.perSec },
        target: { ratio: 0.5 },
        note: `${describeCpu(hooklane.saturated.cpu, 'request')}; ${describeCpu(bareResult.saturated.cpu, 'request')}`,
      },
      {
        metric: METRICS[1],
        value: hooklane.p99_ms,
        unit: 'ms',
        target: { max: 10 },
        note: `p50 ${hooklane.p50_ms?.toFixed(2)} ms; bare Fastify p50 ${bareResult.p50_ms?.toFixed(2)} ms, p99 ${bareResult.p99_ms?.toFixed(2)} ms`,
      },
    ],
    details: { hooklane, bare_fastify: bareResult },
  };
}
