import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { StatsBucketRow } from '../../store/types.js';
import type { Api, ApiContext } from '../context.js';
import { iso, named, problemResponses, TenantParams } from '../schemas/common.js';

/**
 * Delivery health over a window, per time bucket: what operators chart. Bucket widths give 24–60
 * points per chart: 1h → 1 minute, 24h → 30 minutes, 7d → 6 hours. Buckets are aligned to
 * multiples of their width (UTC), and the last one contains "now".
 */
export const STATS_WINDOWS = {
  '1h': { windowMs: 3_600_000, bucketMs: 60_000 },
  '24h': { windowMs: 86_400_000, bucketMs: 1_800_000 },
  '7d': { windowMs: 604_800_000, bucketMs: 21_600_000 },
} as const;

const StatsQuerySchema = z.object({
  window: z.enum(['1h', '24h', '7d']).default('24h').describe('1h, 24h (default) or 7d'),
});

const Latency = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});
const Errors = z.object({
  timeout: z.number(),
  connect: z.number(),
  '4xx': z.number(),
  '5xx': z.number(),
  redirect: z.number(),
  blocked: z.number(),
  other: z.number(),
});
const BucketSchema = z.object({
  start: z.string().describe('bucket start (ISO-8601)'),
  events: z.number().describe('events received (per webhook: events it was owed)'),
  deliveries: z
    .object({
      succeeded: z.number(),
      failed: z.number(),
      pending: z.number().describe('pending or being delivered'),
      cancelled: z.number(),
    })
    .describe('deliveries created in the bucket, by current status'),
  success_rate: z.number().nullable().describe('succeeded / (succeeded + failed); null when none finished'),
  attempts: z.number().describe('attempts started in the bucket'),
  attempts_succeeded: z.number(),
  latency_ms: Latency.describe('attempt duration percentiles (nearest rank)'),
  errors: Errors.describe('failed attempts by error class'),
});
const StatsSchema = named(
  z.object({
    window: z.enum(['1h', '24h', '7d']),
    bucket_s: z.number(),
    since: z.string(),
    until: z.string(),
    webhook_id: z.string().nullable(),
    total: BucketSchema,
    buckets: z.array(BucketSchema),
  }),
  'Stats',
);

function present(b: StatsBucketRow) {
  const d = b.deliveries;
  const finished = d.succeeded + d.failed;
  return {
    start: iso(b.start),
    events: b.events,
    deliveries: {
      succeeded: d.succeeded,
      failed: d.failed,
      pending: d.pending + d.delivering,
      cancelled: d.cancelled,
    },
    success_rate: finished === 0 ? null : d.succeeded / finished,
    attempts: b.attempts,
    attempts_succeeded: b.attempts_succeeded,
    latency_ms: b.latency_ms,
    errors: {
      timeout: b.errors.timeout ?? 0,
      connect: b.errors.connect ?? 0,
      '4xx': b.errors['4xx'] ?? 0,
      '5xx': b.errors['5xx'] ?? 0,
      redirect: b.errors.redirect ?? 0,
      blocked: b.errors.blocked ?? 0,
      other: b.errors.other ?? 0,
    },
  };
}

/** the window ending with the bucket that contains `now` */
export function statsRange(window: keyof typeof STATS_WINDOWS, now: number) {
  const { windowMs, bucketMs } = STATS_WINDOWS[window];
  const until = (Math.floor(now / bucketMs) + 1) * bucketMs;
  return { since: until - windowMs, until, bucketMs };
}

export function registerStatsRoutes(app: Api, ctx: ApiContext): void {
  async function answer(tenant: string, window: keyof typeof STATS_WINDOWS, webhookId?: string) {
    const range = statsRange(window, ctx.clock.now());
    const { buckets, total } = await ctx.store.stats.series(tenant, { ...range, webhookId });
    return {
      window,
      bucket_s: range.bucketMs / 1000,
      since: iso(range.since),
      until: iso(range.until),
      webhook_id: webhookId ?? null,
      total: present(total),
      buckets: buckets.map(present),
    };
  }

  app.get(
    '/v1/tenants/:tenant/stats',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags: ['stats'],
        summary: 'Delivery health of a tenant per time bucket',
        params: TenantParams,
        querystring: StatsQuerySchema,
        response: { 200: StatsSchema, ...problemResponses },
      },
    },
    async (request) => answer(request.params.tenant, request.query.window),
  );

  app.get(
    '/v1/tenants/:tenant/webhooks/:id/stats',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags: ['stats'],
        summary: 'Delivery health of one webhook per time bucket',
        params: z.object({ tenant: z.string().max(64), id: z.string().max(128) }),
        querystring: StatsQuerySchema,
        response: { 200: StatsSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { tenant, id } = request.params;
      if ((await ctx.store.webhooks.get(tenant, id)) === null)
        throw new HooklaneError('not_found', 'webhook not found');
      return answer(tenant, request.query.window, id);
    },
  );
}
