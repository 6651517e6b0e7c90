import { sql, type Kysely } from 'kysely';
import type { DeliveryStatus } from '../../domain/types.js';
import { newId } from '../../domain/ids.js';
import type { StatsBucketRow, StatsQuery, StatsRepo } from '../types.js';
import type { Database } from './database.js';

/**
 * Delivery health per time bucket, computed from the stored rows with three range reads per call
 * (events, deliveries, attempts), each on an index that starts with tenant_id and then time:
 *
 *   events      (tenant_id, created_at)                      — or, per webhook, its deliveries
 *   deliveries  primary key (tenant_id, id): ids are time-sortable, so a time range is an id range;
 *               per webhook (tenant_id, webhook_id, created_at)
 *   attempts    (tenant_id, started_at) / (tenant_id, webhook_id, started_at)
 *
 * Percentiles are exact nearest-rank (the k-th smallest duration, k = ceil(p·n/100)), computed in the
 * database with ROW_NUMBER() over each bucket, so no duration list ever crosses the wire. The SQL is
 * the common subset of SQLite and PostgreSQL: integer division of integer epoch milliseconds puts
 * a row in its bucket on both. Bounds and bucket width are server-computed integers, inlined as
 * literals so neither engine has to guess a parameter's type in the arithmetic.
 */
const STATUSES: DeliveryStatus[] = ['pending', 'delivering', 'succeeded', 'failed', 'cancelled'];

type PoolStatus = () => { size: number; idle: number; waiting: number };

export function createStatsRepo(db: Kysely<Database>, pool: PoolStatus): StatsRepo {
  return {
    async series(tenantId, q) {
      const nBuckets = Math.ceil((q.until - q.since) / q.bucketMs);
      const buckets: StatsBucketRow[] = [];
      for (let i = 0; i < nBuckets; i++) buckets.push(emptyBucket(q.since + i * q.bucketMs));
      const total = emptyBucket(q.since);
      const at = (b: number): StatsBucketRow | undefined => buckets[b];

      for (const r of await eventCounts(db, tenantId, q)) {
        const n = Number(r.n);
        const bucket = at(Number(r.b));
        if (bucket) bucket.events += n;
        total.events += n;
      }
      for (const r of await deliveryCounts(db, tenantId, q)) {
        const n = Number(r.n);
        const status = r.status as DeliveryStatus;
        const bucket = at(Number(r.b));
        if (bucket) bucket.deliveries[status] += n;
        total.deliveries[status] += n;
      }
      for (const r of await attemptCounts(db, tenantId, q, true)) {
        const bucket = at(Number(r.b));
        if (bucket) fillAttempts(bucket, r);
      }
      for (const r of await attemptCounts(db, tenantId, q, false)) fillAttempts(total, r);
      return { buckets, total };
    },
    pool,
  };
}

function emptyBucket(start: number): StatsBucketRow {
  const deliveries = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
  return {
    start,
    events: 0,
    deliveries,
    attempts: 0,
    attempts_succeeded: 0,
    latency_ms: { p50: null, p95: null, p99: null },
    errors: {},
  };
}

/** the bucket number of a time column */
function bucketOf(column: string, q: StatsQuery) {
  return sql<number>`(${sql.ref(column)} - ${sql.lit(q.since)}) / ${sql.lit(q.bucketMs)}`;
}

function eventCounts(db: Kysely<Database>, tenantId: string, q: StatsQuery) {
  if (q.webhookId !== undefined) {
    // for one webhook, "events received" are the events it was owed: its deliveries
    return db
      .selectFrom('deliveries')
      .select([bucketOf('created_at', q).as('b'), sql<number>`COUNT(*)`.as('n')])
      .where('tenant_id', '=', tenantId)
      .where('webhook_id', '=', q.webhookId)
      .where('created_at', '>=', sql.lit(q.since))
      .where('created_at', '<', sql.lit(q.until))
      .groupBy(sql`1`)
      .execute();
  }
  return db
    .selectFrom('events')
    .select([bucketOf('created_at', q).as('b'), sql<number>`COUNT(*)`.as('n')])
    .where('tenant_id', '=', tenantId)
    .where('created_at', '>=', sql.lit(q.since))
    .where('created_at', '<', sql.lit(q.until))
    .groupBy(sql`1`)
    .execute();
}

function deliveryCounts(db: Kysely<Database>, tenantId: string, q: StatsQuery) {
  let query = db
    .selectFrom('deliveries')
    .select([bucketOf('created_at', q).as('b'), 'status', sql<number>`COUNT(*)`.as('n')])
    .where('tenant_id', '=', tenantId);
  if (q.webhookId !== undefined) {
    query = query
      .where('webhook_id', '=', q.webhookId)
      .where('created_at', '>=', sql.lit(q.since))
      .where('created_at', '<', sql.lit(q.until));
  } else {
    // The id carries its creation time (newId('delivery', now)), so this range is the primary key's.
    query = query
      .where('id', '>=', idBound(q.since))
      .where('id', '<', idBound(q.until))
      .where('created_at', '>=', sql.lit(q.since))
      .where('created_at', '<', sql.lit(q.until));
  }
  return query.groupBy([sql`1`, 'status']).execute();
}

/** the smallest delivery id of a millisecond: `dlv_` + its 10 time characters */
function idBound(ms: number): string {
  return newId('delivery', ms).slice(0, 14);
}

interface AttemptAggregate {
  b: number;
  n: number;
  ok: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  timeout: number;
  connect: number;
  c4xx: number;
  c5xx: number;
  redirect: number;
  blocked: number;
  other: number;
}

async function attemptCounts(
  db: Kysely<Database>,
  tenantId: string,
  q: StatsQuery,
  perBucket: boolean,
): Promise<AttemptAggregate[]> {
  const bucket = perBucket ? bucketOf('started_at', q) : sql<number>`0`;
  const webhookFilter = q.webhookId !== undefined ? sql`AND webhook_id = ${q.webhookId}` : sql``;
  const rank = (p: number) => sql`(cnt * ${sql.lit(p)} + 99) / 100`;
  const cls = (c: string) =>
    sql<number>`SUM(CASE WHEN succeeded = 0 AND error_class = ${sql.lit(c)} THEN 1 ELSE 0 END)`;
  const res = await sql<AttemptAggregate>`
    SELECT b,
           COUNT(*) AS n,
           SUM(succeeded) AS ok,
           MAX(CASE WHEN rn = ${rank(50)} THEN duration_ms END) AS p50,
           MAX(CASE WHEN rn = ${rank(95)} THEN duration_ms END) AS p95,
           MAX(CASE WHEN rn = ${rank(99)} THEN duration_ms END) AS p99,
           ${cls('timeout')} AS timeout,
           ${cls('connect')} AS connect,
           ${cls('4xx')} AS c4xx,
           ${cls('5xx')} AS c5xx,
           ${cls('redirect')} AS redirect,
           ${cls('blocked')} AS blocked,
           SUM(CASE WHEN succeeded = 0 AND (error_class IS NULL OR error_class NOT IN
                 ('timeout', 'connect', '4xx', '5xx', 'redirect', 'blocked')) THEN 1 ELSE 0 END) AS other
      FROM (SELECT ${bucket} AS b, duration_ms, succeeded, error_class,
                   ROW_NUMBER() OVER (PARTITION BY ${bucket} ORDER BY duration_ms) AS rn,
                   COUNT(*) OVER (PARTITION BY ${bucket}) AS cnt
              FROM attempts
             WHERE tenant_id = ${tenantId} ${webhookFilter}
               AND started_at >= ${sql.lit(q.since)} AND started_at < ${sql.lit(q.until)}) ranked
     GROUP BY b`.execute(db);
  return res.rows;
}

function fillAttempts(bucket: StatsBucketRow, r: AttemptAggregate): void {
  bucket.attempts = Number(r.n);
  bucket.attempts_succeeded = Number(r.ok);
  const num = (v: number | null) => (v === null ? null : Number(v));
  bucket.latency_ms = { p50: num(r.p50), p95: num(r.p95), p99: num(r.p99) };
  const errors: Record<string, number> = {
    timeout: Number(r.timeout),
    connect: Number(r.connect),
    '4xx': Number(r.c4xx),
    '5xx': Number(r.c5xx),
    redirect: Number(r.redirect),
    blocked: Number(r.blocked),
    other: Number(r.other),
  };
  bucket.errors = errors;
}
