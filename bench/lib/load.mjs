/**
 * The load generator: an undici Pool per target origin with keep-alive connections, one request
 * per connection at a time (no pipelining: no real client pipelines POSTs). It runs in the harness
 * process, which does nothing else while a measurement runs.
 */
import { Pool } from 'undici';
import { nowMs } from './stats.mjs';

function pools(origins, connections) {
  const per = Math.max(1, Math.ceil(connections / origins.length));
  return origins.map((o) => new Pool(o, { connections: per, pipelining: 1, keepAliveTimeout: 60_000 }));
}

async function send(pool, req) {
  const res = await pool.request({
    method: req.method ?? 'POST',
    path: req.path,
    headers: req.headers,
    body: req.body,
  });
  await res.body.dump();
  return res.statusCode;
}

function tally() {
  return { sent: 0, ok: 0, errors: 0, statuses: {}, firstError: null };
}

function count(t, status, err) {
  if (err) {
    t.errors++;
    t.firstError ??= String(err.message ?? err);
    return;
  }
  t.statuses[status] = (t.statuses[status] ?? 0) + 1;
  if (status >= 200 && status < 300) t.ok++;
}

/**
 * Closed loop: `inFlight` requests outstanding at all times, spread over `origins`, until `count`
 * requests were sent or `durationMs` passed (whichever comes first). `request(i)` returns
 * `{path, headers, body, method?}`. `onDone(i, status, sentAt, doneAt)` sees every answer.
 * Returns the tally and the elapsed time; `perSec` counts 2xx answers only.
 */
export async function closedLoop({
  origins,
  inFlight,
  durationMs = Infinity,
  count: total = Infinity,
  request,
  onDone,
}) {
  const ps = pools(origins, inFlight);
  const t = tally();
  const startedAt = nowMs();
  const deadline = startedAt + durationMs;
  let next = 0;
  const loops = Array.from({ length: inFlight }, async (_, w) => {
    const pool = ps[w % ps.length];
    for (;;) {
      if (next >= total || nowMs() >= deadline) return;
      const i = next++;
      t.sent++;
      const sentAt = nowMs();
      let status = 0;
      try {
        status = await send(pool, request(i));
        count(t, status);
      } catch (e) {
        count(t, 0, e);
      }
      onDone?.(i, status, sentAt, nowMs());
    }
  });
  await Promise.all(loops);
  const endedAt = nowMs();
  await Promise.all(ps.map((p) => p.close()));
  const elapsedMs = endedAt - startedAt;
  return { ...t, startedAt, endedAt, elapsedMs, perSec: (t.ok * 1000) / elapsedMs };
}

/**
 * Open loop at a fixed rate: request i is due at start + i/rate whatever happened to earlier ones,
 * and its latency is measured from that due time (no coordinated omission). At most `maxInFlight`
 * are outstanding; a request that finds the cap reached is counted in `dropped`, not sent late.
 */
export async function openLoop({ origins, ratePerSec, durationMs, maxInFlight = 256, request, onDone }) {
  const ps = pools(origins, Math.min(maxInFlight, 64));
  const t = { ...tally(), dropped: 0 };
  const total = Math.floor((ratePerSec * durationMs) / 1000);
  const startedAt = nowMs();
  const pending = new Set();
  let i = 0;
  let outstanding = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((nowMs() - startedAt) * ratePerSec) / 1000) + 1);
    for (; i < due; i++) {
      if (outstanding >= maxInFlight) {
        t.dropped++;
        continue;
      }
      const n = i;
      const dueAt = startedAt + (n * 1000) / ratePerSec;
      outstanding++;
      t.sent++;
      const p = send(ps[n % ps.length], request(n)).then(
        (status) => {
          count(t, status);
          onDone?.(n, status, dueAt, nowMs());
        },
        (e) => {
          count(t, 0, e);
          onDone?.(n, 0, dueAt, nowMs());
        },
      );
      pending.add(p);
      p.finally(() => {
        outstanding--;
        pending.delete(p);
      });
    }
    // sleep until the next request is due (at least 1 ms): a slow side load must not wake the
    // load generator every millisecond, which costs every process on the machine CPU time
    const nextDueAt = startedAt + (i * 1000) / ratePerSec;
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, nextDueAt - nowMs())));
  }
  await Promise.all(pending);
  const endedAt = nowMs();
  await Promise.all(ps.map((p) => p.close()));
  return {
    ...t,
    startedAt,
    endedAt,
    elapsedMs: endedAt - startedAt,
    perSec: (t.ok * 1000) / (endedAt - startedAt),
  };
}
