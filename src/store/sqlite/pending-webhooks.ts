import type { EpochMs } from '../../domain/types.js';
import type { SqliteConnection } from './connection.js';

/** a webhook with pending deliveries that may be sent now (active, not paused) */
export interface PendingWebhook {
  tenant_id: string;
  webhook_id: string;
  timeout_ms: number;
  /** its oldest pending delivery's next_attempt_at */
  oldest: EpochMs;
}

/**
 * The webhooks that have pending deliveries, read from `webhook_due` (migration 6): one row per such
 * webhook, holding a time no later than its oldest pending delivery's next_attempt_at, indexed by
 * that time. The claim reads only the rows whose time has come, so a webhook costs nothing while its
 * work is not due, however many such webhooks there are and however large any one backlog is: a
 * paused webhook holding 300,000 deliveries costs one row, a webhook whose one retry is an hour out
 * costs nothing until then.
 *
 * Triggers keep a row from ever being later than its webhook's oldest pending delivery. A row can
 * be early (its deliveries were claimed, cancelled or deleted): `due` and `earliest` check each row
 * they read against the deliveries (one seek), so their answers are exact, and `due` sets right a
 * row it finds with nothing due behind it, which then costs nothing until its time. A busy
 * webhook's row is not rewritten on every claim: it stays early, and costs that one seek.
 */
export interface PendingWebhooks {
  /**
   * the sendable webhooks whose id `accept`s with a pending delivery due at `now`, each with its
   * oldest; the rows read that have nothing due are set right on the way (call inside a write
   * transaction)
   */
  due(now: EpochMs, accept: (webhookId: string) => boolean): PendingWebhook[];
  /** the oldest next_attempt_at of a sendable webhook's pending deliveries, due or not */
  earliest(): EpochMs | null;
}

export function createPendingWebhooks(db: SqliteConnection): PendingWebhooks {
  // Each row also reads its webhook (a primary-key probe): whether it may be sent to, and its timeout.
  const due = db.prepare<{ now: number }, DueRow>(`
    SELECT d.tenant_id, d.webhook_id, d.due_at, w.timeout_ms,
           coalesce(w.active = 1 AND w.paused = 0, 0) AS sendable
    FROM webhook_due d LEFT JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
    WHERE d.due_at <= @now
    ORDER BY d.due_at`);
  // CROSS JOIN: webhook_due read in due order, each row's webhook probed, only as far as the caller
  // iterates (a plain JOIN may scan every webhook and sort instead)
  const sendableInDueOrder = db.prepare<[], Row>(`
    SELECT d.tenant_id, d.webhook_id, d.due_at FROM webhook_due d
    CROSS JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
    WHERE w.active = 1 AND w.paused = 0
    ORDER BY d.due_at`);
  const oldestPending = db.prepare<[string, string], { due_at: number }>(`
    SELECT next_attempt_at AS due_at FROM deliveries
    WHERE tenant_id = ? AND webhook_id = ? AND status = 'pending'
    ORDER BY next_attempt_at LIMIT 1`);
  const setDue = db.prepare<[number, string, string]>(
    'UPDATE webhook_due SET due_at = ? WHERE tenant_id = ? AND webhook_id = ?',
  );
  const remove = db.prepare<[string, string]>(
    'DELETE FROM webhook_due WHERE tenant_id = ? AND webhook_id = ?',
  );

  return {
    due(now, accept) {
      const out: PendingWebhook[] = [];
      for (const r of due.all({ now })) {
        // a deleted webhook's pending deliveries were cancelled with it: its row goes
        if (r.timeout_ms === null) {
          remove.run(r.tenant_id, r.webhook_id);
          continue;
        }
        if (r.sendable === 0 || !accept(r.webhook_id)) continue;
        // the row is a lower bound: its webhook's oldest pending delivery (a seek) says whether
        // anything is due; a row with nothing due behind it (its deliveries claimed or cancelled
        // since, the rest scheduled later) is set right on the way, so it is not read again
        // before its time
        const oldest = oldestPending.get(r.tenant_id, r.webhook_id)?.due_at;
        if (oldest === undefined) remove.run(r.tenant_id, r.webhook_id);
        else if (oldest > now) setDue.run(oldest, r.tenant_id, r.webhook_id);
        else out.push({ tenant_id: r.tenant_id, webhook_id: r.webhook_id, timeout_ms: r.timeout_ms, oldest });
      }
      return out;
    },
    earliest() {
      // Rows are lower bounds, read in their order: each one's webhook is checked (a seek) until
      // the next row cannot be earlier than the best found. A row is exact unless deliveries of
      // its webhook were claimed or cancelled since it was written, so this reads the earliest
      // exact row and the early ones before it: at most the webhooks a claim is serving.
      let best: EpochMs | null = null;
      for (const r of sendableInDueOrder.iterate()) {
        if (best !== null && r.due_at >= best) break;
        const oldest = oldestPending.get(r.tenant_id, r.webhook_id)?.due_at;
        if (oldest !== undefined && (best === null || oldest < best)) best = oldest;
      }
      return best;
    },
  };
}

interface Row {
  tenant_id: string;
  webhook_id: string;
  due_at: EpochMs;
}

interface DueRow extends Row {
  /** null when the webhook row is gone */
  timeout_ms: number | null;
  /** 1: active and not paused */
  sendable: 0 | 1;
}
