import type pg from 'pg';
import type { Completion } from '../../types.js';

/**
 * complete: a batch of finished attempts in ONE statement (so one round trip and one commit for the
 * whole batch), atomically:
 * - every attempt row is recorded, even when the lease was lost (the request did happen);
 * - each delivery moves on (succeeded | pending again at next_attempt_at | failed) only if this
 *   worker still holds its lease: `lease_owner = $worker AND status = 'delivering'`. A worker whose
 *   lease expired and was taken over changes nothing;
 * - webhooks that answered 410 Gone are disabled, keeping the first reason given.
 * The batch travels as one array per column (unnest), so the statement text and its prepared plan
 * are the same whatever the batch size.
 */
const SQL = `
WITH c AS (
  SELECT * FROM unnest(
    $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::int[],
    $11::bigint[], $12::float8[], $13::text[], $14::text[], $15::int[], $16::text[], $17::text[],
    $18::text[], $19::smallint[], $20::text[]
  ) AS c(tenant_id, delivery_id, outcome, next_attempt_at, attempt_id, event_id, webhook_id, attempt_number,
         started_at, duration_ms, url, request_headers, response_status, response_body, error,
         error_class, succeeded, disable_reason)
),
recorded AS (
  INSERT INTO attempts (tenant_id, id, delivery_id, event_id, webhook_id, attempt_number, started_at, duration_ms,
                        url, request_headers, response_status, response_body, error, error_class, succeeded)
  SELECT tenant_id, attempt_id, delivery_id, event_id, webhook_id, attempt_number, started_at, round(duration_ms),
         url, request_headers, response_status, response_body, error, error_class, succeeded
  FROM c
  -- the same batch written twice (its commit acknowledgement was lost, the batcher wrote it again)
  -- records each attempt once; the lease guard below already makes the second write change nothing
  ON CONFLICT DO NOTHING
),
moved AS (
  UPDATE deliveries d
  SET status = CASE c.outcome WHEN 'retry' THEN 'pending' ELSE c.outcome END,
      attempts = d.attempts + 1,
      next_attempt_at = CASE c.outcome WHEN 'retry' THEN c.next_attempt_at ELSE d.next_attempt_at END,
      lease_owner = NULL,
      lease_expires_at = NULL,
      last_status_code = c.response_status,
      last_error = c.error,
      updated_at = $2::bigint,
      -- typed here: in a CASE with a NULL branch PostgreSQL would otherwise deduce text for $2
      completed_at = CASE c.outcome WHEN 'retry' THEN NULL ELSE $2::bigint END
  FROM c
  WHERE d.tenant_id = c.tenant_id AND d.id = c.delivery_id AND d.lease_owner = $1::text AND d.status = 'delivering'
  RETURNING 1
),
disabled AS (
  UPDATE webhooks w
  SET active = 0, disabled_reason = c.disable_reason, updated_at = $2::bigint
  FROM c
  WHERE c.disable_reason IS NOT NULL AND w.tenant_id = c.tenant_id AND w.id = c.webhook_id AND w.active = 1
)
SELECT count(*) AS moved FROM moved`;

export async function complete(
  pool: pg.Pool,
  workerId: string,
  completions: readonly Completion[],
  now: number,
): Promise<number> {
  if (completions.length === 0) return 0;
  const columns: unknown[][] = Array.from({ length: 18 }, () => new Array<unknown>(completions.length));
  completions.forEach((c, i) => {
    if (c.outcome === 'retry' && c.next_attempt_at === undefined) {
      throw new Error(`completion of ${c.delivery_id}: outcome 'retry' needs next_attempt_at`);
    }
    const a = c.attempt;
    const row = [
      c.tenant_id,
      c.delivery_id,
      c.outcome,
      c.next_attempt_at ?? null,
      a.id,
      a.event_id,
      a.webhook_id,
      a.attempt_number,
      a.started_at,
      a.duration_ms,
      a.url,
      JSON.stringify(a.request_headers),
      a.response_status,
      a.response_body,
      a.error,
      a.error_class,
      a.succeeded ? 1 : 0,
      c.disable_webhook_reason ?? null,
    ];
    for (let col = 0; col < row.length; col++) columns[col]![i] = row[col];
  });
  const { rows } = await pool.query<{ moved: number }>({
    name: 'hooklane_complete',
    text: SQL,
    values: [workerId, now, ...columns],
  });
  return rows[0]?.moved ?? 0;
}
