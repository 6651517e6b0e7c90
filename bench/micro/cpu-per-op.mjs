#!/usr/bin/env node
/**
 * CPU time per operation of the hooklane process, per thread: the number a saturated 2-core machine
 * turns into throughput, and far less noisy than a rate when other work shares the cores. Runs a
 * real `hooklane serve` (dist/, or HOOKLANE_BENCH_CLI), a closed loop of 64 in flight for a few
 * seconds, and reads /proc/<pid>/task/<tid>/stat before and after. Not part of `npm run bench`.
 *
 *   node bench/micro/cpu-per-op.mjs ingest    # POST /events, webhook paused (like #3)
 *   node bench/micro/cpu-per-op.mjs deliver   # POST /events, delivered to a receiver (like #1)
 *   HOOKLANE_SQLITE_THREAD=false node bench/micro/cpu-per-op.mjs ingest
 */
import { readdirSync, readFileSync } from 'node:fs';
import { eventRequest } from '../lib/delivery.mjs';
import { setupTenant, withHooklane } from '../lib/hooklane.mjs';
import { closedLoop } from '../lib/load.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const mode = process.argv[2] ?? 'ingest';
const seconds = Number(process.argv[3] ?? 5);
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      out.set(tid, { name, us: (Number(f[11]) + Number(f[12])) * TICK_US });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

const receiver = mode === 'deliver' ? await startReceiver() : null;
try {
  await withHooklane({ engine: 'sqlite' }, async ({ url, servers }) => {
    const pid = servers[0].pid;
    await setupTenant(url, [
      receiver === null
        ? { url: 'http://127.0.0.1:9/never-called', paused: true }
        : { url: `${receiver.url}/hook`, max_in_flight: 64 },
    ]);
    await closedLoop({ origins: [url], inFlight: 64, durationMs: 1500, request: (i) => eventRequest(i, 'warm') });
    const before = threads(pid);
    const load = await closedLoop({
      origins: [url],
      inFlight: 64,
      durationMs: seconds * 1000,
      request: (i) => eventRequest(i, 'run'),
    });
    const after = threads(pid);
    const rows = [];
    let total = 0;
    for (const [tid, a] of after) {
      const us = a.us - (before.get(tid)?.us ?? 0);
      total += us;
      if (us > 0) rows.push({ thread: `${a.name} (${tid})`, us_per_event: +(us / load.ok).toFixed(1) });
    }
    rows.sort((x, y) => y.us_per_event - x.us_per_event);
    console.log(`${mode}: ${load.ok} events accepted, ${Math.round(load.perSec)}/s`);
    console.table(rows);
    console.log(`total CPU per event: ${(total / load.ok).toFixed(1)} µs`);
  });
} finally {
  await receiver?.stop();
}
