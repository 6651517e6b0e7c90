#!/usr/bin/env node
/**
 * Micro-benchmark of the SQLite engine's hot verbs, in process (no HTTP): ingest, claim and
 * complete of 1 KiB events with one matching webhook, at a few batch sizes. It shows where a
 * delivery's database time goes, to direct work on src/store/sqlite before the end-to-end suite
 * confirms a gain. Not part of `npm run bench`; not a pass/fail test.
 *
 *   node bench/micro/sqlite-verbs.mjs [deliveriesPerBatchSize=20000] [--dist path/to/dist]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const distAt = args.indexOf('--dist');
const DIST = resolve(distAt === -1 ? join(import.meta.dirname, '../../dist') : args[distAt + 1]);
const TOTAL = Number(args.find((a) => /^\d+$/.test(a)) ?? 20_000);
const load = (p) => import(pathToFileURL(join(DIST, p)).href);

const { openSqliteStore } = await load('src/store/sqlite/index.js');
const { buildEvent } = await load('src/ingest/events.js');
const { DEFAULT_RETRY_POLICY } = await load('src/domain/retry-policy.js');
const { newId } = await load('src/domain/ids.js');

const PAD = 'x'.repeat(870);
const dir = mkdtempSync(join(tmpdir(), 'hl-micro-'));
const store = await openSqliteStore({ path: join(dir, 'hl.db'), synchronous: 'NORMAL' });
await store.migrate();
// Experiments: HOOKLANE_MICRO_SQL runs after the migrations, on a second connection (DDL such as
// `DROP INDEX deliveries_status`), to price one schema change before writing its migration.
if (process.env.HOOKLANE_MICRO_SQL) {
  const { default: Database } = await import('better-sqlite3');
  const side = new Database(join(dir, 'hl.db'));
  side.exec(process.env.HOOKLANE_MICRO_SQL);
  side.close();
}
const BATCHES = (process.env.HOOKLANE_MICRO_BATCHES ?? '1,8,32,128').split(',').map(Number);
let now = Date.now();
await store.tenants.create({ id: 'bench', name: 'b', metadata: {}, created_at: now, updated_at: now });
await store.webhooks.create({
  id: newId('webhook', now),
  tenant_id: 'bench',
  url: 'http://127.0.0.1:9/hook',
  events: ['*'],
  description: '',
  active: true,
  paused: false,
  disabled_reason: null,
  headers: {},
  retry_policy: { ...DEFAULT_RETRY_POLICY },
  timeout_ms: 30_000,
  max_in_flight: 64,
  rate_limit_per_s: null,
  payload_format: 'envelope',
  metadata: {},
  secrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', expires_at: null }],
  listener_id: null,
  created_at: now,
  updated_at: now,
});

let n = 0;
/** CPU time (user + system) of this process, ms: on a shared machine wall time mostly measures the neighbours */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
async function round(batch) {
  const timing = { ingest: 0, claim: 0, complete: 0 };
  let done = 0;
  while (done < TOTAL) {
    now = Date.now();
    const inputs = Array.from({ length: batch }, () => ({
      event: buildEvent({ tenantId: 'bench', type: 'bench.delivery', data: { n: n++, pad: PAD } }, now),
    }));
    let t = cpuMs();
    await store.events.ingest(inputs, now);
    timing.ingest += cpuMs() - t;
    t = cpuMs();
    const claimed = await store.queue.claim({
      workerId: 'w1',
      limit: batch,
      now,
      leaseMarginMs: 5000,
      excludeWebhookIds: [],
      perWebhookLimit: batch,
    });
    timing.claim += cpuMs() - t;
    if (claimed.length !== batch) throw new Error(`claimed ${claimed.length} of ${batch}`);
    const completions = claimed.map((c) => ({
      tenant_id: c.delivery.tenant_id,
      delivery_id: c.delivery.id,
      outcome: 'succeeded',
      attempt: {
        tenant_id: c.delivery.tenant_id,
        id: newId('attempt', now),
        delivery_id: c.delivery.id,
        event_id: c.delivery.event_id,
        webhook_id: c.webhook.id,
        attempt_number: 1,
        started_at: now,
        duration_ms: 1,
        url: c.webhook.url,
        request_headers: {
          'content-type': 'application/json',
          'webhook-id': c.event.id,
          'webhook-timestamp': String(Math.floor(now / 1000)),
          'x-hooklane-event-type': c.event.type,
          'x-hooklane-webhook-id': c.webhook.id,
          'x-hooklane-attempt': '1',
        },
        response_status: 200,
        response_body: 'ok',
        error: null,
        error_class: null,
        succeeded: true,
      },
    }));
    t = cpuMs();
    await store.queue.complete('w1', completions, now);
    timing.complete += cpuMs() - t;
    done += batch;
  }
  const us = (ms) => ((ms * 1000) / done).toFixed(1).padStart(7);
  const all = timing.ingest + timing.claim + timing.complete;
  console.log(
    `batch ${String(batch).padStart(4)}: CPU µs per delivery  ingest ${us(timing.ingest)}  claim ${us(timing.claim)}  complete ${us(timing.complete)}  total ${us(all)}  (${Math.round((done * 1000) / all)}/s of database CPU time)`,
  );
}

try {
  for (const batch of BATCHES) await round(batch);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
