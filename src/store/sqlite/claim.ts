import type { Webhook } from '../../domain/types.js';
import type { DeliveryRow, EventRow, WebhookRow } from '../kysely/database.js';
import { toDelivery, toWebhook } from '../kysely/rows.js';
import { claimedEventOf } from '../lease.js';
import type { ClaimedDelivery, ClaimOptions } from '../types.js';
import type { SqliteConnection } from './connection.js';

/**
 * queue.claim, in one IMMEDIATE transaction (the write lock is taken up front, so nothing can
 * change between choosing rows and leasing them):
 *
 * 1. `scan` walks the two partial claim indexes at once, merged in due order (SQLite plans the
 *    UNION ALL … ORDER BY as a merge of two index scans, no sort): pending rows by next_attempt_at
 *    and leased rows by lease expiry. Rows of inactive, paused or excluded webhooks are skipped
 *    inside SQLite, so an excluded webhook's backlog costs index steps, never JS work.
 * 2. JS keeps at most perWebhookLimit rows per webhook and stops at `limit`. The database is in
 *    process, so stepping the cursor is a function call, not a round trip; the walk is capped at
 *    SCAN_FACTOR × limit rows so one huge backlog of a webhook that already has its share cannot
 *    make a claim slow (fairness as far as the walk reaches).
 * 3. ONE `UPDATE … FROM json_each(?) RETURNING` marks the picked rows delivering with this worker's
 *    lease (now + the webhook's timeout_ms + leaseMarginMs): a primary-key probe per row.
 * 4. The event payload bytes and each webhook (parsed once per claim) are read in the same
 *    transaction, so a worker never sees a webhook state older than its lease.
 *
 * Concurrent claimers cannot get the same row: the transactions are serialised by SQLite's write
 * lock, and a leased row is no longer pending.
 */
const SCAN_FACTOR = 16;

interface ScanRow {
  tenant_id: string;
  id: string;
  webhook_id: string;
  timeout_ms: number;
}

const SCAN_SQL = `
SELECT d.tenant_id, d.id, d.webhook_id, w.timeout_ms, d.next_attempt_at AS due_at
FROM deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND w.active = 1 AND w.paused = 0
  AND d.webhook_id NOT IN (SELECT value FROM json_each(@exclude))
UNION ALL
SELECT d.tenant_id, d.id, d.webhook_id, w.timeout_ms, d.lease_expires_at AS due_at
FROM deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
WHERE d.status = 'delivering' AND d.lease_expires_at <= @now AND w.active = 1 AND w.paused = 0
  AND d.webhook_id NOT IN (SELECT value FROM json_each(@exclude))
ORDER BY due_at`;

/**
 * How many webhooks could take work now (counted up to @cap)? The walk below can pick at most
 * perWebhookLimit rows of each, so with fewer than `limit / perWebhookLimit` of them it stops as
 * soon as each has its share, instead of stepping over the rest of their backlog:
 *
 * - none (every webhook with work paused, disabled or at its in-flight cap): no walk and no write
 *   transaction at all. Before, a paused webhook's backlog (bench #3: 45,000 rows after 15 s) was
 *   walked on every commit's wake: 15% of the process's CPU in a 3 s run, growing with the backlog.
 * - one webhook with a backlog (bench #1): a claim with 5 free slots walked limit × SCAN_FACTOR =
 *   3,200 rows to pick 5; claim.ts was 30% of the process's CPU in a 15 s run.
 *
 * The count stops at @cap rows of the (small) webhooks table. A paused webhook's backlog ahead of
 * claimable work is still walked (docs/scaling.md).
 */
const CLAIMABLE_SQL = `
SELECT count(*) AS n FROM (
  SELECT 1 FROM webhooks
  WHERE active = 1 AND paused = 0 AND id NOT IN (SELECT value FROM json_each(@exclude))
  LIMIT @cap
)`;

const LEASE_SQL = `
UPDATE deliveries
SET status = 'delivering', lease_owner = @worker, lease_expires_at = p.value ->> 2, updated_at = @now
FROM json_each(@picked) AS p
WHERE deliveries.tenant_id = p.value ->> 0 AND deliveries.id = p.value ->> 1
RETURNING tenant_id, id, event_id, webhook_id, event_type, status, attempts, next_attempt_at, lease_owner,
  lease_expires_at, last_status_code, last_error, created_at, updated_at, completed_at`;

/** the walk's parameters: the excluded webhook ids as JSON, and the most rows it can pick */
interface Walk {
  exclude: string;
  reach: number;
}

type ClaimEvent = Pick<EventRow, 'id' | 'type' | 'payload' | 'raw_body' | 'raw_content_type' | 'source_id'>;

export function createClaim(db: SqliteConnection): (opts: ClaimOptions) => ClaimedDelivery[] {
  const scan = db.prepare<{ now: number; exclude: string }, ScanRow>(SCAN_SQL);
  const lease = db.prepare<{ worker: string; now: number; picked: string }, DeliveryRow>(LEASE_SQL);
  const eventOf = db.prepare<[string, string], ClaimEvent>(
    'SELECT id, type, payload, raw_body, raw_content_type, source_id FROM events WHERE tenant_id = ? AND id = ?',
  );
  const webhookOf = db.prepare<[string, string], WebhookRow>(
    'SELECT * FROM webhooks WHERE tenant_id = ? AND id = ?',
  );
  const claimable = db.prepare<{ exclude: string; cap: number }, { n: number }>(CLAIMABLE_SQL);

  const claimBatch = db.transaction((opts: ClaimOptions, walk: Walk): ClaimedDelivery[] => {
    const picked: [string, string, number][] = [];
    const perWebhook = new Map<string, number>();
    const maxVisits = opts.limit * SCAN_FACTOR;
    let visits = 0;
    for (const row of scan.iterate({ now: opts.now, exclude: walk.exclude })) {
      if (++visits > maxVisits) break;
      const taken = perWebhook.get(row.webhook_id) ?? 0;
      if (taken >= opts.perWebhookLimit) continue;
      perWebhook.set(row.webhook_id, taken + 1);
      picked.push([row.tenant_id, row.id, opts.now + row.timeout_ms + opts.leaseMarginMs]);
      if (picked.length >= walk.reach) break;
    }
    if (picked.length === 0) return [];

    const leased = lease.all({ worker: opts.workerId, now: opts.now, picked: JSON.stringify(picked) });
    // RETURNING has no defined order: restore the scan's oldest-due-first order.
    const order = new Map(picked.map(([tenantId, id], i) => [`${tenantId}\u0000${id}`, i]));
    leased.sort(
      (a, b) => order.get(`${a.tenant_id}\u0000${a.id}`)! - order.get(`${b.tenant_id}\u0000${b.id}`)!,
    );

    // One webhook object per webhook and one event object per event: a fan-out's deliveries share
    // their event's payload (read once, and copied to the main thread once).
    const webhooks = new Map<string, Webhook>();
    const events = new Map<string, ClaimedDelivery['event']>();
    const claimed: ClaimedDelivery[] = [];
    for (const row of leased) {
      const key = `${row.tenant_id}\u0000${row.webhook_id}`;
      let webhook = webhooks.get(key);
      if (webhook === undefined) {
        webhook = toWebhook(webhookOf.get(row.tenant_id, row.webhook_id)!);
        webhooks.set(key, webhook);
      }
      const eventKey = `${row.tenant_id}\u0000${row.event_id}`;
      let event = events.get(eventKey);
      if (event === undefined) {
        event = claimedEventOf(eventOf.get(row.tenant_id, row.event_id)!);
        events.set(eventKey, event);
      }
      claimed.push({ delivery: toDelivery(row), event, webhook });
    }
    return claimed;
  });

  return (opts) => {
    if (opts.limit <= 0 || opts.perWebhookLimit <= 0) return [];
    const exclude = JSON.stringify(opts.excludeWebhookIds);
    const cap = Math.ceil(opts.limit / opts.perWebhookLimit);
    const n = claimable.get({ exclude, cap })!.n;
    if (n === 0) return [];
    // the most this claim can pick: each claimable webhook's share, or `limit`
    const reach = n < cap ? Math.min(opts.limit, n * opts.perWebhookLimit) : opts.limit;
    return claimBatch.immediate(opts, { exclude, reach });
  };
}
