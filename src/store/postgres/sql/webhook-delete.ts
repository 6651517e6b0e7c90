import type pg from 'pg';

/**
 * webhooks.delete: one statement deletes the webhook and cancels its unfinished deliveries, so
 * neither can happen without the other. Leased ones are cancelled too: the lease guard then makes
 * the in-flight attempt's completion change nothing (it is still recorded), instead of scheduling a
 * retry for a webhook that no longer exists. Its webhook_due row is left to the next claim, which
 * finds nothing pending behind it and removes it: deleting it here could deadlock with a completion
 * of the same webhook (it locks a delivery, then the row; the CTEs here run in no set order).
 */
export const WEBHOOK_DELETE_SQL = `
WITH gone AS (
  DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2 RETURNING tenant_id, id
),
cancelled AS (
  UPDATE deliveries d
  SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, completed_at = $3, updated_at = $3
  FROM gone
  WHERE d.tenant_id = gone.tenant_id AND d.webhook_id = gone.id AND d.status IN ('pending', 'delivering')
)
SELECT count(*) AS deleted FROM gone`;

export async function deleteWebhook(
  pool: pg.Pool,
  tenantId: string,
  id: string,
  now: number,
): Promise<boolean> {
  const { rows } = await pool.query<{ deleted: number }>({
    name: 'hooklane_webhook_delete',
    text: WEBHOOK_DELETE_SQL,
    values: [tenantId, id, now],
  });
  return (rows[0]?.deleted ?? 0) > 0;
}
