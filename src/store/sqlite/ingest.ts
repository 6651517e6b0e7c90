import { matchesFilter } from '../../domain/event-filter.js';
import { newId } from '../../domain/ids.js';
import type { Delivery, EpochMs, Event, Webhook } from '../../domain/types.js';
import type { EventRow, WebhookRow } from '../kysely/database.js';
import { eventRow, toEvent, toWebhook } from '../kysely/rows.js';
import { dedupeClaimOf, lostClaimResult } from '../dedupe-ingest.js';
import { claimedEventOf, leaseBudget, leasedDelivery, takeLease } from '../lease.js';
import type { ClaimedDelivery, DedupeClaim, IngestInput, IngestLease, IngestResult } from '../types.js';
import type { SqliteConnection } from './connection.js';

/**
 * events.ingest, the transactional outbox: the whole batch is ONE transaction, so one commit (and,
 * with synchronous=FULL, one fsync) covers every event of a batch and all their deliveries.
 *
 * Per event: look for a duplicate by (tenant, id), then by (tenant, idempotency_key); else insert
 * the event and one pending delivery, due now, per active webhook of the tenant whose filter
 * matches (or only `onlyWebhookId`). An earlier event of the same batch counts as a duplicate too:
 * it is already inserted when the later one is looked up. A tenant's webhooks are read once per
 * batch.
 *
 * With a lease (IngestLease), deliveries of unpaused, not excluded webhooks are inserted already
 * leased to the caller's worker, up to the lease's limits, exactly as claim.ts would lease them:
 * the dispatcher starts them without a claim of their own.
 *
 * `claimable` says whether the batch left a delivery that a claim could take now: one pending for
 * an unpaused webhook. A paused webhook's new deliveries wait for its resume, whose update wakes the
 * dispatchers (webhooks.update), so they need no wake of their own (bench #3 posts to a paused
 * webhook: before, every batch's commit woke a claim that found nothing).
 */
export interface SqliteIngestBatch {
  results: IngestResult[];
  claimable: boolean;
}

interface TenantWebhook {
  row: WebhookRow;
  filters: string[];
  /** parsed on first lease */
  webhook: Webhook | null;
}

export function createIngest(
  db: SqliteConnection,
  claimDedupeKey: (claim: DedupeClaim, now: EpochMs) => string,
): (inputs: IngestInput[], now: EpochMs, lease?: IngestLease) => SqliteIngestBatch {
  const byId = db.prepare<[string, string], EventRow>('SELECT * FROM events WHERE tenant_id = ? AND id = ?');
  const byIdempotencyKey = db.prepare<[string, string], EventRow>(
    'SELECT * FROM events WHERE tenant_id = ? AND idempotency_key = ?',
  );
  const insertEvent = db.prepare<EventRow>(`
    INSERT INTO events (tenant_id, id, type, timestamp, payload, idempotency_key, source_id, raw_body,
                        raw_content_type, source_headers, created_at)
    VALUES (@tenant_id, @id, @type, @timestamp, @payload, @idempotency_key, @source_id, @raw_body,
            @raw_content_type, @source_headers, @created_at)`);
  const activeWebhooks = db.prepare<[string], WebhookRow>(
    'SELECT * FROM webhooks WHERE tenant_id = ? AND active = 1',
  );
  const oneWebhook = db.prepare<[string, string], { id: string }>(
    'SELECT id FROM webhooks WHERE tenant_id = ? AND id = ?',
  );
  const insertDelivery = db.prepare<[string, string, string, string, string, number, number, number]>(`
    INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, attempts, next_attempt_at,
                            created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`);
  /** a pending delivery of the event to the webhook, due now */
  const insertPending = (event: Event, webhookId: string, id: string, now: EpochMs) =>
    insertDelivery.run(event.tenant_id, id, event.id, webhookId, event.type, now, now, now);
  const insertLeased = db.prepare<Delivery>(`
    INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, attempts, next_attempt_at,
                            lease_owner, lease_expires_at, created_at, updated_at)
    VALUES (@tenant_id, @id, @event_id, @webhook_id, @event_type, 'delivering', 0, @next_attempt_at,
            @lease_owner, @lease_expires_at, @created_at, @updated_at)`);

  const ingestBatch = db.transaction(
    (inputs: IngestInput[], now: EpochMs, leaseOpts: IngestLease | undefined): SqliteIngestBatch => {
      const webhooksByTenant = new Map<string, TenantWebhook[]>();
      const budget = leaseBudget(leaseOpts);
      const results: IngestResult[] = [];
      let claimable = false;
      for (const input of inputs) {
        const { event, onlyWebhookId } = input;
        const claim = dedupeClaimOf(input);
        if (claim !== null) {
          // the replay defence commits with the event: a key is never on record without its event
          const recorded = claimDedupeKey(claim, now);
          if (recorded !== event.id) {
            const original = byId.get(event.tenant_id, recorded);
            results.push(lostClaimResult(event, recorded, original === undefined ? null : toEvent(original)));
            continue;
          }
        }
        const existing =
          byId.get(event.tenant_id, event.id) ??
          (event.idempotency_key === null
            ? undefined
            : byIdempotencyKey.get(event.tenant_id, event.idempotency_key));
        if (existing !== undefined) {
          results.push({ event: toEvent(existing), duplicate: true, deliveries: 0 });
          continue;
        }
        insertEvent.run(eventRow(event));

        if (onlyWebhookId !== undefined) {
          const found = oneWebhook.get(event.tenant_id, onlyWebhookId) !== undefined;
          if (found) {
            insertPending(event, onlyWebhookId, newId('delivery', now), now);
            claimable = true;
          }
          results.push({ event, duplicate: false, deliveries: found ? 1 : 0 });
          continue;
        }
        let webhooks = webhooksByTenant.get(event.tenant_id);
        if (webhooks === undefined) {
          webhooks = activeWebhooks
            .all(event.tenant_id)
            .map((row) => ({ row, filters: JSON.parse(row.events) as string[], webhook: null }));
          webhooksByTenant.set(event.tenant_id, webhooks);
        }
        let deliveries = 0;
        let leased: ClaimedDelivery[] | undefined;
        let claimedEvent: ClaimedDelivery['event'] | undefined;
        for (const w of webhooks) {
          if (!matchesFilter(w.filters, event.type)) continue;
          deliveries++;
          const id = newId('delivery', now);
          const paused = w.row.paused !== 0;
          if (!takeLease(budget, w.row.id, paused)) {
            insertPending(event, w.row.id, id, now);
            if (!paused) claimable = true;
            continue;
          }
          const delivery = leasedDelivery(event, id, w.row, budget!, now);
          insertLeased.run(delivery);
          w.webhook ??= toWebhook(w.row);
          (leased ??= []).push({
            delivery,
            event: (claimedEvent ??= claimedEventOf(event)),
            webhook: w.webhook,
          });
        }
        results.push(
          leased === undefined
            ? { event, duplicate: false, deliveries }
            : { event, duplicate: false, deliveries, leased },
        );
      }
      return { results, claimable };
    },
  );

  return (inputs, now, lease) =>
    inputs.length === 0 ? { results: [], claimable: false } : ingestBatch.immediate(inputs, now, lease);
}
