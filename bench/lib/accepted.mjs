/**
 * Requests answered per second under a saturating closed loop (64 in flight), after a warm-up:
 * the measurement of the ingest (#3) and inbound (#8) scenarios and of their bare denominators.
 */
import { cpuMeter } from './cpu.mjs';
import { closedLoop } from './load.mjs';

/** `cpuOf`: {label: pid} of the server processes whose CPU per request is reported as `cpu` */
export async function measureAccepted({ origins, request, quick, inFlight = 64, cpuOf = {} }) {
  const warm = await closedLoop({
    origins,
    inFlight,
    durationMs: quick ? 500 : 2000,
    request: (i) => request(i, 'warm'),
  });
  if (warm.ok === 0)
    throw new Error(`warm-up: nothing accepted (${JSON.stringify(warm.statuses)}, ${warm.firstError})`);
  const meter = cpuMeter(cpuOf);
  const load = await closedLoop({
    origins,
    inFlight,
    durationMs: quick ? 3000 : 15_000,
    request: (i) => request(i, 'run'),
  });
  const cpu = load.ok > 0 ? meter.perOp(load.ok) : null;
  if (load.ok === 0)
    throw new Error(`nothing accepted (${JSON.stringify(load.statuses)}, ${load.firstError})`);
  return {
    perSec: load.perSec,
    sent: load.sent,
    ok: load.ok,
    statuses: load.statuses,
    errors: load.errors,
    firstError: load.firstError,
    elapsedMs: load.elapsedMs,
    cpu,
  };
}
