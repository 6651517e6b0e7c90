import { matchesFilter } from '../../domain/event-filter.js';
import { newId } from '../../domain/ids.js';
import type { EpochMs } from '../../domain/types.js';
import type { EventRow } from '../kysely/database.js';
import { eventRow, toEvent } from '../kysely/rows.js';
import type { IngestInput, IngestResult } from '../types.js';
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
 */
interface WebhookFilterRow {
  id: string;
  events: string;
}

export function createIngest(db: SqliteConnection): (inputs: IngestInput[], now: EpochMs) => IngestResult[] {
  const byId = db.prepare<[string, string], EventRow>('SELECT * FROM events WHERE tenant_id = ? AND id = ?');
  const byIdempotencyKey = db.prepare<[string, string], EventRow>(
    'SELECT * FROM events WHERE tenant_id = ? AND idempotency_key = ?',
  );
  const insertEvent = db.prepare<EventRow>(`
    INSERT INTO events (tenant_id, id, type, timestamp, payload, idempotency_key, source_id, raw_body,
                        raw_content_type, source_headers, created_at)
    VALUES (@tenant_id, @id, @type, @timestamp, @payload, @idempotency_key, @source_id, @raw_body,
            @raw_content_type, @source_headers, @created_at)`);
  const activeWebhooks = db.prepare<[string], WebhookFilterRow>(
    'SELECT id, events FROM webhooks WHERE tenant_id = ? AND active = 1',
  );
  const oneWebhook = db.prepare<[string, string], { id: string }>(
    'SELECT id FROM webhooks WHERE tenant_id = ? AND id = ?',
  );
  const insertDelivery = db.prepare<[string, string, string, string, string, number, number, number]>(`
    INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, attempts, next_attempt_at,
                            created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`);

  const ingestBatch = db.transaction((inputs: IngestInput[], now: EpochMs): IngestResult[] => {
    const filtersByTenant = new Map<string, { id: string; filters: string[] }[]>();
    const results: IngestResult[] = [];
    for (const { event, onlyWebhookId } of inputs) {
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

      let targets: string[];
      if (onlyWebhookId !== undefined) {
        targets = oneWebhook.get(event.tenant_id, onlyWebhookId) === undefined ? [] : [onlyWebhookId];
      } else {
        let webhooks = filtersByTenant.get(event.tenant_id);
        if (webhooks === undefined) {
          webhooks = activeWebhooks
            .all(event.tenant_id)
            .map((w) => ({ id: w.id, filters: JSON.parse(w.events) as string[] }));
          filtersByTenant.set(event.tenant_id, webhooks);
        }
        targets = webhooks.filter((w) => matchesFilter(w.filters, event.type)).map((w) => w.id);
      }
      for (const webhookId of targets) {
        insertDelivery.run(
          event.tenant_id,
          newId('delivery', now),
          event.id,
          webhookId,
          event.type,
          now,
          now,
          now,
        );
      }
      results.push({ event, duplicate: false, deliveries: targets.length });
    }
    return results;
  });

  return (inputs, now) => (inputs.length === 0 ? [] : ingestBatch.immediate(inputs, now));
}
