#!/usr/bin/env node
/**
 * CPU time per operation of every process of a workload, per thread for hooklane: the number a
 * saturated 2-core machine turns into throughput, and far less noisy than a rate when other work
 * shares the cores. A closed loop of 64 in flight runs for a few seconds; /proc/<pid>/task/*\/stat is
 * read before and after (the load generator is this process). Not part of `npm run bench`.
 *
 *   node bench/micro/cpu-per-op.mjs limit     # bare undici → bare node:http receiver (like #0)
 *   node bench/micro/cpu-per-op.mjs bare      # bare Fastify answering 202 (the denominator of #3)
 *   node bench/micro/cpu-per-op.mjs ingest    # POST /events, webhook paused (like #3)
 *   node bench/micro/cpu-per-op.mjs deliver   # POST /events, delivered to a receiver (like #1)
 *   node bench/micro/cpu-per-op.mjs fanout    # POST /events, each to 100 webhooks, 8 in flight (like #5); per delivery
 *   HOOKLANE_SQLITE_THREAD=false node bench/micro/cpu-per-op.mjs deliver
 *   node bench/micro/cpu-per-op.mjs deliver 5 postgres   # [seconds] [engine]: hooklane on PostgreSQL, its CPU counted
 */
import { readdirSync } from 'node:fs';
import { startBareFastify } from '../lib/bare.mjs';
import { POSTGRES, commandCpuUs, statCpuUs } from '../lib/cpu.mjs';
import { eventRequest } from '../lib/delivery.mjs';
import { setupTenant, withHooklane } from '../lib/hooklane.mjs';
import { closedLoop } from '../lib/load.mjs';
import { nowMs } from '../lib/stats.mjs';
import { limitBody } from '../lib/payload.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { fanOutWebhooks } from '../scenarios/05-fanout.mjs';

const MODES = ['limit', 'bare', 'ingest', 'deliver', 'fanout'];
const mode = process.argv[2] ?? 'deliver';
const seconds = Number(process.argv[3] ?? 5);
/** hooklane's store: sqlite (default) or postgres (a fresh database; PostgreSQL's CPU is counted) */
const engine = process.argv[4] ?? 'sqlite';
if (!MODES.includes(mode)) {
  console.error(`usage: node bench/micro/cpu-per-op.mjs <${MODES.join('|')}> [seconds]`);
  process.exit(2);
}
/** CPU µs used so far by each thread of a process */
function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const us = statCpuUs(`/proc/${pid}/task/${tid}/stat`); // null: the thread ended meanwhile
    if (us !== null) out.set(tid, us);
  }
  return out;
}

const limitRequest = (n) => ({
  path: '/limit',
  headers: { 'content-type': 'application/json', 'webhook-id': `msg_${n}` },
  body: limitBody(n),
});

/**
 * runs the loop and prints CPU µs per operation of each process (hooklane: per thread). `settle`
 * runs after the loop, before CPU is read, and returns the operations done (fan-out: the loop's
 * events owe deliveries that arrive later, and an operation is one delivery).
 */
async function measure({ origins, request, processes, inFlight = 64, settle = async (load) => load.ok }) {
  await settle(await closedLoop({ origins, inFlight, durationMs: 1500, request: (i) => request(i, 'warm') }));
  const before = processes.map((p) => (p.pid === POSTGRES ? null : threads(p.pid)));
  const pgBefore = commandCpuUs(POSTGRES.command);
  const self0 = process.cpuUsage();
  const loop = await closedLoop({
    origins,
    inFlight,
    durationMs: seconds * 1000,
    request: (i) => request(i, 'run'),
  });
  const load = { ok: await settle(loop), perSec: 0 };
  load.perSec = load.ok / ((nowMs() - loop.startedAt) / 1000);
  const self = process.cpuUsage(self0);
  const rows = [{ process: 'load generator', us_per_op: (self.user + self.system) / load.ok }];
  processes.forEach((p, i) => {
    if (p.pid === POSTGRES) {
      rows.push({ process: p.name, us_per_op: (commandCpuUs(POSTGRES.command) - pgBefore) / load.ok });
      return;
    }
    const after = threads(p.pid);
    let tid0 = null;
    const perThread = [];
    for (const [tid, us] of after) {
      tid0 ??= tid; // the first task is the main thread
      const used = us - (before[i].get(tid) ?? 0);
      if (used > 0) perThread.push({ tid, used });
    }
    const total = perThread.reduce((a, t) => a + t.used, 0);
    rows.push({ process: p.name, us_per_op: total / load.ok });
    if (p.threads) {
      // every thread that used 1 µs per operation or more. Node 20 leaves worker threads unnamed
      // (all are "node" in /proc): on SQLite the busiest after the main thread is hooklane-sqlite,
      // then the checkpointer (created next, so its tid follows) and V8's platform (GC) threads
      for (const t of perThread.sort((a, b) => b.used - a.used).filter((t) => t.used >= load.ok)) {
        rows.push({
          process: `  ${t.tid === tid0 ? 'main thread' : `thread ${t.tid}`}`,
          us_per_op: t.used / load.ok,
        });
      }
    }
  });
  const sum = rows.filter((r) => !r.process.startsWith('  ')).reduce((a, r) => a + r.us_per_op, 0);
  console.log(`${mode}: ${load.ok} operations, ${Math.round(load.perSec)}/s`);
  console.table(rows.map((r) => ({ ...r, us_per_op: +r.us_per_op.toFixed(1) })));
  console.log(
    `all processes: ${sum.toFixed(1)} µs of CPU per operation → at most ${Math.round(2e6 / sum)}/s on 2 cores`,
  );
}

if (mode === 'limit') {
  const receiver = await startReceiver();
  try {
    await measure({
      origins: [receiver.url],
      request: limitRequest,
      processes: [{ name: 'receiver', pid: receiver.pid }],
    });
  } finally {
    await receiver.stop();
  }
} else if (mode === 'bare') {
  const bare = await startBareFastify();
  try {
    await measure({
      origins: [bare.url],
      request: eventRequest,
      processes: [{ name: 'bare Fastify', pid: bare.pid }],
    });
  } finally {
    await bare.stop();
  }
} else if (mode === 'fanout') {
  const receiver = await startReceiver();
  let arrived = 0;
  try {
    await withHooklane({ engine }, async ({ url, servers }) => {
      const webhooks = fanOutWebhooks(receiver.url);
      await setupTenant(url, webhooks);
      await measure({
        origins: [url],
        request: eventRequest,
        inFlight: 8,
        processes: [
          { name: 'hooklane', pid: servers[0].pid, threads: true },
          ...(engine === 'postgres' ? [{ name: POSTGRES.label, pid: POSTGRES }] : []),
          { name: 'receiver', pid: receiver.pid },
        ],
        // every delivery of the loop's events has arrived (none of the next loop's are counted)
        settle: async (load) => {
          arrived += load.ok * webhooks.length;
          await receiver.waitForUnique(arrived, { timeoutMs: 300_000, what: 'the fan-out deliveries' });
          return load.ok * webhooks.length;
        },
      });
    });
  } finally {
    await receiver.stop();
  }
} else {
  const receiver = mode === 'deliver' ? await startReceiver() : null;
  try {
    await withHooklane({ engine }, async ({ url, servers }) => {
      await setupTenant(url, [
        receiver === null
          ? { url: 'http://127.0.0.1:9/never-called', paused: true }
          : { url: `${receiver.url}/hook`, max_in_flight: 64 },
      ]);
      const processes = [{ name: 'hooklane', pid: servers[0].pid, threads: true }];
      if (engine === 'postgres') processes.push({ name: POSTGRES.label, pid: POSTGRES });
      if (receiver !== null) processes.push({ name: 'receiver', pid: receiver.pid });
      await measure({ origins: [url], request: eventRequest, processes });
    });
  } finally {
    await receiver?.stop();
  }
}
