import type pg from 'pg';

/**
 * release: a stopping worker hands back claims it never started. They become pending again at their
 * old due time (so they keep their place in line), guarded by the lease like every queue write, and
 * the same statement notifies other processes that work is waiting.
 */
const SQL = `
WITH released AS (
  UPDATE deliveries d
  SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
  FROM unnest($1::text[], $2::text[]) AS r(tenant_id, id)
  WHERE d.tenant_id = r.tenant_id AND d.id = r.id AND d.lease_owner = $4 AND d.status = 'delivering'
  RETURNING 1
)
SELECT count(*) AS released, (SELECT count(pg_notify($5, $6)) FROM (SELECT 1 FROM released LIMIT 1) s) AS notified
FROM released`;

export async function release(
  pool: pg.Pool,
  workerId: string,
  deliveries: readonly { tenant_id: string; id: string }[],
  now: number,
  wake: { channel: string; payload: string },
): Promise<number> {
  if (deliveries.length === 0) return 0;
  const { rows } = await pool.query<{ released: number }>({
    name: 'hooklane_release',
    text: SQL,
    values: [
      deliveries.map((d) => d.tenant_id),
      deliveries.map((d) => d.id),
      now,
      workerId,
      wake.channel,
      wake.payload,
    ],
  });
  return rows[0]?.released ?? 0;
}
