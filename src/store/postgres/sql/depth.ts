import type pg from 'pg';
import type { QueueDepth } from '../../types.js';

/**
 * depth: queue gauges for metrics and health. One pass over each partial index of the queue,
 * deliveries_pending and deliveries_leased, which hold exactly the pending and delivering rows
 * (never the terminal ones that make up most of the table).
 */
export const DEPTH_SQL = `
SELECT p.pending, p.due, p.oldest_due_at, l.delivering
FROM (SELECT count(*) AS pending,
             count(*) FILTER (WHERE next_attempt_at <= $1) AS due,
             min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1) AS oldest_due_at
      FROM deliveries WHERE status = 'pending') p,
     (SELECT count(*) AS delivering FROM deliveries WHERE status = 'delivering') l`;

export async function depth(pool: pg.Pool, now: number): Promise<QueueDepth> {
  const { rows } = await pool.query<QueueDepth>({ name: 'hooklane_depth', text: DEPTH_SQL, values: [now] });
  const row = rows[0];
  return {
    pending: row?.pending ?? 0,
    due: row?.due ?? 0,
    oldest_due_at: row?.oldest_due_at ?? null,
    delivering: row?.delivering ?? 0,
  };
}
