import type pg from 'pg';

/**
 * nextDueAt: when the next delivery becomes claimable, so an idle dispatcher can sleep exactly until
 * then: a pending delivery at its next_attempt_at, a leased one when its lease expires (a crashed
 * worker's deliveries are re-sent on time, not at the next poll).
 *
 * Pending: webhook_due's rows (migration 5) are lower bounds, read in their order, sendable webhooks
 * only, a page at a time; each one's webhook is checked against its oldest pending delivery (a
 * seek). A row is exact unless deliveries of its webhook were claimed or cancelled since it was
 * written, so the first page (of 8) nearly always settles it: the answer is final once a page runs
 * out or its last row is no earlier than the best found (no later row can beat it). Leased:
 * deliveries_leased in expiry order, stopping at the first row of an active, unpaused webhook.
 */
const FIRST_PAGE = 8;
const PAGE = 64;

/**
 * one page of sendable webhook_due rows after `after` (SQL of the keyset condition, or ''), each
 * checked; and with `lease`, the earliest lease expiry. The first page has no parameters, so its
 * plan is made once per connection (a parameterised one was re-planned on every call: 0.6 ms).
 */
const pageSql = (after: string, limit: number, lease: boolean) => `
WITH page AS (
  SELECT wd.tenant_id, wd.webhook_id, wd.due_at
  FROM webhook_due wd JOIN webhooks w ON w.tenant_id = wd.tenant_id AND w.id = wd.webhook_id
  WHERE w.active = 1 AND w.paused = 0${after}
  ORDER BY wd.due_at, wd.tenant_id, wd.webhook_id
  LIMIT ${limit}
),
last AS (
  SELECT due_at, tenant_id, webhook_id FROM page ORDER BY due_at DESC, tenant_id DESC, webhook_id DESC LIMIT 1
)
SELECT
  (SELECT min(o.oldest) FROM page p CROSS JOIN LATERAL (
     SELECT d.next_attempt_at AS oldest FROM deliveries d
     WHERE d.tenant_id = p.tenant_id AND d.webhook_id = p.webhook_id AND d.status = 'pending'
     ORDER BY d.next_attempt_at LIMIT 1) o) AS pending_at,
  (SELECT count(*) FROM page)::int AS rows,
  (SELECT due_at FROM last) AS last_due_at,
  (SELECT tenant_id FROM last) AS last_tenant_id,
  (SELECT webhook_id FROM last) AS last_webhook_id${
    lease
      ? `,
  (SELECT d.lease_expires_at FROM deliveries d
   JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
   WHERE d.status = 'delivering' AND w.active = 1 AND w.paused = 0
   ORDER BY d.lease_expires_at LIMIT 1) AS lease_at`
      : ''
  }`;

export const NEXT_DUE_AT_SQL = pageSql('', FIRST_PAGE, true);
export const NEXT_DUE_AT_PAGE_SQL = pageSql(
  '\n    AND (wd.due_at, wd.tenant_id, wd.webhook_id) > ($1::bigint, $2::text, $3::text)',
  PAGE,
  false,
);

interface PageRow {
  pending_at: number | null;
  rows: number;
  last_due_at: number | null;
  last_tenant_id: string | null;
  last_webhook_id: string | null;
  lease_at?: number | null;
}

export async function nextDueAt(pool: pg.Pool): Promise<number | null> {
  let { rows } = await pool.query<PageRow>({ name: 'hooklane_next_due_at', text: NEXT_DUE_AT_SQL });
  let page = rows[0]!;
  const lease = page.lease_at ?? null;
  let pending = page.pending_at;
  let size = FIRST_PAGE;
  while (page.rows === size && (pending === null || page.last_due_at! < pending)) {
    ({ rows } = await pool.query<PageRow>({
      name: 'hooklane_next_due_at_page',
      text: NEXT_DUE_AT_PAGE_SQL,
      values: [page.last_due_at, page.last_tenant_id, page.last_webhook_id],
    }));
    page = rows[0]!;
    size = PAGE;
    if (page.pending_at !== null && (pending === null || page.pending_at < pending))
      pending = page.pending_at;
  }
  if (pending === null) return lease;
  if (lease === null) return pending;
  return Math.min(pending, lease);
}
