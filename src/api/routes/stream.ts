/**
 * GET /v1/tenants/{tenant}/stream: a tenant's new events and delivery changes as Server-Sent Events,
 * for the dashboard and `hooklane events tail`.
 *
 * The feed reads the database, not this process's memory, so it shows what every process did
 * (an `api` process streams outcomes of deliveries sent by `worker` processes). Each open stream
 * reads two small index ranges per tick — the newest WINDOW events (tenant_id, created_at) and
 * deliveries (tenant_id, id) — and sends what is new or changed since the last tick. A commit that
 * made work due (ingest, retry, recover; on PostgreSQL in any process) wakes the streams at once;
 * otherwise they tick every POLL_MS. A change to a delivery older than the newest WINDOW is not
 * streamed (the dashboard's lists show the newest anyway).
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { Delivery } from '../../domain/types.js';
import type { Api, ApiContext } from '../context.js';
import { problemResponses, TenantParams } from '../schemas/common.js';
import { presentDelivery, presentEvent } from '../schemas/events.js';

const POLL_MS = 1_000;
const WAKE_DEBOUNCE_MS = 50;
const KEEPALIVE_MS = 15_000;
const WINDOW = 50;
/** each open stream polls; past this many per process, new ones are refused (429) */
const MAX_STREAMS_PER_PROCESS = 1_000;

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** what changed a delivery for the stream's purpose */
function version(d: Delivery): string {
  return `${d.status}:${d.attempts}:${d.updated_at}`;
}

class TenantStream {
  private readonly seenEvents = new Set<string>();
  private readonly deliveries = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private closed = false;
  private primed = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly tenantId: string,
    private readonly res: ServerResponse,
  ) {}

  start(): void {
    void this.tick();
  }

  /** something committed: look soon (coalescing bursts of wakes) */
  wake(): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), WAKE_DEBOUNCE_MS);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (!this.res.writableEnded) this.res.end();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      await this.poll();
    } catch (err) {
      // the database may be briefly unreachable: say so, keep the stream, try again next tick
      this.ctx.logger.warn({ err, tenant_id: this.tenantId }, 'stream poll failed');
      this.write(frame('error', { detail: 'the database could not be read; retrying' }));
    } finally {
      this.running = false;
    }
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), this.again ? 0 : POLL_MS);
    this.again = false;
  }

  private async poll(): Promise<void> {
    const { store } = this.ctx;
    const [events, deliveries] = await Promise.all([
      store.events.list(this.tenantId, {}, { limit: WINDOW }),
      store.deliveries.list(this.tenantId, {}, { limit: WINDOW }),
    ]);
    const first = !this.primed;
    this.primed = true;
    // oldest first, so a client appends in order
    for (const e of [...events.data].reverse()) {
      if (this.seenEvents.has(e.id)) continue;
      this.seenEvents.add(e.id);
      if (!first) this.write(frame('event', presentEvent(e)));
    }
    for (const d of [...deliveries.data].reverse()) {
      const v = version(d);
      if (this.deliveries.get(d.id) === v) continue;
      this.deliveries.set(d.id, v);
      if (!first) this.write(frame('delivery', presentDelivery(d)));
    }
    // forget what fell out of the window
    if (this.seenEvents.size > 4 * WINDOW) {
      const keep = new Set(events.data.map((e) => e.id));
      for (const id of this.seenEvents) if (!keep.has(id)) this.seenEvents.delete(id);
    }
    if (this.deliveries.size > 4 * WINDOW) {
      const keep = new Set(deliveries.data.map((d) => d.id));
      for (const id of this.deliveries.keys()) if (!keep.has(id)) this.deliveries.delete(id);
    }
    if (first) this.write(frame('ready', { tenant_id: this.tenantId }));
  }

  write(chunk: string): void {
    if (!this.closed && !this.res.writableEnded) this.res.write(chunk);
  }
}

export function registerStreamRoutes(app: Api, ctx: ApiContext): void {
  const streams = new Set<TenantStream>();
  let unsubscribe: (() => void) | null = null;
  const keepalive = setInterval(() => {
    for (const s of streams) s.write(': keepalive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  // Open streams would keep app.close() waiting: end them first.
  app.addHook('preClose', async () => {
    clearInterval(keepalive);
    unsubscribe?.();
    for (const s of streams) s.close();
    streams.clear();
  });

  app.get(
    '/v1/tenants/:tenant/stream',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags: ['stream'],
        summary: 'New events and delivery changes, live, as Server-Sent Events',
        description:
          'Sends `ready` once, then `event` (an Event) for each new event and `delivery` (a Delivery) whenever a ' +
          'recent delivery is created or changes status or attempt count. A comment line every 15 s keeps the ' +
          'connection alive. Authenticate with the Authorization header (read with fetch, not EventSource).',
        params: TenantParams,
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      if (streams.size >= MAX_STREAMS_PER_PROCESS) {
        throw new HooklaneError('rate_limited', 'too many open streams on this server', { retryAfterS: 30 });
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      res.socket?.setNoDelay(true);
      res.flushHeaders();
      const stream = new TenantStream(ctx, request.params.tenant, res);
      streams.add(stream);
      unsubscribe ??= ctx.store.queue.subscribe(() => {
        for (const s of streams) s.wake();
      });
      res.once('close', () => {
        stream.close();
        streams.delete(stream);
      });
      stream.start();
    },
  );
}
