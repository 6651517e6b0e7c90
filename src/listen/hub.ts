/**
 * The server side of `hooklane listen`.
 *
 * listener   one running `hooklane listen`: an ephemeral webhook (`listener_id` set) whose
 *            deliveries are pushed down a streaming connection the CLI dialled out, instead of
 *            being POSTed to a URL. The CLI forwards each one to the developer's local app and
 *            reports the answer back, and that answer becomes the attempt.
 *
 * The hub holds, for this process only: the open streams (one per listener; a reconnect replaces
 * the old one), the pushed requests waiting for their results, and the removal timers of
 * listeners whose CLI went away. It knows nothing of HTTP routes or of the dispatcher: the API
 * attaches streams and reports results; the ListenerTransport (transport.ts) pushes requests.
 *
 * Lifetime of a listener webhook: created by the register call; kept while a stream is attached
 * (its `updated_at` is touched every grace/3, so other processes can tell it is alive); removed
 * `graceMs` after its last stream closed (or after it was registered) without a stream attaching.
 * Processes also sweep, at start and every few minutes, listener webhooks that nobody touched for
 * `graceMs` (left over by a process that died).
 */
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/types.js';

/** what is pushed to the CLI for one attempt: the fully signed request, exact bytes */
export interface ListenerRequest {
  /** echo it back with the result */
  request_id: string;
  delivery_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  webhook_id: string;
  /** the CLI gives the local app this long, ms */
  timeout_ms: number;
  /** every header a webhook receiver would get, signature included */
  headers: Record<string, string>;
  /** the body, base64 (the signature covers these exact bytes) */
  body_base64: string;
}

/** the local app's answer, as the CLI reports it */
export interface ListenerResult {
  /** the local app's HTTP status; null when it could not be reached or did not answer */
  status: number | null;
  /** the first bytes of its answer */
  body: string | null;
  duration_ms: number;
  error: string | null;
  error_class: 'connect' | 'timeout' | 'other' | null;
  /** the local app's Retry-After header, honoured for 429/502/503/504 like any receiver's */
  retry_after: string | null;
}

export type PushOutcome =
  { kind: 'answered'; result: ListenerResult } | { kind: 'not_connected' } | { kind: 'timeout' };

/** where a stream's frames go (an HTTP response in production) */
export interface StreamSink {
  write(chunk: string): void;
  end(): void;
}

export interface ListenerHubOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** a listener webhook is removed this long after its CLI went away, ms */
  graceMs: number;
  /** a comment line is sent this often so proxies and the CLI see a live stream, ms */
  heartbeatMs?: number;
}

interface Stream {
  tenantId: string;
  webhookId: string;
  sink: StreamSink;
}

interface Pending {
  listenerId: string;
  resolve(outcome: PushOutcome): void;
  timer: NodeJS.Timeout;
}

const DEFAULT_HEARTBEAT_MS = 15_000;
const SWEEP_PAGE = 250;
const SWEEP_INTERVAL_MS = 10 * 60_000;

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class ListenerHub {
  private readonly log: Logger;
  private readonly streams = new Map<string, Stream>();
  private readonly pending = new Map<string, Pending>();
  private readonly removals = new Map<string, NodeJS.Timeout>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly toucher: NodeJS.Timeout;
  private sweepTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: ListenerHubOptions) {
    this.log = opts.logger.child({ component: 'listen' });
    this.heartbeat = setInterval(() => {
      for (const s of this.streams.values()) s.sink.write(': ping\n\n');
    }, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.heartbeat.unref();
    this.toucher = setInterval(() => void this.touchAttached(), Math.max(1000, opts.graceMs / 3));
    this.toucher.unref();
  }

  get graceMs(): number {
    return this.opts.graceMs;
  }

  isConnected(listenerId: string): boolean {
    return this.streams.has(listenerId);
  }

  /**
   * Attaches a CLI's stream to its listener; returns the function to call when the stream closes.
   * A second stream for the same listener (a reconnect the server had not noticed was one)
   * replaces the first.
   */
  attach(listenerId: string, tenantId: string, webhookId: string, sink: StreamSink): () => void {
    const previous = this.streams.get(listenerId);
    if (previous !== undefined) previous.sink.end();
    const stream: Stream = { tenantId, webhookId, sink };
    this.streams.set(listenerId, stream);
    const removal = this.removals.get(listenerId);
    if (removal !== undefined) {
      clearTimeout(removal);
      this.removals.delete(listenerId);
    }
    this.log.info({ listener_id: listenerId, tenant_id: tenantId }, 'listener connected');
    return () => {
      if (this.streams.get(listenerId) !== stream) return;
      this.streams.delete(listenerId);
      this.log.info({ listener_id: listenerId, tenant_id: tenantId }, 'listener disconnected');
      if (!this.closed) this.scheduleRemoval(listenerId, tenantId, webhookId);
    };
  }

  /**
   * A listener was registered: unless a stream attaches within the grace period, it is removed
   * (a CLI that registered and died before connecting leaves nothing behind).
   */
  registered(listenerId: string, tenantId: string, webhookId: string): void {
    if (this.closed || this.streams.has(listenerId) || this.removals.has(listenerId)) return;
    this.scheduleRemoval(listenerId, tenantId, webhookId);
  }

  /** Pushes one request down the listener's stream and waits up to `timeoutMs` for its result. */
  push(listenerId: string, request: ListenerRequest, timeoutMs: number): Promise<PushOutcome> {
    const stream = this.streams.get(listenerId);
    if (stream === undefined) return Promise.resolve({ kind: 'not_connected' });
    return new Promise<PushOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(request.request_id);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.pending.set(request.request_id, { listenerId, resolve, timer });
      stream.sink.write(sseFrame('delivery', request));
    });
  }

  /** A result reported by the CLI; false when no such request is waiting (late, or another process). */
  report(listenerId: string, requestId: string, result: ListenerResult): boolean {
    const p = this.pending.get(requestId);
    if (p === undefined || p.listenerId !== listenerId) return false;
    clearTimeout(p.timer);
    this.pending.delete(requestId);
    p.resolve({ kind: 'answered', result });
    return true;
  }

  /** Removes a listener now (the CLI said goodbye): its webhook and pending deliveries go. */
  async remove(listenerId: string, tenantId: string, webhookId: string): Promise<boolean> {
    const stream = this.streams.get(listenerId);
    if (stream !== undefined) {
      this.streams.delete(listenerId);
      stream.sink.end();
    }
    const removal = this.removals.get(listenerId);
    if (removal !== undefined) clearTimeout(removal);
    this.removals.delete(listenerId);
    return this.opts.store.webhooks.delete(tenantId, webhookId, this.opts.clock.now());
  }

  /**
   * Sweeps listener webhooks left over by processes that are gone: first after one grace period
   * (listeners whose CLI reconnects to this process in the meantime stay), then every
   * SWEEP_INTERVAL_MS (or grace period, if longer). A sweep reads every tenant's webhook list, so
   * it runs rarely; a process's own listeners are removed by its timers, on time.
   */
  startSweep(): void {
    if (this.sweepTimer !== null || this.closed) return;
    const every = Math.max(this.opts.graceMs, SWEEP_INTERVAL_MS);
    const run = (delay: number) => {
      this.sweepTimer = setTimeout(() => {
        void this.sweep().finally(() => {
          if (!this.closed) run(every);
        });
      }, delay);
      this.sweepTimer.unref();
    };
    run(this.opts.graceMs);
  }

  /** Ends every stream (server shutdown). Waiting requests run into their timeouts. */
  closeAll(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.toucher);
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    for (const t of this.removals.values()) clearTimeout(t);
    this.removals.clear();
    for (const s of this.streams.values()) s.sink.end();
    this.streams.clear();
  }

  private scheduleRemoval(listenerId: string, tenantId: string, webhookId: string): void {
    const timer = setTimeout(() => {
      this.removals.delete(listenerId);
      if (this.streams.has(listenerId) || this.closed) return;
      this.opts.store.webhooks.delete(tenantId, webhookId, this.opts.clock.now()).then(
        (deleted) => {
          if (deleted) this.log.info({ listener_id: listenerId }, 'listener gone; its webhook removed');
        },
        (err: unknown) => this.log.error({ err, listener_id: listenerId }, 'removing a listener failed'),
      );
    }, this.opts.graceMs);
    timer.unref();
    this.removals.set(listenerId, timer);
  }

  /**
   * Marks attached listeners alive for other processes' sweeps (their `updated_at`), and ends the
   * streams of listeners whose webhook was deleted meanwhile.
   */
  private async touchAttached(): Promise<void> {
    for (const [listenerId, s] of [...this.streams]) {
      try {
        const webhook = await this.opts.store.webhooks.get(s.tenantId, s.webhookId);
        if (webhook === null) {
          // deleted through the webhooks API: end the stream, so the CLI registers again
          if (this.streams.get(listenerId) === s) {
            this.streams.delete(listenerId);
            s.sink.end();
          }
          continue;
        }
        await this.opts.store.webhooks.update({ ...webhook, updated_at: this.opts.clock.now() });
      } catch (err) {
        this.log.warn({ err, listener_id: listenerId }, 'could not mark a listener alive');
      }
    }
  }

  private async sweep(): Promise<void> {
    const { store, clock, graceMs } = this.opts;
    try {
      let tenantCursor: string | null = null;
      do {
        const tenants = await store.tenants.list({ limit: SWEEP_PAGE, before: tenantCursor });
        for (const tenant of tenants.data) {
          let cursor: string | null = null;
          do {
            const page = await store.webhooks.list(tenant.id, { limit: SWEEP_PAGE, before: cursor });
            for (const w of page.data) {
              if (this.closed) return;
              if (w.listener_id === null || this.streams.has(w.listener_id)) continue;
              if (w.updated_at > clock.now() - graceMs) continue;
              await store.webhooks.delete(w.tenant_id, w.id, clock.now());
              this.log.info({ listener_id: w.listener_id }, 'removed a listener left behind');
            }
            cursor = page.next;
          } while (cursor !== null);
        }
        tenantCursor = tenants.next;
      } while (tenantCursor !== null);
    } catch (err) {
      this.log.error({ err }, 'sweeping listeners failed');
    }
  }
}
