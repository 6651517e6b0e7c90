/**
 * `hooklane events tail`: follow a tenant's events and deliveries live.
 *
 * It reads the server's tenant stream (`GET /v1/tenants/{t}/stream`, Server-Sent Events: an
 * `event` frame per new event, a `delivery` frame per delivery created or changed), reconnecting
 * with backoff when it breaks. Against a server without that route, or with `--poll`, it polls
 * the list APIs instead (newest first), prints what it has not seen, and follows each delivery
 * until it settles; at most one page of each is read per poll, so a larger burst is summarised.
 */
import type { Command } from 'commander';
import { request } from 'undici';
import type { Hooklane } from '../sdk/client.js';
import type { Delivery, Event } from '../sdk/types.js';
import {
  addConnectionOptions,
  addTenantOption,
  apiKey,
  clientFor,
  CliError,
  resolveTenant,
  type TenantFlags,
} from './common.js';
import { readSse } from './sse.js';

interface TailFlags extends TenantFlags {
  interval: string;
  poll?: boolean;
}

const PAGE = 100;
/** deliveries followed until they settle; older ones are dropped from view first */
const MAX_FOLLOWED = 500;
const MAX_SEEN = 10_000;

export function registerEvents(program: Command): void {
  const events = program
    .command('events')
    .description("a tenant's events")
    .addHelpText('after', '\nExample:\n  $ hooklane events tail --tenant acme');
  const tail = events
    .command('tail')
    .description("follow a tenant's events and their deliveries live (Ctrl-C to stop)")
    .option('--poll', "poll the list APIs instead of reading the server's event stream")
    .option('--interval <ms>', 'poll interval with --poll (or without a stream), ms', '1000');
  addTenantOption(tail);
  addConnectionOptions(tail);
  tail
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane events tail --tenant acme
  $ HOOKLANE_TENANT=acme hooklane events tail --interval 250`,
    )
    .action(async (flags: TailFlags) => {
      const interval = Number(flags.interval);
      if (!Number.isInteger(interval) || interval < 100 || interval > 60_000)
        throw new CliError('--interval must be a whole number of ms between 100 and 60000');
      const client = clientFor(flags);
      const tenant = await resolveTenant(flags, client);
      if (flags.poll === true || (await streamTail(client, apiKey(flags), tenant)) === 'unsupported')
        await new Tail(client, tenant, interval).run();
      // Ctrl-C: done; do not wait for idle keep-alive sockets to time out
      process.exit(0);
    });
}

function eventLine(e: Pick<Event, 'id' | 'type' | 'created_at'>): string {
  return `${time(e.created_at)}  event     ${e.id}  ${e.type}\n`;
}

function deliveryLine(d: Delivery): string {
  return `${time(d.updated_at)}  delivery  ${d.id}  ${d.event_type} → ${d.webhook_id}  ${deliveryState(d)}\n`;
}

const STREAM_IDLE_MS = 45_000;
const MAX_BACKOFF_MS = 10_000;

/**
 * Follows the tenant stream until Ctrl-C ('streamed'), or returns 'unsupported' at once when the
 * server has no such route (an older server).
 */
async function streamTail(
  client: Hooklane,
  key: string,
  tenant: string,
): Promise<'streamed' | 'unsupported'> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const url = client.events.streamUrl(tenant);
  let backoffMs = 0;
  let connectedOnce = false;
  let lostReason: string | null = null;
  while (!stop.signal.aborted) {
    try {
      const res = await request(url, {
        headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
        signal: stop.signal,
        headersTimeout: 15_000,
        bodyTimeout: STREAM_IDLE_MS,
      });
      if (res.statusCode !== 200) {
        const text = await res.body.text().catch(() => '');
        let problem: { code?: string; detail?: string } = {};
        try {
          problem = JSON.parse(text) as typeof problem;
        } catch {
          // not a problem document
        }
        if (res.statusCode === 404 && problem.code === 'route_not_found' && !connectedOnce)
          return 'unsupported';
        const line = `${res.statusCode} ${problem.code ?? ''}: ${problem.detail ?? text.slice(0, 200)}`;
        if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 429) throw new CliError(line);
        throw new Error(line);
      }
      for await (const ev of readSse(res.body)) {
        if (ev.event === 'ready') {
          process.stdout.write(
            connectedOnce
              ? 'Reconnected.\n'
              : `Following events and deliveries of tenant ${tenant} (Ctrl-C to stop)\n`,
          );
          connectedOnce = true;
          lostReason = null;
          backoffMs = 0;
        } else if (ev.event === 'event') process.stdout.write(eventLine(JSON.parse(ev.data) as Event));
        else if (ev.event === 'delivery') process.stdout.write(deliveryLine(JSON.parse(ev.data) as Delivery));
        else if (ev.event === 'error') process.stdout.write(`(server: ${ev.data})\n`);
      }
      if (!stop.signal.aborted) throw new Error('stream closed');
    } catch (err) {
      if (err instanceof CliError) throw err;
      if (stop.signal.aborted) break;
      const reason = describeError(err);
      // the first connection failing is the user's to fix (wrong URL, server down)
      if (!connectedOnce) throw new CliError(`cannot reach ${client.baseUrl}: ${reason}`);
      backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, backoffMs * 2));
      if (lostReason === null)
        process.stdout.write(
          `Lost the server (${reason}); reconnecting in ${(backoffMs / 1000).toFixed(1)} s\n`,
        );
      lostReason = reason;
      await new Promise((r) => setTimeout(r, backoffMs));
    }
  }
  return 'streamed';
}

function describeError(err: unknown): string {
  for (let e: unknown = err, depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return err instanceof Error ? err.message : String(err);
}

function time(iso: string): string {
  return iso.slice(11, 19);
}

function deliveryState(d: Delivery): string {
  const last = d.last_status_code !== null ? ` last ${d.last_status_code}` : '';
  const error = d.last_error !== null && d.last_status_code === null ? ` (${d.last_error})` : '';
  const attempts =
    d.attempt_count > 0 ? `, ${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}` : '';
  return `${d.status}${attempts}${last}${error}`;
}

class Tail {
  private readonly seenEvents = new Set<string>();
  private readonly followed = new Map<string, string>();
  private readonly seenDeliveries = new Set<string>();
  private stopped = false;

  constructor(
    private readonly client: Hooklane,
    private readonly tenant: string,
    private readonly intervalMs: number,
  ) {}

  async run(): Promise<void> {
    const stop = () => {
      this.stopped = true;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // what exists already is the baseline, not news
    await this.poll(true);
    process.stdout.write(`Following events and deliveries of tenant ${this.tenant} (Ctrl-C to stop)\n`);
    let failing = false;
    while (!this.stopped) {
      await new Promise((r) => setTimeout(r, this.intervalMs));
      try {
        await this.poll(false);
        if (failing) process.stdout.write('Reconnected.\n');
        failing = false;
      } catch (err) {
        if (!failing)
          process.stdout.write(
            `Lost the server (${err instanceof Error ? err.message : String(err)}); retrying…\n`,
          );
        failing = true;
      }
    }
  }

  private remember(set: Set<string>, id: string): void {
    if (set.size >= MAX_SEEN) set.delete(set.values().next().value!);
    set.add(id);
  }

  private async poll(baseline: boolean): Promise<void> {
    const events = await this.client.events.list(this.tenant, { limit: PAGE });
    const fresh = events.data.filter((e) => !this.seenEvents.has(e.id)).reverse();
    for (const e of fresh) {
      this.remember(this.seenEvents, e.id);
      if (!baseline) process.stdout.write(eventLine(e));
    }
    if (!baseline && fresh.length === PAGE && events.next_cursor !== null)
      process.stdout.write(`(more than ${PAGE} events since the last poll; older ones not shown)\n`);

    const deliveries = await this.client.deliveries.list(this.tenant, { limit: PAGE });
    const listed = new Map(deliveries.data.map((d) => [d.id, d]));
    for (const d of [...deliveries.data].reverse()) {
      if (this.seenDeliveries.has(d.id)) continue;
      this.remember(this.seenDeliveries, d.id);
      if (baseline) continue;
      this.print(d);
      if (d.status === 'pending' || d.status === 'delivering') this.follow(d);
    }
    for (const [id, shown] of [...this.followed]) {
      const d = listed.get(id) ?? (await this.client.deliveries.get(this.tenant, id).catch(() => null));
      if (d === null) {
        this.followed.delete(id);
        continue;
      }
      const state = deliveryState(d);
      if (state !== shown) this.print(d);
      if (d.status === 'pending' || d.status === 'delivering') this.followed.set(id, state);
      else this.followed.delete(id);
    }
  }

  private follow(d: Delivery): void {
    if (this.followed.size >= MAX_FOLLOWED) this.followed.delete(this.followed.keys().next().value!);
    this.followed.set(d.id, deliveryState(d));
  }

  private print(d: Delivery): void {
    process.stdout.write(deliveryLine(d));
  }
}
