/**
 * Per-webhook limits, tracked in-process: each webhook is a lane with its own in-flight cap
 * (`max_in_flight`), an optional token bucket (`rate_limit_per_s`) and a short queue of claimed
 * deliveries waiting for a slot. A slow or dead receiver fills only its own lane; the dispatcher
 * stops claiming for saturated lanes (`excluded()`), so it never delays anyone else.
 *
 * A waiting delivery holds a lease that started at its claim and lasts timeout + lease margin. It
 * must start while its request can still finish inside that lease, so deliveries that waited
 * longer than `maxWaitMs` are handed back (`takeStale`) instead of being sent late.
 *
 * Prefetch: a lane whose receiver answers fast may hold up to `max_in_flight` more deliveries
 * waiting than it has free slots. Without that, a slot freed by an answer stays empty for a whole
 * claim round trip (kick, claim transaction, reply), and a busy fast webhook spends much of its
 * time below its cap: bench #1 delivered fewer events than were accepted. A lane prefetches only
 * while its requests' moving-average duration is under PREFETCH_MAX_AVG_MS, so a slow or dead
 * receiver's lane never holds more than its in-flight cap (no leases idling in memory, no
 * stale hand-backs). Rate-limited lanes never prefetch beyond their tokens.
 */
import type { Webhook } from '../domain/types.js';
import type { ClaimedDelivery } from '../store/types.js';

/** Refills `ratePerS` tokens a second, holding at most one second's worth (at least one token). */
export class TokenBucket {
  private tokens: number;
  private capacity: number;
  private ratePerS: number;
  private last: number;

  constructor(ratePerS: number, now: number) {
    this.ratePerS = ratePerS;
    this.capacity = Math.max(1, ratePerS);
    this.tokens = this.capacity;
    this.last = now;
  }

  setRate(ratePerS: number): void {
    this.ratePerS = ratePerS;
    this.capacity = Math.max(1, ratePerS);
    this.tokens = Math.min(this.tokens, this.capacity);
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerS) / 1000);
      this.last = now;
    }
  }

  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** ms until one token is available (0 when one is) */
  msUntilToken(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerS);
  }

  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }
}

export interface Waiting {
  claimed: ClaimedDelivery;
  claimedAt: number;
}

interface Lane {
  maxInFlight: number;
  inFlight: number;
  bucket: TokenBucket | null;
  waiting: Waiting[];
  /** moving average of this lane's request durations, ms; null until one finished */
  avgMs: number | null;
}

/** Claimed deliveries of webhooks never seen before are capped at this many per claim. */
const UNKNOWN_WEBHOOK_CLAIM = 16;
/** a lane prefetches while its requests take less than this on average, ms */
export const PREFETCH_MAX_AVG_MS = 100;
/** weight of the newest request in a lane's average duration */
const AVG_WEIGHT = 0.2;

export class WebhookLimits {
  private readonly lanes = new Map<string, Lane>();

  private lane(webhook: Webhook, now: number): Lane {
    let lane = this.lanes.get(webhook.id);
    if (lane === undefined) {
      lane = { maxInFlight: webhook.max_in_flight, inFlight: 0, bucket: null, waiting: [], avgMs: null };
      this.lanes.set(webhook.id, lane);
    }
    // The claim carries the webhook as it is now: limits changed by the API apply at once.
    lane.maxInFlight = Math.max(1, webhook.max_in_flight);
    const rate = webhook.rate_limit_per_s;
    if (rate === null || rate <= 0) lane.bucket = null;
    else if (lane.bucket === null) lane.bucket = new TokenBucket(rate, now);
    else lane.bucket.setRate(rate);
    return lane;
  }

  private canStart(lane: Lane, now: number): boolean {
    return lane.inFlight < lane.maxInFlight && (lane.bucket === null || lane.bucket.available(now) >= 1);
  }

  /**
   * How many more deliveries the lane may take in a claim: its free slots (or tokens), plus, for a
   * fast unlimited lane, a prefetch of up to max_in_flight, less what already waits.
   */
  private room(lane: Lane, now: number): number {
    if (lane.bucket !== null) {
      return Math.min(lane.maxInFlight - lane.inFlight, lane.bucket.available(now)) - lane.waiting.length;
    }
    const prefetch = lane.avgMs !== null && lane.avgMs < PREFETCH_MAX_AVG_MS ? lane.maxInFlight : 0;
    return lane.maxInFlight + prefetch - lane.inFlight - lane.waiting.length;
  }

  /** Could a claim take a delivery of any of these webhooks now? (An unknown lane has room.) */
  anyRoom(webhookIds: Iterable<string>, now: number): boolean {
    for (const id of webhookIds) {
      const lane = this.lanes.get(id);
      if (lane === undefined || this.room(lane, now) > 0) return true;
    }
    return false;
  }

  /** Queues a claimed delivery on its webhook's lane. */
  admit(claimed: ClaimedDelivery, now: number): void {
    this.lane(claimed.webhook, now).waiting.push({ claimed, claimedAt: now });
  }

  /**
   * Takes every waiting delivery that may start now, counting each as in flight (and spending a
   * token). Oldest claim first within a lane.
   */
  takeStartable(now: number): ClaimedDelivery[] {
    const out: ClaimedDelivery[] = [];
    for (const lane of this.lanes.values()) {
      while (lane.waiting.length > 0 && this.canStart(lane, now)) {
        out.push(lane.waiting.shift()!.claimed);
        lane.inFlight++;
        lane.bucket?.take(now);
      }
    }
    return out;
  }

  /** A request of this webhook finished after `durationMs`. */
  finish(webhookId: string, now: number, durationMs: number): void {
    const lane = this.lanes.get(webhookId);
    if (lane === undefined) return;
    lane.inFlight--;
    lane.avgMs = lane.avgMs === null ? durationMs : lane.avgMs + AVG_WEIGHT * (durationMs - lane.avgMs);
    if (lane.inFlight <= 0 && lane.waiting.length === 0 && (lane.bucket === null || lane.bucket.full(now))) {
      this.lanes.delete(webhookId);
    }
  }

  /** Webhooks whose deliveries must not be claimed now: no room (see room()). */
  excluded(now: number): string[] {
    const out: string[] = [];
    for (const [id, lane] of this.lanes) if (this.room(lane, now) <= 0) out.push(id);
    return out;
  }

  /**
   * How many deliveries of one webhook a claim may take: as many as the roomiest known lane has
   * room for, so a single busy webhook still fills its slots (and its prefetch) in one claim.
   */
  perWebhookLimit(limit: number, now: number): number {
    let room = UNKNOWN_WEBHOOK_CLAIM;
    for (const lane of this.lanes.values()) {
      const free = this.room(lane, now);
      if (free > room) room = free;
    }
    return Math.max(1, Math.min(limit, room));
  }

  /**
   * Webhooks holding more than a fair share of the process's `concurrency`: an equal split between
   * the webhooks it serves now plus one newcomer. A webhook whose own cap is above that share may
   * still fill the process when nobody else has work; the dispatcher asks for other work first.
   */
  overShare(concurrency: number): string[] {
    const share = this.fairShare(concurrency);
    const out: string[] = [];
    for (const [id, lane] of this.lanes) if (lane.inFlight + lane.waiting.length >= share) out.push(id);
    return out;
  }

  /** Webhooks with at least a fair share of `claimed`. */
  tookShare(claimed: readonly ClaimedDelivery[], concurrency: number): string[] {
    const share = this.fairShare(concurrency);
    const counts = new Map<string, number>();
    for (const c of claimed) counts.set(c.webhook.id, (counts.get(c.webhook.id) ?? 0) + 1);
    return [...counts].filter(([, n]) => n >= share).map(([id]) => id);
  }

  private fairShare(concurrency: number): number {
    return Math.max(1, Math.ceil(concurrency / (this.lanes.size + 1)));
  }

  /** Removes and returns deliveries that waited longer than maxWaitMs. */
  takeStale(now: number, maxWaitMs: number): ClaimedDelivery[] {
    const out: ClaimedDelivery[] = [];
    for (const lane of this.lanes.values()) {
      while (lane.waiting.length > 0 && now - lane.waiting[0]!.claimedAt > maxWaitMs) {
        out.push(lane.waiting.shift()!.claimed);
      }
    }
    return out;
  }

  /** Removes and returns the waiting deliveries of one webhook (it was disabled), or of all. */
  takeWaiting(webhookId?: string): ClaimedDelivery[] {
    const out: ClaimedDelivery[] = [];
    for (const [id, lane] of this.lanes) {
      if (webhookId !== undefined && id !== webhookId) continue;
      for (const w of lane.waiting) out.push(w.claimed);
      lane.waiting = [];
    }
    return out;
  }

  /**
   * The earliest time a lane needs the dispatcher again: a waiting delivery gets a token or goes
   * stale, or a rate-limited lane with free slots gets a token to claim with. Null when none does.
   * Idle lanes are forgotten here.
   */
  nextWakeAt(now: number, maxWaitMs: number): number | null {
    let at: number | null = null;
    for (const [id, lane] of this.lanes) {
      const first = lane.waiting[0];
      const tokenAt =
        lane.bucket !== null && lane.inFlight < lane.maxInFlight ? now + lane.bucket.msUntilToken(now) : null;
      let t: number | null = null;
      if (first !== undefined) t = Math.min(first.claimedAt + maxWaitMs + 1, tokenAt ?? Infinity);
      else if (tokenAt !== null && tokenAt > now) t = tokenAt;
      else if (lane.inFlight <= 0 && (lane.bucket === null || lane.bucket.full(now))) this.lanes.delete(id);
      if (t !== null && (at === null || t < at)) at = t;
    }
    return at;
  }
}
