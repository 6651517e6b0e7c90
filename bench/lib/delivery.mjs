/**
 * The delivery measurement shared by the limit (#0), hooklane (#1, #2) and the peers (#9), so every
 * number in that family is taken the same way: warm up, then post for a fixed time with N in
 * flight, then wait until the receiver has every accepted message. Throughput is distinct arrivals
 * divided by (last arrival − first post): end to end, ingest and delivery overlapping.
 */
import { cpuMeter } from './cpu.mjs';
import { closedLoop } from './load.mjs';
import { EVENTS_PATH, EVENT_HEADERS } from './hooklane.mjs';
import { eventBody } from './payload.mjs';

/** `POST /v1/tenants/bench/events` request n, as hooklane and the peers accept it */
export function eventRequest(n) {
  return { path: EVENTS_PATH, headers: EVENT_HEADERS, body: eventBody(n) };
}

export function deliveryTiming(quick) {
  return {
    durationMs: quick ? 3000 : 15_000,
    warmup: quick ? 300 : 2000,
    drainTimeoutMs: quick ? 120_000 : 900_000,
  };
}

/**
 * `path`: count only arrivals on this receiver path (other webhooks may share the receiver).
 * `cpuOf`: {label: pid} of the processes besides the receiver whose CPU per delivery is reported.
 */
export async function measureDelivery({
  origins,
  receiver,
  quick,
  request = eventRequest,
  inFlight = 64,
  path,
  cpuOf = {},
}) {
  const { durationMs, warmup, drainTimeoutMs } = deliveryTiming(quick);
  const warm = await closedLoop({ origins, inFlight, count: warmup, request: (i) => request(-1 - i) });
  if (warm.ok === 0)
    throw new Error(`warm-up: nothing accepted (${JSON.stringify(warm.statuses)}, ${warm.firstError})`);
  await receiver.waitForUnique(warm.ok, {
    path,
    timeoutMs: 60_000,
    what: 'the warm-up messages at the receiver',
  });
  await receiver.reset();

  const meter = cpuMeter({ ...cpuOf, receiver: receiver.pid });
  const load = await closedLoop({ origins, inFlight, durationMs, request });
  if (load.ok === 0)
    throw new Error(`nothing accepted (${JSON.stringify(load.statuses)}, ${load.firstError})`);
  const s = await receiver.waitForUnique(load.ok, {
    timeoutMs: drainTimeoutMs,
    what: `${load.ok} deliveries`,
  });
  // up to the last arrival: ingest and delivery of everything accepted
  const cpu = meter.perOp(s.unique);
  return {
    perSec: s.unique / ((s.lastAt - load.startedAt) / 1000),
    cpu,
    accepted: load.ok,
    acceptedPerSec: load.perSec,
    rejected: load.sent - load.ok,
    statuses: load.statuses,
    delivered: s.unique,
    duplicates: s.duplicates,
    unsigned: s.unsigned,
    /** how long after the last accepted post the last delivery arrived */
    drainLagMs: s.lastAt - load.endedAt,
    postingMs: load.elapsedMs,
  };
}
