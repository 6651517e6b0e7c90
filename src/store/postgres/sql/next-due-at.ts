import type pg from 'pg';
import { PENDING_WEBHOOKS_CTE } from './claim.js';

/**
 * nextDueAt: when the next delivery becomes claimable, so an idle dispatcher can sleep exactly until
 * then: a pending delivery at its next_attempt_at, a leased one when its lease expires (a crashed
 * worker's deliveries are re-sent on time, not at the next poll). Pending rows: the oldest of each
 * webhook with pending work (one seek per webhook, as the claim visits them), kept if the webhook
 * may be sent to; leased rows: deliveries_leased in expiry order, stopping at the first row of an
 * active, unpaused webhook.
 */
export const NEXT_DUE_AT_SQL = `
WITH RECURSIVE ${PENDING_WEBHOOKS_CTE}
SELECT least(
  (SELECT min(h.oldest) FROM hooks h
   JOIN webhooks w ON w.tenant_id = h.tenant_id AND w.id = h.webhook_id
   WHERE w.active = 1 AND w.paused = 0),
  (SELECT d.lease_expires_at FROM deliveries d
   JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
   WHERE d.status = 'delivering' AND w.active = 1 AND w.paused = 0
   ORDER BY d.lease_expires_at LIMIT 1)
) AS due_at`;

export async function nextDueAt(pool: pg.Pool): Promise<number | null> {
  const { rows } = await pool.query<{ due_at: number }>({
    name: 'hooklane_next_due_at',
    text: NEXT_DUE_AT_SQL,
  });
  return rows[0]?.due_at ?? null;
}
