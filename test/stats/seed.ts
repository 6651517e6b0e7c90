/**
 * A seeded, deterministic delivery history written through the Store's own verbs (ingest, claim,
 * complete), and an independent recomputation of the stats from the rows the list verbs return.
 */
import { DEFAULT_RETRY_POLICY } from '../../src/domain/retry-policy.js';
import type { Attempt, Delivery, ErrorClass, Event, Webhook } from '../../src/domain/types.js';
import { generateSecret } from '../../src/signing/standard-webhooks.js';
import type { Completion, Store } from '../../src/store/types.js';

/** a small PRNG so failures reproduce */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function webhookRow(tenantId: string, id: string, now: number): Webhook {
  return {
    id,
    tenant_id: tenantId,
    url: 'https://example.com/hook',
    events: ['*'],
    description: '',
    active: true,
    paused: false,
    disabled_reason: null,
    headers: {},
    retry_policy: { ...DEFAULT_RETRY_POLICY },
    timeout_ms: 5000,
    max_in_flight: 16,
    rate_limit_per_s: null,
    payload_format: 'envelope',
    metadata: {},
    secrets: [{ secret: generateSecret(), expires_at: null }],
    listener_id: null,
    created_at: now,
    updated_at: now,
  };
}

function eventRow(tenantId: string, id: string, at: number): Event {
  const payload = JSON.stringify({ id, type: 'order.paid', timestamp: new Date(at).toISOString(), data: {} });
  return {
    tenant_id: tenantId,
    id,
    type: 'order.paid',
    timestamp: at,
    data: {},
    payload,
    idempotency_key: null,
    source_id: null,
    raw_body: null,
    raw_content_type: null,
    source_headers: null,
    created_at: at,
  };
}

const FAILURES: { cls: ErrorClass; status: number | null }[] = [
  { cls: 'timeout', status: null },
  { cls: 'connect', status: null },
  { cls: '4xx', status: 404 },
  { cls: '5xx', status: 500 },
];

/**
 * Two tenants (the second is noise that must never show up), two webhooks on `tenantId`, `events`
 * events spread over the 8 days before `now`; each delivery gets 0–3 attempts with random durations
 * and error classes, and ends succeeded, failed, pending (retry) or left delivering.
 */
export async function seedHistory(
  store: Store,
  opts: { tenantId: string; noiseTenantId: string; now: number; events: number; seed: number },
): Promise<{ webhookIds: string[] }> {
  const rnd = prng(opts.seed);
  const start = opts.now - 8 * 86_400_000;
  for (const t of [opts.tenantId, opts.noiseTenantId]) {
    await store.tenants.create({ id: t, name: t, metadata: {}, created_at: start, updated_at: start });
  }
  const webhookIds = ['wh_stats_a', 'wh_stats_b'];
  for (const id of webhookIds) await store.webhooks.create(webhookRow(opts.tenantId, id, start));
  await store.webhooks.create(webhookRow(opts.noiseTenantId, 'wh_noise', start));

  for (let i = 0; i < opts.events; i++) {
    // denser in the last hour, so the 1h window has data in most minutes
    const age = rnd() < 0.4 ? Math.floor(rnd() * 3_600_000) : Math.floor(rnd() * 8 * 86_400_000);
    const at = opts.now - age;
    const tenant = rnd() < 0.15 ? opts.noiseTenantId : opts.tenantId;
    await store.events.ingest([{ event: eventRow(tenant, `e${i}`, at) }], at);
  }

  // Lease everything (all due by `now`), then finish each delivery with its planned attempts.
  const workerId = 'seed-worker';
  const leased = [];
  for (;;) {
    const claimed = await store.queue.claim({
      workerId,
      limit: 250,
      now: opts.now,
      leaseMarginMs: 3_600_000,
      excludeWebhookIds: [],
      perWebhookLimit: 250,
    });
    if (claimed.length === 0) break;
    leased.push(...claimed);
  }
  const finals: Completion[] = [];
  const earlier: Completion[] = [];
  for (const c of leased) {
    const d = c.delivery;
    const plan = rnd();
    if (plan < 0.08) continue; // left delivering (counted as pending)
    const attempts = 1 + Math.floor(rnd() * 3);
    const finalOk = plan < 0.7;
    const finalOutcome: Completion['outcome'] = finalOk ? 'succeeded' : plan < 0.88 ? 'failed' : 'retry';
    let t = d.created_at;
    for (let n = 1; n <= attempts; n++) {
      const last = n === attempts;
      const ok = last && finalOk;
      const failure = FAILURES[Math.floor(rnd() * FAILURES.length)]!;
      t += Math.floor(rnd() * 20_000);
      const attempt: Attempt = {
        tenant_id: d.tenant_id,
        id: `att_${d.id.slice(4)}_${n}`,
        delivery_id: d.id,
        event_id: d.event_id,
        webhook_id: d.webhook_id,
        attempt_number: n,
        started_at: t,
        duration_ms: 1 + Math.floor(rnd() * rnd() * 3000),
        url: c.webhook.url,
        request_headers: {},
        response_status: ok ? 200 : failure.status,
        response_body: null,
        error: ok ? null : failure.cls,
        error_class: ok ? null : failure.cls,
        succeeded: ok,
      };
      const outcome: Completion['outcome'] = last ? finalOutcome : 'retry';
      (last ? finals : earlier).push({
        tenant_id: d.tenant_id,
        delivery_id: d.id,
        attempt,
        outcome,
        ...(outcome === 'retry' ? { next_attempt_at: opts.now + 86_400_000 } : {}),
      });
    }
  }
  // The final outcome moves each delivery on; the earlier attempts, completed after it, find the
  // lease gone and only record their attempt rows (the store's guarded-completion rule).
  await store.queue.complete(workerId, finals, opts.now);
  await store.queue.complete(workerId, earlier, opts.now);
  return { webhookIds };
}

export interface Expected {
  events: number;
  succeeded: number;
  failed: number;
  pending: number;
  attempts: number;
  ok: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  errors: Record<string, number>;
}

/** everything of a tenant, through the list verbs (not the stats SQL) */
export async function readAll(store: Store, tenantId: string) {
  const events: Event[] = [];
  let before: string | null = null;
  do {
    const page = await store.events.list(tenantId, {}, { limit: 250, before });
    events.push(...page.data);
    before = page.next;
  } while (before !== null);
  const deliveries: Delivery[] = [];
  before = null;
  do {
    const page = await store.deliveries.list(tenantId, {}, { limit: 250, before });
    deliveries.push(...page.data);
    before = page.next;
  } while (before !== null);
  const attempts: Attempt[] = [];
  for (const d of deliveries) attempts.push(...(await store.deliveries.attempts(tenantId, d.id)));
  return { events, deliveries, attempts };
}

function nearestRank(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

export function expectedBuckets(
  rows: Awaited<ReturnType<typeof readAll>>,
  range: { since: number; until: number; bucketMs: number },
  webhookId?: string,
): { buckets: Expected[]; total: Expected } {
  const n = Math.ceil((range.until - range.since) / range.bucketMs);
  const make = (): Expected & { durations: number[] } => ({
    events: 0,
    succeeded: 0,
    failed: 0,
    pending: 0,
    attempts: 0,
    ok: 0,
    p50: null,
    p95: null,
    p99: null,
    errors: { timeout: 0, connect: 0, '4xx': 0, '5xx': 0, redirect: 0, blocked: 0, other: 0 },
    durations: [],
  });
  const buckets = Array.from({ length: n }, make);
  const total = make();
  const slot = (t: number) =>
    t >= range.since && t < range.until ? Math.floor((t - range.since) / range.bucketMs) : -1;
  const deliveries = rows.deliveries.filter((d) => webhookId === undefined || d.webhook_id === webhookId);
  // for one webhook, "events" are the events it was owed: its deliveries
  const received = webhookId === undefined ? rows.events : deliveries;
  for (const r of received) {
    const b = slot(r.created_at);
    if (b < 0) continue;
    buckets[b]!.events++;
    total.events++;
  }
  for (const d of deliveries) {
    const b = slot(d.created_at);
    if (b < 0) continue;
    const key = d.status === 'delivering' ? 'pending' : d.status;
    if (key === 'cancelled') continue;
    buckets[b]![key]++;
    total[key]++;
  }
  for (const a of rows.attempts) {
    if (webhookId !== undefined && a.webhook_id !== webhookId) continue;
    const b = slot(a.started_at);
    if (b < 0) continue;
    for (const x of [buckets[b]!, total]) {
      x.attempts++;
      x.durations.push(a.duration_ms);
      if (a.succeeded) x.ok++;
      else x.errors[a.error_class ?? 'other'] = (x.errors[a.error_class ?? 'other'] ?? 0) + 1;
    }
  }
  for (const x of [...buckets, total]) {
    x.durations.sort((p, q) => p - q);
    x.p50 = nearestRank(x.durations, 50);
    x.p95 = nearestRank(x.durations, 95);
    x.p99 = nearestRank(x.durations, 99);
  }
  const strip = ({ durations: _d, ...rest }: Expected & { durations: number[] }): Expected => rest;
  return { buckets: buckets.map(strip), total: strip(total) };
}
