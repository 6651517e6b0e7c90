import type { Webhook } from '../../domain/types.js';
import type { DeliveryRow, EventRow, WebhookRow } from '../kysely/database.js';
import { toDelivery, toWebhook } from '../kysely/rows.js';
import { claimedEventOf } from '../lease.js';
import type { ClaimedDelivery, ClaimOptions } from '../types.js';
import type { SqliteConnection } from './connection.js';
import type { PendingWebhooks } from './pending-webhooks.js';

/**
 * queue.claim, in one IMMEDIATE transaction (the write lock is taken up front, so nothing can
 * change between choosing rows and leasing them):
 *
 * 1. Expired leases (a crashed worker's deliveries) come from `deliveries_leased` in expiry order,
 *    rows of inactive, paused or excluded webhooks skipped inside SQLite. Their number is bounded
 *    by what is in flight.
 * 2. Pending rows come per webhook (pending-webhooks.ts): `webhook_due` names the webhooks whose
 *    pending work may be due. A webhook whose work is not due yet costs nothing; one that is
 *    paused, disabled or excluded (at its cap) costs its one webhook_due row, whatever its backlog;
 *    one that may be sent to costs a seek to its oldest pending delivery. The webhooks are taken
 *    oldest due first, each contributing its oldest due rows, at most perWebhookLimit.
 * 3. Of these candidates the claim takes the oldest due, at most perWebhookLimit per webhook, at
 *    most `limit`. Once `limit` are held and the next webhook's oldest row is no older than the last
 *    of them, no later webhook can change the pick, and the visit stops reading rows.
 * 4. ONE `UPDATE … FROM json_each(?) RETURNING` marks the picked rows delivering with this worker's
 *    lease (now + the webhook's timeout_ms + leaseMarginMs): a rowid probe per row. Rows are chosen
 *    by rowid, which every index entry carries, so choosing them reads no table row. In an
 *    in-process fan-out (100 webhooks, claims of 200) that and pruning the candidates at `limit`
 *    took the claim from 28–33 to 22–26 µs per delivery, what the single due-order walk cost.
 * 5. The event payload bytes and each webhook (parsed once per claim) are read in the same
 *    transaction, so a worker never sees a webhook state older than its lease.
 *
 * Concurrent claimers cannot get the same row: the transactions are serialised by SQLite's write
 * lock, and a leased row is no longer pending.
 */
/** a claim reads at most limit × SCAN_FACTOR expired leases (those over their webhook's share are dropped) */
const SCAN_FACTOR = 16;

interface Candidate {
  /** the delivery's rowid: in every index entry, so choosing rows reads only the index */
  rowid: number;
  tenant_id: string;
  webhook_id: string;
  timeout_ms: number;
  due_at: number;
}

const EXPIRED_SQL = `
SELECT d.rowid AS rowid, d.tenant_id, d.webhook_id, w.timeout_ms, d.lease_expires_at AS due_at
FROM deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
WHERE d.status = 'delivering' AND d.lease_expires_at <= @now AND w.active = 1 AND w.paused = 0
  AND d.webhook_id NOT IN (SELECT value FROM json_each(@exclude))
ORDER BY d.lease_expires_at`;

/** one webhook's oldest due pending rows, read from deliveries_due alone */
const DUE_OF_WEBHOOK_SQL = `
SELECT rowid, tenant_id, webhook_id, @timeout AS timeout_ms, next_attempt_at AS due_at
FROM deliveries
WHERE tenant_id = @tenant AND webhook_id = @webhook AND status = 'pending' AND next_attempt_at <= @now
ORDER BY next_attempt_at LIMIT @n`;

/**
 * How many webhooks could take work now (counted up to 1)? None (every webhook paused, disabled or
 * at its in-flight cap: bench #3's paused webhook) means no visit and no write transaction at all.
 */
const ANY_CLAIMABLE_SQL = `
SELECT count(*) AS n FROM (
  SELECT 1 FROM webhooks
  WHERE active = 1 AND paused = 0 AND id NOT IN (SELECT value FROM json_each(@exclude))
  LIMIT 1
)`;

const LEASE_SQL = `
UPDATE deliveries
SET status = 'delivering', lease_owner = @worker, lease_expires_at = p.value ->> 1, updated_at = @now
FROM json_each(@picked) AS p
WHERE deliveries.rowid = p.value ->> 0
RETURNING rowid, tenant_id, id, event_id, webhook_id, event_type, status, attempts, next_attempt_at, lease_owner,
  lease_expires_at, last_status_code, last_error, created_at, updated_at, completed_at`;

/** a map key for a (tenant, id) pair */
const pairKey = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;

/**
 * What a claim takes of `candidates`: in due order (on a tie, the earlier candidate first), at most
 * `perWebhook` of a webhook, at most `limit`. A candidate left out here is left out of any later
 * pick too (candidates are only ever added), so the claim may drop it at once.
 */
function pick(candidates: Candidate[], perWebhook: number, limit: number): Candidate[] {
  candidates.sort((a, b) => a.due_at - b.due_at);
  const out: Candidate[] = [];
  const taken = new Map<string, number>();
  for (const row of candidates) {
    const key = pairKey(row.tenant_id, row.webhook_id);
    const n = taken.get(key) ?? 0;
    if (n >= perWebhook) continue;
    taken.set(key, n + 1);
    out.push(row);
    if (out.length === limit) break;
  }
  return out;
}

type ClaimEvent = Pick<EventRow, 'id' | 'type' | 'payload' | 'raw_body' | 'raw_content_type' | 'source_id'>;

export function createClaim(
  db: SqliteConnection,
  pendingWebhooks: PendingWebhooks,
): (opts: ClaimOptions) => ClaimedDelivery[] {
  const expired = db.prepare<{ now: number; exclude: string }, Candidate>(EXPIRED_SQL);
  const dueOf = db.prepare<
    { tenant: string; webhook: string; now: number; n: number; timeout: number },
    Candidate
  >(DUE_OF_WEBHOOK_SQL);
  const lease = db.prepare<{ worker: string; now: number; picked: string }, DeliveryRow & { rowid: number }>(
    LEASE_SQL,
  );
  const eventOf = db.prepare<[string, string], ClaimEvent>(
    'SELECT id, type, payload, raw_body, raw_content_type, source_id FROM events WHERE tenant_id = ? AND id = ?',
  );
  const webhookOf = db.prepare<[string, string], WebhookRow>(
    'SELECT * FROM webhooks WHERE tenant_id = ? AND id = ?',
  );
  const anyClaimable = db.prepare<{ exclude: string }, { n: number }>(ANY_CLAIMABLE_SQL);

  const claimBatch = db.transaction((opts: ClaimOptions, exclude: string): ClaimedDelivery[] => {
    const { now, limit, perWebhookLimit } = opts;
    // 1. expired leases, in expiry order
    let candidates: Candidate[] = [];
    for (const row of expired.iterate({ now, exclude })) {
      candidates.push(row);
      if (candidates.length >= limit * SCAN_FACTOR) break;
    }

    // 2. the webhooks with due pending rows that this worker may serve, oldest due first
    const excluded = new Set(opts.excludeWebhookIds);
    const due = pendingWebhooks.due(now, (webhookId) => !excluded.has(webhookId));
    due.sort((a, b) => a.oldest - b.oldest);

    // 3. their oldest due rows, until no later webhook can change the pick: `last` is the due time
    // of the limit-th candidate picked so far (it only moves earlier as candidates are added)
    const n = Math.min(perWebhookLimit, limit);
    let last = Infinity;
    let prune = limit;
    for (const w of due) {
      if (w.oldest >= last) break;
      for (const row of dueOf.all({
        tenant: w.tenant_id,
        webhook: w.webhook_id,
        now,
        n,
        timeout: w.timeout_ms,
      }))
        candidates.push(row);
      // prune now and then, not per webhook: amortised, each candidate is sorted a few times at most
      if (candidates.length >= prune) {
        candidates = pick(candidates, perWebhookLimit, limit);
        prune = candidates.length + Math.max(1, limit >> 1);
        if (candidates.length === limit) last = candidates[limit - 1]!.due_at;
      }
    }
    const chosen = pick(candidates, perWebhookLimit, limit);
    if (chosen.length === 0) return [];

    // 4. lease them
    const leases = chosen.map((c) => [c.rowid, now + c.timeout_ms + opts.leaseMarginMs]);
    const rows = lease.all({ worker: opts.workerId, now, picked: JSON.stringify(leases) });
    // RETURNING has no defined order: restore the pick's oldest-due-first order.
    const order = new Map(chosen.map((c, i) => [c.rowid, i]));
    rows.sort((a, b) => order.get(a.rowid)! - order.get(b.rowid)!);

    // 5. One webhook object per webhook and one event object per event: a fan-out's deliveries share
    // their event's payload (read once, and copied to the main thread once).
    const webhooks = new Map<string, Webhook>();
    const events = new Map<string, ClaimedDelivery['event']>();
    const claimed: ClaimedDelivery[] = [];
    for (const row of rows) {
      const key = pairKey(row.tenant_id, row.webhook_id);
      let webhook = webhooks.get(key);
      if (webhook === undefined) {
        webhook = toWebhook(webhookOf.get(row.tenant_id, row.webhook_id)!);
        webhooks.set(key, webhook);
      }
      const eventKey = pairKey(row.tenant_id, row.event_id);
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
    if (anyClaimable.get({ exclude })!.n === 0) return [];
    return claimBatch.immediate(opts, exclude);
  };
}
