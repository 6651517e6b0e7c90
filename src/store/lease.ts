/** Small helpers shared by the engines for lease at ingest (IngestLease in types.ts). */
import type { Delivery, EpochMs, Event } from '../domain/types.js';
import type { ClaimedDelivery, IngestLease } from './types.js';

/** the part of an event a claimed delivery carries (from an Event, or a claim's row of one) */
export function claimedEventOf(e: ClaimedDelivery['event']): ClaimedDelivery['event'] {
  return {
    id: e.id,
    type: e.type,
    payload: e.payload,
    raw_body: e.raw_body,
    raw_content_type: e.raw_content_type,
    source_id: e.source_id,
  };
}

/** what an ingest batch may still lease */
export interface LeaseBudget {
  opts: IngestLease;
  left: number;
  exclude: Set<string>;
  perWebhook: Map<string, number>;
}

export function leaseBudget(opts: IngestLease | undefined): LeaseBudget | null {
  if (opts === undefined || opts.limit <= 0 || opts.perWebhookLimit <= 0) return null;
  return { opts, left: opts.limit, exclude: new Set(opts.excludeWebhookIds), perWebhook: new Map() };
}

/** takes one lease for a delivery to the webhook from the budget, if it has one to give */
export function takeLease(budget: LeaseBudget | null, webhookId: string, paused: boolean): boolean {
  if (budget === null || budget.left <= 0 || paused || budget.exclude.has(webhookId)) return false;
  const taken = budget.perWebhook.get(webhookId) ?? 0;
  if (taken >= budget.opts.perWebhookLimit) return false;
  budget.perWebhook.set(webhookId, taken + 1);
  budget.left--;
  return true;
}

/** a new delivery of `event` to a webhook, inserted leased as a claim would lease it */
export function leasedDelivery(
  event: Event,
  id: string,
  webhook: { id: string; timeout_ms: number },
  budget: LeaseBudget,
  now: EpochMs,
): Delivery {
  return {
    tenant_id: event.tenant_id,
    id,
    event_id: event.id,
    webhook_id: webhook.id,
    event_type: event.type,
    status: 'delivering',
    attempts: 0,
    next_attempt_at: now,
    lease_owner: budget.opts.workerId,
    lease_expires_at: now + webhook.timeout_ms + budget.opts.leaseMarginMs,
    last_status_code: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    completed_at: null,
  };
}
