import type { EpochMs } from '../../domain/types.js';
import { attemptRow } from '../kysely/rows.js';
import type { Completion, QueueDepth } from '../types.js';
import type { SqliteConnection } from './connection.js';
import type { PendingWebhooks } from './pending-webhooks.js';

/**
 * The SQLite engine's queue writes besides claim (claim.ts) and ingest (ingest.ts). Each verb is one
 * IMMEDIATE transaction of prepared statements: on the single in-process connection a batch of 200
 * completions is 400 statement steps and one commit, no round trips.
 *
 * Every delivery update is guarded by `lease_owner = worker AND status = 'delivering'`: a worker
 * whose lease expired and was taken over changes nothing, but its attempt row is still recorded
 * (the request did happen).
 */
export interface SqliteQueueWrites {
  complete(workerId: string, completions: readonly Completion[], now: EpochMs): number;
  release(workerId: string, deliveries: readonly { tenant_id: string; id: string }[], now: EpochMs): number;
  nextDueAt(): EpochMs | null;
  depth(now: EpochMs): QueueDepth;
  deleteTenant(id: string): boolean;
  deleteWebhook(tenantId: string, id: string, now: EpochMs): boolean;
}

export function createQueueWrites(db: SqliteConnection, pendingWebhooks: PendingWebhooks): SqliteQueueWrites {
  const insertAttempt = db.prepare(`
    INSERT INTO attempts (tenant_id, id, delivery_id, event_id, webhook_id, attempt_number, started_at, duration_ms,
                          url, request_headers, response_status, response_body, error, error_class, succeeded)
    VALUES (@tenant_id, @id, @delivery_id, @event_id, @webhook_id, @attempt_number, @started_at, @duration_ms,
            @url, @request_headers, @response_status, @response_body, @error, @error_class, @succeeded)
    ON CONFLICT DO NOTHING`);
  const move = db.prepare<{
    worker: string;
    now: number;
    tenant_id: string;
    id: string;
    status: string;
    next_attempt_at: number | null;
    status_code: number | null;
    error: string | null;
  }>(`
    UPDATE deliveries
    SET status = @status,
        attempts = attempts + 1,
        next_attempt_at = coalesce(@next_attempt_at, next_attempt_at),
        lease_owner = NULL,
        lease_expires_at = NULL,
        last_status_code = @status_code,
        last_error = @error,
        updated_at = @now,
        completed_at = CASE @status WHEN 'pending' THEN NULL ELSE @now END
    WHERE tenant_id = @tenant_id AND id = @id AND lease_owner = @worker AND status = 'delivering'`);
  const disable = db.prepare<[string, number, string, string]>(
    'UPDATE webhooks SET active = 0, disabled_reason = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND active = 1',
  );
  const releaseOne = db.prepare<[number, string, string, string]>(`
    UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
    WHERE tenant_id = ? AND id = ? AND lease_owner = ? AND status = 'delivering'`);
  // nextDueAt reads webhook_due in due order as far as the first sendable webhook (pending-webhooks.ts);
  // when no webhook can take work at all (bench #3's paused webhook), it skips even that.
  const anyActive = db.prepare<[], { one: number }>(
    'SELECT 1 AS one FROM webhooks WHERE active = 1 AND paused = 0 LIMIT 1',
  );
  const nextLease = db.prepare<[], { lease_expires_at: number }>(`
    SELECT lease_expires_at FROM deliveries WHERE status = 'delivering' ORDER BY lease_expires_at LIMIT 1`);
  const pendingCounts = db.prepare<
    { now: number },
    { pending: number; due: number; oldest_due_at: number | null }
  >(`
    SELECT count(*) AS pending,
           coalesce(sum(next_attempt_at <= @now), 0) AS due,
           min(CASE WHEN next_attempt_at <= @now THEN next_attempt_at END) AS oldest_due_at
    FROM deliveries WHERE status = 'pending'`);
  const deliveringCount = db.prepare<[], { delivering: number }>(
    "SELECT count(*) AS delivering FROM deliveries WHERE status = 'delivering'",
  );
  const delAttempts = db.prepare<[string]>('DELETE FROM attempts WHERE tenant_id = ?');
  const delDeliveries = db.prepare<[string]>('DELETE FROM deliveries WHERE tenant_id = ?');
  const delTenant = db.prepare<[string]>('DELETE FROM tenants WHERE id = ?');
  const delWebhook = db.prepare<[string, string]>('DELETE FROM webhooks WHERE tenant_id = ? AND id = ?');
  const cancelPending = db.prepare<{ now: number; tenant: string; webhook: string }>(`
    UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                          completed_at = @now, updated_at = @now
    WHERE tenant_id = @tenant AND webhook_id = @webhook AND status IN ('pending', 'delivering')`);

  const completeTx = db.transaction(
    (workerId: string, completions: readonly Completion[], now: EpochMs): number => {
      let moved = 0;
      for (const c of completions) {
        if (c.outcome === 'retry' && c.next_attempt_at === undefined) {
          throw new Error(`completion of ${c.delivery_id}: outcome 'retry' needs next_attempt_at`);
        }
        insertAttempt.run(attemptRow(c.attempt));
        moved += move.run({
          worker: workerId,
          now,
          tenant_id: c.tenant_id,
          id: c.delivery_id,
          status: c.outcome === 'retry' ? 'pending' : c.outcome,
          next_attempt_at: c.outcome === 'retry' ? c.next_attempt_at! : null,
          status_code: c.attempt.response_status,
          error: c.attempt.error,
        }).changes;
        if (c.disable_webhook_reason !== undefined) {
          disable.run(c.disable_webhook_reason, now, c.tenant_id, c.attempt.webhook_id);
        }
      }
      return moved;
    },
  );

  const releaseTx = db.transaction(
    (workerId: string, deliveries: readonly { tenant_id: string; id: string }[], now: EpochMs): number => {
      let n = 0;
      for (const d of deliveries) n += releaseOne.run(now, d.tenant_id, d.id, workerId).changes;
      return n;
    },
  );

  const deleteTenantTx = db.transaction((id: string): boolean => {
    delAttempts.run(id);
    delDeliveries.run(id);
    return delTenant.run(id).changes > 0;
  });

  const deleteWebhookTx = db.transaction((tenantId: string, id: string, now: EpochMs): boolean => {
    const gone = delWebhook.run(tenantId, id).changes > 0;
    if (gone) cancelPending.run({ now, tenant: tenantId, webhook: id });
    return gone;
  });

  return {
    complete: (workerId, completions, now) =>
      completions.length === 0 ? 0 : completeTx.immediate(workerId, completions, now),
    release: (workerId, deliveries, now) =>
      deliveries.length === 0 ? 0 : releaseTx.immediate(workerId, deliveries, now),
    nextDueAt: () => {
      // the earliest of: a pending delivery becoming due, a lease expiring (crash recovery)
      const due = anyActive.get() === undefined ? null : pendingWebhooks.earliest();
      const lease = nextLease.get()?.lease_expires_at ?? null;
      if (due === null) return lease;
      if (lease === null) return due;
      return Math.min(due, lease);
    },
    depth: (now) => {
      const p = pendingCounts.get({ now })!;
      return {
        pending: p.pending,
        due: p.due,
        oldest_due_at: p.oldest_due_at,
        delivering: deliveringCount.get()!.delivering,
      };
    },
    deleteTenant: (id) => deleteTenantTx.immediate(id),
    deleteWebhook: (tenantId, id, now) => deleteWebhookTx.immediate(tenantId, id, now),
  };
}
