import pg from 'pg';
import { newId } from '../../../domain/ids.js';
import { matchesFilter } from '../../../domain/event-filter.js';
import type { Delivery, Event, Webhook } from '../../../domain/types.js';
import { claimedEventOf, leaseBudget, leasedDelivery, takeLease, type LeaseBudget } from '../../lease.js';
import type { ClaimedDelivery, IngestInput, IngestLease, IngestResult } from '../../types.js';
import type { EventRow, WebhookRow } from '../../kysely/database.js';
import { toEvent, toWebhook } from '../../kysely/rows.js';

/**
 * ingest: the transactional outbox. Events and their deliveries are written by ONE statement, so an
 * accepted event is never stored without its deliveries, and the batch costs two round trips:
 *
 * 1. read the tenants' webhooks and fan out in JS with the domain's matchesFilter;
 * 2. insert the events with ON CONFLICT DO NOTHING (both unique keys: (tenant, id) and
 *    (tenant, idempotency_key)), insert deliveries only for the events that were really inserted
 *    and whose webhook still exists, and pg_notify the other processes — delivered at commit, and
 *    only if a delivery was created.
 *
 * With a lease (IngestLease), deliveries of unpaused, not excluded webhooks go in already leased to
 * the caller's worker, as claim.ts would lease them; the statement returns, per event, the ids of
 * those really inserted, and notifies (and wakes this process) only when a delivery was left pending
 * for an unpaused webhook: a paused webhook's deliveries wait for its resume, which wakes everyone.
 *
 * Duplicates are races between api processes too: when another process inserts the same event id
 * concurrently, PostgreSQL makes our INSERT wait for its commit and then skip the row; the original
 * is then read back (a third round trip, only for batches with duplicates). Duplicates inside one
 * batch are resolved here first: the later input is a duplicate of the earlier one.
 */
const WEBHOOKS_SQL = `SELECT * FROM webhooks WHERE tenant_id = ANY ($1::text[])`;

const INSERT_SQL = `
WITH ev AS (
  INSERT INTO events (tenant_id, id, type, timestamp, payload, idempotency_key, source_id, raw_body,
                      raw_content_type, source_headers, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
                       $8::bytea[], $9::text[], $10::text[], $11::bigint[])
  ON CONFLICT DO NOTHING
  RETURNING tenant_id, id
),
dl AS (
  INSERT INTO deliveries (tenant_id, id, event_id, webhook_id, event_type, status, attempts, next_attempt_at,
                          lease_owner, lease_expires_at, created_at, updated_at)
  SELECT x.tenant_id, x.id, x.event_id, x.webhook_id, x.event_type,
    CASE WHEN x.lease_owner IS NULL THEN 'pending' ELSE 'delivering' END, 0, $12,
    x.lease_owner, x.lease_expires_at, $12, $12
  FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[])
    AS x(tenant_id, id, event_id, webhook_id, event_type, lease_owner, lease_expires_at)
  JOIN ev ON ev.tenant_id = x.tenant_id AND ev.id = x.event_id
  JOIN webhooks w ON w.tenant_id = x.tenant_id AND w.id = x.webhook_id
  RETURNING tenant_id, event_id, id, webhook_id, lease_owner
)
SELECT ev.tenant_id, ev.id, count(dl.event_id) AS deliveries,
  array_remove(array_agg(CASE WHEN dl.lease_owner IS NOT NULL THEN dl.id END), NULL) AS leased,
  (SELECT count(pg_notify($20, $21)) FROM (
    SELECT 1 FROM dl JOIN webhooks w ON w.tenant_id = dl.tenant_id AND w.id = dl.webhook_id
    WHERE dl.lease_owner IS NULL AND w.paused = 0 LIMIT 1) s) AS notified
FROM ev
LEFT JOIN dl ON dl.tenant_id = ev.tenant_id AND dl.event_id = ev.id
GROUP BY ev.tenant_id, ev.id`;

/** the stored original of each duplicate: a match on id wins over a match on idempotency key */
const ORIGINALS_SQL = `
SELECT k.ord, e.*
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(tenant_id, id, idempotency_key, ord)
CROSS JOIN LATERAL (
  (SELECT * FROM events e WHERE e.tenant_id = k.tenant_id AND e.id = k.id)
  UNION ALL
  (SELECT * FROM events e WHERE e.tenant_id = k.tenant_id AND e.idempotency_key = k.idempotency_key)
  LIMIT 1
) e`;

/** an event whose original vanished between our insert and our read (its tenant was deleted) is retried */
const MAX_TRIES = 3;

export interface IngestWake {
  channel: string;
  payload: string;
  /** called after a commit that left a delivery pending for an unpaused webhook (leased ones need no wake) */
  fire(): void;
}

export async function ingest(
  pool: pg.Pool,
  inputs: readonly IngestInput[],
  now: number,
  wake: IngestWake,
  lease?: IngestLease,
  tries = 1,
): Promise<IngestResult[]> {
  const results = new Array<IngestResult | undefined>(inputs.length);
  // Inside the batch, the first input with an id or idempotency key wins; later ones point at it.
  const firstByKey = new Map<string, number>();
  const sameAs = new Array<number | undefined>(inputs.length);
  const fresh: number[] = [];
  inputs.forEach(({ event }, i) => {
    const idKey = `i\u0000${event.tenant_id}\u0000${event.id}`;
    const ikKey =
      event.idempotency_key === null ? null : `k\u0000${event.tenant_id}\u0000${event.idempotency_key}`;
    const earlier = firstByKey.get(idKey) ?? (ikKey === null ? undefined : firstByKey.get(ikKey));
    if (earlier !== undefined) {
      sameAs[i] = earlier;
      return;
    }
    firstByKey.set(idKey, i);
    if (ikKey !== null) firstByKey.set(ikKey, i);
    fresh.push(i);
  });

  const tenants = [...new Set(fresh.map((i) => inputs[i]!.event.tenant_id))];
  const { rows: webhooks } = await pool.query<WebhookRow>({
    name: 'hooklane_ingest_webhooks',
    text: WEBHOOKS_SQL,
    values: [tenants],
  });
  const byTenant = new Map<string, WebhookRow[]>();
  for (const w of webhooks) {
    const list = byTenant.get(w.tenant_id);
    if (list === undefined) byTenant.set(w.tenant_id, [w]);
    else list.push(w);
  }
  const filters = new Map<string, string[]>(); // the same filter text is parsed once per batch

  const ev = Array.from({ length: 11 }, () => [] as unknown[]);
  const dl = Array.from({ length: 7 }, () => [] as unknown[]);
  const budget = leaseBudget(lease);
  /** the leases planned, by delivery id; those of events that turn out duplicates are dropped */
  const planned = new Map<string, ClaimedDelivery>();
  const parsedWebhooks = new Map<WebhookRow, Webhook>();
  // Rows go in in key order, so concurrent batches holding the same events (a client retrying on
  // another api process) take their unique-index locks in the same order and rarely deadlock.
  const ordered = [...fresh].sort((a, b) => compareKeys(inputs[a]!.event, inputs[b]!.event));
  for (const i of ordered) {
    const { event, onlyWebhookId } = inputs[i]!;
    const values = [
      event.tenant_id,
      event.id,
      event.type,
      event.timestamp,
      event.payload,
      event.idempotency_key,
      event.source_id,
      event.raw_body,
      event.raw_content_type,
      event.source_headers === null ? null : JSON.stringify(event.source_headers),
      event.created_at,
    ];
    values.forEach((v, col) => ev[col]!.push(v));
    let claimedEvent: ClaimedDelivery['event'] | undefined;
    for (const w of byTenant.get(event.tenant_id) ?? []) {
      if (!targets(w, event, onlyWebhookId, filters)) continue;
      const id = newId('delivery', now);
      let lease: Delivery | null = null;
      if (onlyWebhookId === undefined && takeLease(budget, w.id, w.paused !== 0)) {
        lease = leasedDelivery(event, id, w, budget as LeaseBudget, now);
        let webhook = parsedWebhooks.get(w);
        if (webhook === undefined) parsedWebhooks.set(w, (webhook = toWebhook(w)));
        planned.set(id, { delivery: lease, event: (claimedEvent ??= claimedEventOf(event)), webhook });
      }
      [
        event.tenant_id,
        id,
        event.id,
        w.id,
        event.type,
        lease?.lease_owner ?? null,
        lease?.lease_expires_at ?? null,
      ].forEach((v, col) => dl[col]!.push(v));
    }
  }

  const inserted = new Map<string, { deliveries: number; leased: string[] }>();
  if (fresh.length > 0) {
    const rows = await insertRetryingDeadlocks(pool, [...ev, now, ...dl, wake.channel, wake.payload]);
    for (const r of rows) inserted.set(`${r.tenant_id}\u0000${r.id}`, r);
    // the same condition as the NOTIFY: a delivery left pending for an unpaused webhook
    if (rows.some((r) => Number(r.notified) > 0)) wake.fire();
  }

  const duplicates: number[] = [];
  for (const i of fresh) {
    const { event } = inputs[i]!;
    const row = inserted.get(`${event.tenant_id}\u0000${event.id}`);
    if (row === undefined) duplicates.push(i);
    else if (row.leased.length === 0) results[i] = { event, duplicate: false, deliveries: row.deliveries };
    else {
      const leased = row.leased.map((id) => planned.get(id)!);
      results[i] = { event, duplicate: false, deliveries: row.deliveries, leased };
    }
  }
  if (duplicates.length > 0) {
    const { rows } = await pool.query<EventRow & { ord: number }>({
      name: 'hooklane_ingest_originals',
      text: ORIGINALS_SQL,
      values: [
        duplicates.map((i) => inputs[i]!.event.tenant_id),
        duplicates.map((i) => inputs[i]!.event.id),
        duplicates.map((i) => inputs[i]!.event.idempotency_key),
      ],
    });
    for (const r of rows)
      results[duplicates[r.ord - 1]!] = { event: toEvent(r), duplicate: true, deliveries: 0 };
    const vanished = duplicates.filter((i) => results[i] === undefined);
    if (vanished.length > 0) {
      if (tries >= MAX_TRIES)
        throw new Error(
          `ingest: events ${vanished.map((i) => inputs[i]!.event.id).join(', ')} conflicted but could not be read back`,
        );
      const retried = await ingest(
        pool,
        vanished.map((i) => inputs[i]!),
        now,
        wake,
        undefined,
        tries + 1,
      );
      vanished.forEach((i, k) => (results[i] = retried[k]));
    }
  }

  return inputs.map((_, i) => {
    const own = results[i];
    if (own !== undefined) return own;
    const first = results[sameAs[i]!]!;
    return { event: first.event, duplicate: true, deliveries: 0 };
  });
}

function targets(
  w: WebhookRow,
  event: Event,
  onlyWebhookId: string | undefined,
  filters: Map<string, string[]>,
): boolean {
  if (onlyWebhookId !== undefined) return w.id === onlyWebhookId;
  if (w.active !== 1) return false;
  let parsed = filters.get(w.events);
  if (parsed === undefined) {
    parsed = JSON.parse(w.events) as string[];
    filters.set(w.events, parsed);
  }
  return matchesFilter(parsed, event.type);
}

function compareKeys(a: Event, b: Event): number {
  if (a.tenant_id !== b.tenant_id) return a.tenant_id < b.tenant_id ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

interface InsertedEvent {
  tenant_id: string;
  id: string;
  deliveries: number;
  /** ids of its deliveries inserted leased */
  leased: string[];
  /** 1 when the statement notified (the same for every row): a claim could take a delivery now */
  notified: number | string;
}

const DEADLOCK = '40P01';
const DEADLOCK_TRIES = 5;

/**
 * The insert statement, run again when PostgreSQL aborts it as a deadlock victim. Key order cannot
 * rule deadlocks out: two unique indexes (id, idempotency key) can be locked in crossed orders by
 * batches that share events. The statement is its own transaction and idempotent (ON CONFLICT DO
 * NOTHING), so running it again is safe: what the other batch committed meanwhile comes back as
 * duplicates.
 */
async function insertRetryingDeadlocks(pool: pg.Pool, values: unknown[]): Promise<InsertedEvent[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await pool.query<InsertedEvent>({
        name: 'hooklane_ingest',
        text: INSERT_SQL,
        values,
      });
      return rows;
    } catch (e) {
      if (!(e instanceof pg.DatabaseError) || e.code !== DEADLOCK || attempt >= DEADLOCK_TRIES) throw e;
    }
  }
}
