import type pg from 'pg';
import type { ClaimOptions, ClaimedDelivery } from '../../types.js';
import type { Webhook } from '../../../domain/types.js';
import type { DeliveryRow, WebhookRow } from '../../kysely/database.js';
import { toDelivery, toWebhook } from '../../kysely/rows.js';

/**
 * claim: one statement takes a batch of due deliveries and sets this worker's lease on them.
 *
 * 1. `serve` reads webhook_due (migration 5) in due order, only the rows whose time has come, each
 *    joined to its webhook: kept if this worker may serve it (active, not paused, not excluded), or
 *    if the webhook is gone (its deliveries are not read: the row counts as early, below, and its
 *    settle removes it). A webhook whose work is not due yet costs nothing, one that is held
 *    (paused, at its cap) costs its one row, whatever its backlog.
 * 2. `pend` reads, for each of those webhooks in turn, up to perWebhookLimit of its oldest due rows
 *    (deliveries_pending); a webhook with none gives one empty row: its webhook_due row was early
 *    (its deliveries claimed or cancelled since). It stops once it holds `window` due rows (a
 *    running count, which PostgreSQL turns into a run condition that ends the scan), so early rows
 *    never take the place of due work. `due` adds expired leases (a crashed worker's) from
 *    deliveries_leased, in expiry order, of webhooks this worker may serve, at most `window`. No
 *    locks yet.
 * 3. `fair` keeps at most perWebhookLimit rows per webhook (an expired lease and pending rows of
 *    one webhook share its share).
 * 4. `locked` locks them with FOR UPDATE SKIP LOCKED, oldest due first, up to `limit`: a row another
 *    worker is claiming right now is skipped, not waited for, and a row another worker claimed and
 *    committed since step 2 fails the re-checked condition. So concurrent claimers never get the
 *    same row.
 * 5. The UPDATE sets the lease (now + the webhook's timeout + margin) and returns what the worker
 *    needs to send: the delivery, its event's payload bytes and its webhook; and one more row
 *    (FULL JOIN ON false) naming the webhooks whose row was early, which claim() then settles
 *    (hooklane_webhook_due_settle: set to the webhook's oldest pending delivery, or removed), so
 *    each costs this one visit until its time.
 *
 * Sent as an unnamed statement, so it is planned with the actual batch sizes every time. Keep each
 * LIMIT a parameter the planner can read: with the LATERAL's LIMIT as a per-row expression (a cap of
 * window ÷ webhooks, tried on 2026-12-04) it estimated thousands of rows and hashed all of
 * `deliveries` to lock them, 133 ms behind 100,000 held rows instead of a few primary-key probes.
 */
const WINDOW_FACTOR = 4;

export const CLAIM_SQL = `
WITH serve AS (
  SELECT wd.tenant_id, wd.webhook_id, wd.due_at, w.id IS NULL AS gone
  FROM webhook_due wd LEFT JOIN webhooks w ON w.tenant_id = wd.tenant_id AND w.id = wd.webhook_id
  WHERE wd.due_at <= $1
    AND (w.id IS NULL OR (w.active = 1 AND w.paused = 0 AND wd.webhook_id <> ALL ($4::text[])))
  ORDER BY wd.due_at, wd.tenant_id, wd.webhook_id
),
pend AS MATERIALIZED (
  SELECT tenant_id, webhook_id, id, due_at FROM (
    SELECT s.tenant_id, s.webhook_id, p.id, p.due_at,
      count(*) FILTER (WHERE p.id IS NOT NULL)
        OVER (ORDER BY s.due_at, s.tenant_id, s.webhook_id ROWS UNBOUNDED PRECEDING) AS taken
    FROM serve s LEFT JOIN LATERAL (
      SELECT d.id, d.next_attempt_at AS due_at
      FROM deliveries d
      WHERE NOT s.gone AND d.tenant_id = s.tenant_id AND d.webhook_id = s.webhook_id
        AND d.status = 'pending' AND d.next_attempt_at <= $1
      ORDER BY d.next_attempt_at
      LIMIT $6
    ) p ON true
  ) visited
  WHERE taken <= $5
),
due AS (
  SELECT tenant_id, id, webhook_id, due_at FROM pend WHERE id IS NOT NULL
  UNION ALL
  (SELECT d.tenant_id, d.id, d.webhook_id, d.lease_expires_at AS due_at
   FROM deliveries d
   JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
   WHERE d.status = 'delivering' AND d.lease_expires_at <= $1
     AND w.active = 1 AND w.paused = 0 AND d.webhook_id <> ALL ($4::text[])
   ORDER BY d.lease_expires_at
   LIMIT $5)
),
fair AS (
  SELECT tenant_id, id, due_at
  FROM (SELECT due.*, row_number() OVER (PARTITION BY tenant_id, webhook_id ORDER BY due_at) AS rank FROM due) ranked
  WHERE rank <= $6
),
locked AS (
  SELECT d.tenant_id, d.id, f.due_at
  FROM fair f
  JOIN deliveries d ON d.tenant_id = f.tenant_id AND d.id = f.id
  WHERE (d.status = 'pending' AND d.next_attempt_at <= $1) OR (d.status = 'delivering' AND d.lease_expires_at <= $1)
  ORDER BY f.due_at
  LIMIT $7
  FOR UPDATE OF d SKIP LOCKED
),
leased AS (
  UPDATE deliveries d
  SET status = 'delivering', lease_owner = $2, lease_expires_at = $1 + w.timeout_ms + $3, updated_at = $1
  FROM locked l, webhooks w, events e
  WHERE d.tenant_id = l.tenant_id AND d.id = l.id
    AND w.tenant_id = d.tenant_id AND w.id = d.webhook_id
    AND e.tenant_id = d.tenant_id AND e.id = d.event_id
  RETURNING l.due_at, d.*, row_to_json(w.*) AS webhook,
    e.type AS event_type_name, e.payload AS event_payload, e.raw_body AS event_raw_body,
    e.raw_content_type AS event_raw_content_type, e.source_id AS event_source_id
),
early AS (
  SELECT array_agg(tenant_id) AS early_tenants, array_agg(webhook_id) AS early_webhooks
  FROM pend WHERE id IS NULL
  HAVING count(*) > 0
)
SELECT * FROM leased FULL JOIN early ON false`;

/** hooklane_webhook_due_settle (migration 5) for the webhooks a claim found early */
export const SETTLE_SQL = 'SELECT hooklane_webhook_due_settle($1::text[], $2::text[]) AS settled';
/**
 * webhooks per settle: each takes two advisory locks (its key, its bucket) until its transaction
 * ends, and every one is an entry in PostgreSQL's shared lock table (a claim that found 20,000
 * early rows, settled at once, ran it out of shared memory)
 */
const SETTLE_CHUNK = 500;

async function settle(pool: pg.Pool, tenants: string[], webhooks: string[]): Promise<void> {
  for (let i = 0; i < tenants.length; i += SETTLE_CHUNK) {
    await pool.query(SETTLE_SQL, [tenants.slice(i, i + SETTLE_CHUNK), webhooks.slice(i, i + SETTLE_CHUNK)]);
  }
}

/** the parameters of CLAIM_SQL, also used to EXPLAIN it */
export function claimParams(opts: ClaimOptions): unknown[] {
  const window = opts.perWebhookLimit >= opts.limit ? opts.limit : opts.limit * WINDOW_FACTOR;
  return [
    opts.now,
    opts.workerId,
    opts.leaseMarginMs,
    opts.excludeWebhookIds,
    window,
    opts.perWebhookLimit,
    opts.limit,
  ];
}

interface ClaimRow extends DeliveryRow {
  /** null on the one row that names the early webhooks instead */
  due_at: number;
  webhook: WebhookRow;
  event_type_name: string;
  event_payload: string;
  event_raw_body: Buffer | null;
  event_raw_content_type: string | null;
  event_source_id: string | null;
  early_tenants: string[] | null;
  early_webhooks: string[] | null;
}

export async function claim(pool: pg.Pool, opts: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (opts.limit <= 0) return [];
  const { rows: all } = await pool.query<ClaimRow>(CLAIM_SQL, claimParams(opts));
  const rows: ClaimRow[] = [];
  for (const row of all) {
    if (row.early_tenants === null) rows.push(row);
    else await settle(pool, row.early_tenants, row.early_webhooks!);
  }
  // RETURNING has no order: restore oldest-due-first. Webhooks are parsed once per claim, and the
  // deliveries of one event share one event object (a fan-out's copies of the payload are dropped).
  rows.sort((a, b) => a.due_at - b.due_at);
  const webhooks = new Map<string, Webhook>();
  const events = new Map<string, ClaimedDelivery['event']>();
  return rows.map((row) => {
    const key = `${row.tenant_id}\u0000${row.webhook_id}`;
    let webhook = webhooks.get(key);
    if (webhook === undefined) {
      webhook = toWebhook(row.webhook);
      webhooks.set(key, webhook);
    }
    const eventKey = `${row.tenant_id}\u0000${row.event_id}`;
    let event = events.get(eventKey);
    if (event === undefined) {
      event = {
        id: row.event_id,
        type: row.event_type_name,
        payload: row.event_payload,
        raw_body: row.event_raw_body,
        raw_content_type: row.event_raw_content_type,
        source_id: row.event_source_id,
      };
      events.set(eventKey, event);
    }
    return { delivery: toDelivery(row), event, webhook };
  });
}
