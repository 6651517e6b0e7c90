import type pg from 'pg';
import type { ClaimOptions, ClaimedDelivery } from '../../types.js';
import type { Webhook } from '../../../domain/types.js';
import type { DeliveryRow, WebhookRow } from '../../kysely/database.js';
import { toDelivery, toWebhook } from '../../kysely/rows.js';

/**
 * claim: one statement takes a batch of due deliveries and sets this worker's lease on them.
 *
 * 1. `hooks` visits the webhooks that have pending deliveries by skipping through deliveries_pending
 *    (tenant_id, webhook_id, next_attempt_at) from one webhook to the next: one index seek each,
 *    landing on its oldest pending row. A webhook's backlog is never walked, whatever its size.
 * 2. `serve` keeps the webhooks this worker may serve (active, not paused, not excluded) whose
 *    oldest row is due, oldest first, at most `limit` of them. `due` reads up to perWebhookLimit of
 *    each one's oldest due rows, plus expired leases (a crashed worker's) from deliveries_leased, in
 *    expiry order, of the same webhooks, at most `window`. No locks yet.
 * 3. `fair` keeps at most perWebhookLimit rows per webhook (an expired lease and pending rows of
 *    one webhook share its share).
 * 4. `locked` locks them with FOR UPDATE SKIP LOCKED, oldest due first, up to `limit`: a row another
 *    worker is claiming right now is skipped, not waited for, and a row another worker claimed and
 *    committed since step 2 fails the re-checked condition. So concurrent claimers never get the
 *    same row.
 * 5. The UPDATE sets the lease (now + the webhook's timeout + margin) and returns what the worker
 *    needs to send: the delivery, its event's payload bytes and its webhook.
 *
 * Sent as an unnamed statement, so it is planned with the actual batch sizes every time. Keep each
 * LIMIT a parameter the planner can read: with the LATERAL's LIMIT as a per-row expression (a cap of
 * window ÷ webhooks, tried on 2026-12-04) it estimated thousands of rows and hashed all of
 * `deliveries` to lock them, 133 ms behind 100,000 held rows instead of a few primary-key probes.
 */
const WINDOW_FACTOR = 4;

/** the webhooks with pending deliveries, each with its oldest next_attempt_at (a loose index scan) */
export const PENDING_WEBHOOKS_CTE = `
hooks AS (
  (SELECT tenant_id, webhook_id, next_attempt_at AS oldest FROM deliveries
   WHERE status = 'pending'
   ORDER BY tenant_id, webhook_id, next_attempt_at LIMIT 1)
  UNION ALL
  SELECT n.tenant_id, n.webhook_id, n.oldest
  FROM hooks h CROSS JOIN LATERAL (
    SELECT tenant_id, webhook_id, next_attempt_at AS oldest FROM deliveries
    WHERE status = 'pending' AND (tenant_id, webhook_id) > (h.tenant_id, h.webhook_id)
    ORDER BY tenant_id, webhook_id, next_attempt_at LIMIT 1
  ) n
)`;

export const CLAIM_SQL = `
WITH RECURSIVE ${PENDING_WEBHOOKS_CTE},
serve AS (
  SELECT h.tenant_id, h.webhook_id, h.oldest
  FROM hooks h JOIN webhooks w ON w.tenant_id = h.tenant_id AND w.id = h.webhook_id
  WHERE h.oldest <= $1 AND w.active = 1 AND w.paused = 0 AND h.webhook_id <> ALL ($4::text[])
  ORDER BY h.oldest
  LIMIT $7
),
due AS MATERIALIZED (
  SELECT p.tenant_id, p.id, p.webhook_id, p.due_at
  FROM serve s CROSS JOIN LATERAL (
    SELECT d.tenant_id, d.id, d.webhook_id, d.next_attempt_at AS due_at
    FROM deliveries d
    WHERE d.tenant_id = s.tenant_id AND d.webhook_id = s.webhook_id
      AND d.status = 'pending' AND d.next_attempt_at <= $1
    ORDER BY d.next_attempt_at
    LIMIT $6
  ) p
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
)
UPDATE deliveries d
SET status = 'delivering', lease_owner = $2, lease_expires_at = $1 + w.timeout_ms + $3, updated_at = $1
FROM locked l, webhooks w, events e
WHERE d.tenant_id = l.tenant_id AND d.id = l.id
  AND w.tenant_id = d.tenant_id AND w.id = d.webhook_id
  AND e.tenant_id = d.tenant_id AND e.id = d.event_id
RETURNING l.due_at, d.*, row_to_json(w.*) AS webhook,
  e.type AS event_type_name, e.payload AS event_payload, e.raw_body AS event_raw_body,
  e.raw_content_type AS event_raw_content_type, e.source_id AS event_source_id`;

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
  due_at: number;
  webhook: WebhookRow;
  event_type_name: string;
  event_payload: string;
  event_raw_body: Buffer | null;
  event_raw_content_type: string | null;
  event_source_id: string | null;
}

export async function claim(pool: pg.Pool, opts: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (opts.limit <= 0) return [];
  const { rows } = await pool.query<ClaimRow>(CLAIM_SQL, claimParams(opts));
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
