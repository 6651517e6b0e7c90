/**
 * The dispatcher: claims due deliveries in leased batches, sends them concurrently, classifies each
 * answer (domain/outcome.ts) and records the results in batches.
 *
 *   wake (commit notification | timer at the next due time | poll floor | a slot frees)
 *     → claim while there is capacity (saturated webhooks excluded, per-webhook share capped)
 *     → start what each webhook's lane allows → send → classify → batch completion
 *
 * A freed slot claims only while a claim may find something (`claimable`): after a claim that took
 * all it could see, new due work can only come from a wake (a commit that left deliveries due, a
 * release, another process's NOTIFY), with time (the due-time timer, the poll floor), or from a
 * webhook that claim left out (at its cap) getting room again, and each of those claims again.
 * Deliveries leased at ingest then need no claim at all, even beside a stuck webhook's backlog.
 *
 * Capacity (`concurrency`) counts every delivery this process holds a lease on: waiting in a lane,
 * in flight, or with its result not yet written. A webhook's own cap (`max_in_flight`) and rate
 * limit live in its lane (limits.ts), so a receiver that never answers occupies its own slots and
 * no others. Claims are ordered by due time and a saturated webhook's retries are not claimed, so
 * a failing receiver's retry backlog cannot starve first attempts to healthy ones.
 */
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Webhook } from '../domain/types.js';
import { firstIdAt, newId } from '../domain/ids.js';
import { classifyOutcome } from '../domain/outcome.js';
import type { Metrics } from '../metrics/index.js';
import type { DeliveryHandoff } from '../ingest/events.js';
import type { ClaimedDelivery, Completion, IngestLease, Store } from '../store/types.js';
import { CompletionBatcher } from './completion-batcher.js';
import type { LookupFn } from './egress.js';
import { WebhookLimits } from './limits.js';
import { HttpTransport, buildRequest, type SendResult, type TransportResolver } from './sender.js';

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** this process's lease owner name; unique per process */
  workerId: string;
  /** deliveries held at once by this process */
  concurrency: number;
  /** deliveries claimed per statement */
  claimBatchSize: number;
  /** the polling floor when nothing wakes the dispatcher, ms */
  pollIntervalMs: number;
  /** lease = the webhook's timeout_ms + this, ms */
  leaseMarginMs: number;
  allowPrivateNetworks: boolean;
  /** route a webhook's deliveries through another transport (default: HTTP for all) */
  transportFor?: TransportResolver;
  /** DNS of the default HTTP transport's egress guard (tests) */
  lookup?: LookupFn;
  /** disable a webhook failing this long with no success, ms (default 5 days; 0 = never) */
  autoDisableAfterMs?: number;
  /** jitter source for retry delays (tests) */
  random?: () => number;
}

const IDLE = Promise.resolve();
/** a webhook failing this long with no success is disabled (Svix's rule), ms */
export const AUTO_DISABLE_AFTER_MS = 5 * 86_400_000;
const DEAD_CHECK_INTERVAL_MS = 60_000;
/** after a fair-share claim found no other work, how long before trying one again, ms */
const FAIRNESS_RECHECK_MS = 50;
const FAIRNESS_RECHECK_MAX_MS = 1000;

export class Dispatcher implements DeliveryHandoff {
  private readonly log: Logger;
  private readonly limits = new WebhookLimits();
  private readonly batcher: CompletionBatcher;
  private readonly http: HttpTransport | null;
  private readonly transportFor: TransportResolver;
  /** a waiting delivery must start by then to finish inside its lease */
  private readonly maxWaitMs: number;

  private running = false;
  private stopping: Promise<void> | null = null;
  /** sends still running after stop()'s grace period: their results are dropped */
  private abandoned = false;
  private unsubscribe: (() => void) | null = null;

  /** webhooks that answered 410 and whose disable is not written yet: claim nothing of them */
  private readonly disabling = new Set<string>();
  /** no fair-share claim before then (the last one found nothing) */
  private fairnessRestUntil = 0;
  private fairnessRestMs = FAIRNESS_RECHECK_MS / 2;
  /** when each webhook was last checked for a dead endpoint */
  private readonly deadChecks = new Map<string, number>();
  /** the `now` of the latest claim */
  private lastClaimAt = 0;
  /** webhooks that took a full share of the last claim open to every webhook */
  private lastHogs: string[] = [];

  /** deliveries leased by this process and not yet written back, and slots reserved by lease offers */
  private held = 0;
  /** the claim loop stopped for want of capacity while lease offers held some */
  private starvedByOffers = false;
  private offered = 0;
  private inFlight = 0;
  private readonly sends = new Set<Promise<void>>();

  /**
   * Could a claim find work now? Cleared by a claim that returned fewer than it asked for while no
   * webhook got its full per-webhook share (so it saw every due delivery of the webhooks it did not
   * exclude); set by every wake, timer, release and given-up completion batch, and once one of the
   * webhooks that claim excluded for want of room (`blocked`: at their cap, rate-limited) has room.
   * A webhook being disabled is excluded too but never blocked: its lane has room, yet nothing of
   * it may be claimed, and counting it made every finished send claim in vain until its disable
   * was written.
   */
  private claimable = true;
  private blocked: ReadonlySet<string> = new Set();
  /** counts the events that set `claimable`, so a claim racing one of them does not clear it */
  private wakes = 0;
  /** due times may have moved since the last loop (a retry was scheduled, leases were given up) */
  private dueDirty = true;

  private loop: Promise<void> = IDLE;
  private looping = false;
  private again = false;
  private kickScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  /** when `timer` fires (clock time) */
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: DispatcherOptions) {
    this.log = opts.logger.child({ component: 'dispatcher', worker: opts.workerId });
    this.maxWaitMs = Math.max(1, Math.floor(opts.leaseMarginMs / 2));
    if (opts.transportFor !== undefined) {
      this.http = null;
      this.transportFor = opts.transportFor;
    } else {
      const http = new HttpTransport({
        allowPrivateNetworks: opts.allowPrivateNetworks,
        ...(opts.lookup !== undefined ? { lookup: opts.lookup } : {}),
      });
      this.http = http;
      this.transportFor = () => http;
    }
    this.batcher = new CompletionBatcher({
      store: opts.store,
      clock: opts.clock,
      logger: this.log,
      workerId: opts.workerId,
      onFlushed: (batch, written) => {
        this.held -= batch.length;
        // given up on: the leases expire and the deliveries come back (so does a 410's disable)
        if (!written) this.wake();
        for (const c of batch) {
          if (c.disable_webhook_reason !== undefined) this.disabling.delete(c.attempt.webhook_id);
          if (c.outcome === 'retry') this.dueDirty = true;
        }
        this.kick();
      },
    });
  }

  start(): void {
    if (this.running || this.stopping !== null) return;
    this.running = true;
    this.unsubscribe = this.opts.store.queue.subscribe(() => this.wake());
    this.wake();
  }

  /** New due work may exist (a commit, a release, time passing): the next loop claims. */
  private wake(): void {
    this.markClaimable();
    this.dueDirty = true;
    this.kick();
  }

  /** the next claim may find work; a claim already under way must not clear that (`wakes`) */
  private markClaimable(): void {
    this.claimable = true;
    this.blocked = new Set();
    this.wakes++;
  }

  /**
   * Stops claiming, gives back deliveries not started yet, waits up to `graceMs` for requests in
   * flight, and writes their results. Requests still running after the grace period are left to
   * their leases: they expire and the deliveries are sent again.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearTimer();
    await this.loop;
    await this.release(this.limits.takeWaiting());

    if (this.sends.size > 0) {
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((r) => {
        graceTimer = setTimeout(() => r('timeout'), graceMs);
      });
      const drained = await Promise.race([
        Promise.allSettled([...this.sends]).then(() => 'drained' as const),
        graceOver,
      ]);
      clearTimeout(graceTimer);
      if (drained === 'timeout') {
        this.abandoned = true;
        this.log.warn(
          { in_flight: this.sends.size, grace_ms: graceMs },
          'shutdown grace period over; abandoning requests in flight',
        );
      }
    }
    await this.batcher.flush();
    if (this.http !== null) await (this.abandoned ? this.http.destroy() : this.http.close());
    this.log.info('dispatcher stopped');
  }

  /** Runs the loop soon; wakes arriving in the same tick share one run (and one claim). */
  private kick(): void {
    if (!this.running) return;
    if (this.looping) {
      this.again = true;
      return;
    }
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      if (!this.running || this.looping) return;
      if (!this.mayClaim() && !this.dueDirty) {
        // only slots freed since the last loop: nothing to claim and no new due time, but a lane
        // (a rate limit's next token, a waiting delivery's deadline) may want the timer sooner
        this.startReady();
        const lane = this.limits.nextWakeAt(this.opts.clock.now(), this.maxWaitMs);
        if (lane !== null && lane < this.timerAt) this.setTimer(lane - this.opts.clock.now());
        return;
      }
      this.looping = true;
      this.loop = this.runLoop().finally(() => {
        this.looping = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
    });
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private async runLoop(): Promise<void> {
    this.clearTimer();
    this.dueDirty = false;
    let delay = this.opts.pollIntervalMs;
    try {
      do {
        this.again = false;
        await this.releaseStale();
        await this.claimWhileCapacity();
      } while (this.again && this.running);
      delay = await this.nextDelay();
    } catch (err) {
      this.log.error({ err }, 'dispatcher loop failed; retrying after the poll interval');
    }
    if (this.running) this.setTimer(delay);
  }

  private setTimer(delayMs: number): void {
    this.clearTimer();
    const delay = Math.max(1, delayMs);
    this.timerAt = this.opts.clock.now() + delay;
    this.timer = setTimeout(() => this.wake(), delay);
  }

  private async claimWhileCapacity(): Promise<void> {
    const { clock, claimBatchSize, concurrency } = this.opts;
    for (;;) {
      this.startReady();
      const capacity = concurrency - this.held;
      if (capacity <= 0 && this.offered > 0) this.starvedByOffers = true;
      if (capacity <= 0 || !this.running || !this.mayClaim()) return;
      const limit = Math.min(claimBatchSize, capacity);
      const now = clock.now();
      const excluded = this.excludedAt(now);

      // While a webhook holds more than its fair share, or took a full share in the last claim
      // that served everyone, other webhooks' due work is claimed first: otherwise a webhook whose
      // cap is above the process's concurrency and which has an overdue backlog (retries after an
      // outage) would take every slot as it frees, and first attempts to everyone else would wait
      // for its whole backlog. When that finds nothing, the check rests (50 ms, doubling up to 1 s),
      // so a lone busy webhook pays the extra claim rarely.
      let claimed = 0;
      if (now >= this.fairnessRestUntil) {
        const hogs = new Set([...this.limits.overShare(concurrency), ...this.lastHogs]);
        for (const id of excluded) hogs.delete(id);
        if (hogs.size > 0) {
          const first = await this.claimInto(limit, [...excluded, ...hogs], now);
          if (first === null) return;
          claimed = first.length;
          // A claim that skips a hog's backlog walks it (~18 ms per 100k rows on SQLite): while
          // nobody else has work, look again less and less often, up to once a second.
          this.fairnessRestMs =
            claimed === 0 ? Math.min(FAIRNESS_RECHECK_MAX_MS, this.fairnessRestMs * 2) : FAIRNESS_RECHECK_MS;
          if (claimed === 0) this.fairnessRestUntil = now + this.fairnessRestMs;
        }
      }
      if (claimed < limit) {
        const asked = limit - claimed;
        const wakes = this.wakes;
        const perWebhookLimit = this.limits.perWebhookLimit(asked, now);
        const rest = await this.claimInto(asked, [...excluded], now, perWebhookLimit);
        if (rest === null) return;
        claimed += rest.length;
        this.lastHogs = this.limits.tookShare(rest, concurrency);
        // nothing else is due now but the excluded webhooks' work; a wake that came during the
        // claim may have made more due
        if (wakes === this.wakes && sawEverything(rest, asked, perWebhookLimit)) {
          this.claimable = false;
          this.blocked = this.withoutDisabling(excluded);
        }
      }
      if (claimed < limit) {
        this.startReady();
        return;
      }
    }
  }

  /**
   * Lease at ingest (DeliveryHandoff): an ingest batch may lease its new deliveries to this
   * process, as many as it wants and this process has room for (not capped at a claim's batch
   * size: the rows are inserted either way, and each one left pending would cost a claim). The
   * slots are reserved until acceptLeased, so concurrent batches and claims never take more than
   * the capacity.
   */
  offerLease(wanted: number): IngestLease | null {
    if (!this.running) return null;
    const { clock, concurrency, workerId, leaseMarginMs } = this.opts;
    const limit = Math.min(wanted, concurrency - this.held);
    if (limit <= 0) return null;
    const now = clock.now();
    this.held += limit;
    this.offered += limit;
    return {
      workerId,
      limit,
      leaseMarginMs,
      excludeWebhookIds: [...this.excludedAt(now)],
      perWebhookLimit: this.limits.perWebhookLimit(limit, now),
    };
  }

  /** Queues what an ingest batch leased to this process, and frees the rest of its reservation. */
  acceptLeased(offer: IngestLease, leased: ClaimedDelivery[]): void {
    this.held -= offer.limit - leased.length;
    this.offered -= offer.limit;
    if (leased.length > 0) {
      void this.admit(leased, this.opts.clock.now());
      this.startReady();
    }
    if (this.starvedByOffers && leased.length < offer.limit) {
      this.starvedByOffers = false;
      this.kick();
    }
  }

  /** Claims up to `limit` and queues them on their lanes; null when stop() began meanwhile. */
  private async claimInto(
    limit: number,
    exclude: string[],
    now: number,
    perWebhookLimit = this.limits.perWebhookLimit(limit, now),
  ): Promise<ClaimedDelivery[] | null> {
    const { store, workerId, leaseMarginMs } = this.opts;
    this.lastClaimAt = now;
    const claimed = await store.queue.claim({
      workerId,
      limit,
      now,
      leaseMarginMs,
      excludeWebhookIds: exclude,
      perWebhookLimit,
    });
    this.held += claimed.length;
    if (!this.running) {
      await this.release(claimed);
      return null;
    }
    await this.admit(claimed, now);
    return claimed;
  }

  /** webhooks nothing may be claimed or leased for now: lanes without room, and those being disabled */
  private excludedAt(now: number): Set<string> {
    const excluded = new Set(this.limits.excluded(now));
    for (const id of this.disabling) excluded.add(id);
    return excluded;
  }

  /** `excluded` less the webhooks being disabled (see `claimable`) */
  private withoutDisabling(excluded: Set<string>): Set<string> {
    if (this.disabling.size === 0) return excluded;
    const out = new Set<string>();
    for (const id of excluded) if (!this.disabling.has(id)) out.add(id);
    return out;
  }

  /** `claimable`, or made so by a blocked webhook that has room again */
  private mayClaim(): boolean {
    if (!this.claimable && this.blocked.size > 0 && this.limits.anyRoom(this.blocked, this.opts.clock.now()))
      this.claimable = true;
    return this.claimable;
  }

  /** Queues leased deliveries on their lanes; gives back those it may not send now. */
  private admit(leased: ClaimedDelivery[], now: number): Promise<void> {
    if (!this.running) return this.release(leased);
    const giveBack: ClaimedDelivery[] = [];
    for (const c of leased) {
      // its webhook answered 410 while the lease was taken: the disable is not written yet
      if (this.disabling.has(c.webhook.id)) giveBack.push(c);
      else this.limits.admit(c, now);
    }
    return this.release(giveBack);
  }

  /** When to look again: the next due time, a lane's token or stale deadline, or the poll floor. */
  private async nextDelay(): Promise<number> {
    const now = this.opts.clock.now();
    let at = now + this.opts.pollIntervalMs;
    if (this.held < this.opts.concurrency) {
      const due = await this.opts.store.queue.nextDueAt();
      // A due time the latest claim already saw means work this process cannot take now (saturated
      // webhooks, or a claim raced by another worker); a finishing request or the poll floor brings
      // it back. One that passed after that claim (the claim took time) is looked at right away.
      if (due !== null && due > this.lastClaimAt) at = Math.min(at, due);
    }
    const lane = this.limits.nextWakeAt(now, this.maxWaitMs);
    if (lane !== null) at = Math.min(at, lane);
    return Math.max(1, at - this.opts.clock.now());
  }

  private async releaseStale(): Promise<void> {
    const stale = this.limits.takeStale(this.opts.clock.now(), this.maxWaitMs);
    if (stale.length > 0) {
      this.log.debug(
        { count: stale.length },
        'giving back deliveries that waited too long for their webhook',
      );
      await this.release(stale);
    }
  }

  private async release(claimed: ClaimedDelivery[]): Promise<void> {
    if (claimed.length === 0) return;
    // pending again: claimable by this process too once their lanes have room
    this.markClaimable();
    try {
      await this.opts.store.queue.release(
        this.opts.workerId,
        claimed.map((c) => ({ tenant_id: c.delivery.tenant_id, id: c.delivery.id })),
        this.opts.clock.now(),
      );
    } catch (err) {
      this.log.error(
        { err, count: claimed.length },
        'could not give back deliveries; they return when their leases expire',
      );
    } finally {
      this.held -= claimed.length;
    }
  }

  private startReady(): void {
    if (!this.running) return;
    const now = this.opts.clock.now();
    for (const claimed of this.limits.takeStartable(now)) this.startSend(claimed);
  }

  private startSend(claimed: ClaimedDelivery): void {
    const attemptNumber = claimed.delivery.attempts + 1;
    this.inFlight++;
    this.opts.metrics.inFlight.set(this.inFlight);
    let send: Promise<SendResult>;
    try {
      send = this.transportFor(claimed.webhook).send(claimed, attemptNumber, this.opts.clock.now());
    } catch (err) {
      send = Promise.reject(err);
    }
    const done = send
      .catch((err: unknown) => this.transportFailure(claimed, attemptNumber, err))
      .then((result) => this.settle(claimed, attemptNumber, result))
      .catch((err: unknown) =>
        this.log.error({ err, delivery_id: claimed.delivery.id }, 'settling an attempt failed'),
      )
      .finally(() => {
        this.sends.delete(done);
      });
    this.sends.add(done);
  }

  /** A transport that threw (a bug, not a receiver failure) still yields an attempt to record. */
  private transportFailure(claimed: ClaimedDelivery, attemptNumber: number, err: unknown): SendResult {
    this.log.error(
      { err, delivery_id: claimed.delivery.id, webhook_id: claimed.webhook.id },
      'transport failed',
    );
    const now = this.opts.clock.now();
    let headers: Record<string, string> = {};
    try {
      headers = buildRequest(claimed, attemptNumber, now).recorded;
    } catch {
      // the request could not even be built (a malformed secret): record it without headers
    }
    return {
      retryAfter: undefined,
      attempt: {
        tenant_id: claimed.delivery.tenant_id,
        id: newId('attempt', now),
        delivery_id: claimed.delivery.id,
        event_id: claimed.delivery.event_id,
        webhook_id: claimed.webhook.id,
        attempt_number: attemptNumber,
        started_at: now,
        duration_ms: 0,
        url: claimed.webhook.url,
        request_headers: headers,
        response_status: null,
        response_body: null,
        error: 'internal error while sending',
        error_class: 'other',
        succeeded: false,
      },
    };
  }

  /** Records an attempt's result; a delivery's final failure first checks for a dead endpoint. */
  private settle(claimed: ClaimedDelivery, attemptNumber: number, result: SendResult): void | Promise<void> {
    const { delivery, webhook } = claimed;
    const { attempt } = result;
    const now = this.opts.clock.now();
    this.inFlight--;
    this.opts.metrics.inFlight.set(this.inFlight);
    this.limits.finish(webhook.id, now, attempt.duration_ms);
    if (this.abandoned) {
      this.held--;
      return;
    }

    const outcome = classifyOutcome(
      {
        status: attempt.response_status,
        retryAfter: result.retryAfter,
        errorClass: attempt.error_class ?? undefined,
      },
      webhook.retry_policy,
      attemptNumber,
      now,
      this.opts.random,
    );
    const completion: Completion = {
      tenant_id: delivery.tenant_id,
      delivery_id: delivery.id,
      attempt,
      outcome: outcome.kind === 'disable' ? 'failed' : outcome.kind,
    };
    if (outcome.kind === 'retry') completion.next_attempt_at = now + outcome.delayMs;
    let recorded: Promise<void> | undefined;
    if (outcome.kind === 'disable') {
      this.disableWith(completion, webhook, outcome.reason);
      this.batcher.add(completion);
    } else if (outcome.kind === 'failed') {
      recorded = this.deadEndpointReason(claimed, now).then((reason) => {
        if (this.abandoned) {
          this.held--;
          return;
        }
        if (reason !== null) this.disableWith(completion, webhook, reason);
        this.batcher.add(completion);
      });
    } else this.batcher.add(completion);

    const m = this.opts.metrics;
    m.attempts.inc({ outcome: completion.outcome, error_class: attempt.error_class ?? 'none' });
    m.attemptDuration.observe(attempt.duration_ms / 1000);
    if (outcome.kind === 'succeeded')
      m.deliveryLatency.observe(Math.max(0, now - delivery.created_at) / 1000);
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug(
        {
          delivery_id: delivery.id,
          webhook_id: webhook.id,
          attempt: attemptNumber,
          status: attempt.response_status,
          error_class: attempt.error_class,
          duration_ms: attempt.duration_ms,
          outcome: outcome.kind,
        },
        'attempt',
      );
    }
    // its webhook's lane may start the next waiting delivery, and may be claimable again
    this.startReady();
    this.kick();
    return recorded;
  }

  /** The completion disables its webhook, in the same transaction; nothing more of it is sent. */
  private disableWith(completion: Completion, webhook: Webhook, reason: string): void {
    completion.disable_webhook_reason = reason;
    this.disabling.add(webhook.id);
    this.log.warn({ tenant_id: webhook.tenant_id, webhook_id: webhook.id }, `disabling webhook: ${reason}`);
    void this.release(this.limits.takeWaiting(webhook.id));
  }

  /**
   * Auto-disable of dead endpoints, checked when a delivery has failed for good: the webhook is
   * disabled when it has been failing for `autoDisableAfterMs` (default 5 days) with no success,
   * i.e. no delivery succeeded in that window, and a delivery created before the window began (and
   * after the last success and the webhook's last change, so re-enabling or fixing it starts over)
   * failed too. Returns the reason, or null. At most one check per webhook a minute; a check that
   * cannot read the store disables nothing.
   */
  private async deadEndpointReason(claimed: ClaimedDelivery, now: number): Promise<string | null> {
    const windowMs = this.opts.autoDisableAfterMs ?? AUTO_DISABLE_AFTER_MS;
    const { webhook } = claimed;
    if (windowMs <= 0 || now - webhook.updated_at < windowMs) return null;
    const checkedAt = this.deadChecks.get(webhook.id);
    if (checkedAt !== undefined && now - checkedAt < DEAD_CHECK_INTERVAL_MS) return null;
    if (this.deadChecks.size >= 10_000) this.deadChecks.clear();
    this.deadChecks.set(webhook.id, now);

    const windowStart = now - windowMs;
    try {
      const { deliveries } = this.opts.store;
      const ok = await deliveries.list(
        webhook.tenant_id,
        { webhook_id: webhook.id, status: 'succeeded' },
        { limit: 50 },
      );
      let lastOk = 0;
      for (const d of ok.data) lastOk = Math.max(lastOk, d.completed_at ?? d.updated_at);
      if (lastOk > windowStart) return null;
      const old = await deliveries.list(
        webhook.tenant_id,
        { webhook_id: webhook.id, status: 'failed' },
        { limit: 1, before: firstIdAt('delivery', windowStart) },
      );
      const failedSince = old.data[0]?.created_at;
      if (failedSince === undefined || failedSince < Math.max(lastOk, webhook.updated_at)) return null;
      const days = Math.round((windowMs / 86_400_000) * 10) / 10;
      return `no delivery succeeded for ${days} days (failing since ${new Date(failedSince).toISOString()})`;
    } catch (err) {
      this.log.error({ err, webhook_id: webhook.id }, 'could not check for a dead endpoint');
      return null;
    }
  }
}

/**
 * Did a claim see every delivery due now, but those of the webhooks it excluded? It did when it
 * returned fewer than `asked` and no webhook got its full per-webhook share (which may have left
 * some of that webhook's due deliveries behind).
 */
function sawEverything(claimed: readonly ClaimedDelivery[], asked: number, perWebhookLimit: number): boolean {
  if (claimed.length >= asked) return false;
  const counts = new Map<string, number>();
  for (const c of claimed) {
    const n = (counts.get(c.webhook.id) ?? 0) + 1;
    if (n >= perWebhookLimit) return false;
    counts.set(c.webhook.id, n);
  }
  return true;
}
