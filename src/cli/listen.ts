/**
 * `hooklane listen`: live webhooks of a tenant, forwarded to a local app.
 *
 * The CLI registers a listener (an ephemeral webhook that takes part in fan-out like any other),
 * then dials out to the server's event stream (SSE), so it works behind NAT and firewalls. Each
 * pushed delivery is POSTed to --forward-to with its real signed headers and exact body, and the
 * local answer is reported back, where it becomes the delivery's attempt: a local 500 or a local
 * app that is down is a failed attempt and is retried by the webhook's retry policy. When the
 * stream breaks (the server restarts), the CLI says so and reconnects with backoff. On Ctrl-C it
 * removes the listener; if it dies instead, the server removes it after a grace period.
 */
import type { Command } from 'commander';
import { request } from 'undici';
import { HooklaneApiError } from '../sdk/errors.js';
import type { Hooklane } from '../sdk/client.js';
import type { Listener, ListenerDelivery } from '../sdk/types.js';
import {
  addConnectionOptions,
  addTenantOption,
  apiKey,
  CliError,
  clientFor,
  resolveTenant,
  type TenantFlags,
} from './common.js';
import { forwardDelivery } from './forward.js';
import { readSse } from './sse.js';

interface ListenFlags extends TenantFlags {
  forwardTo: string;
  events?: string;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** the server sends a comment every 15 s; silence for this long means the connection is dead */
const STREAM_IDLE_MS = 45_000;

export function registerListen(program: Command): void {
  const cmd = program
    .command('listen')
    .description('forward live webhooks of a tenant to a local URL (the CLI dials out: works behind NAT)')
    .requiredOption('-f, --forward-to <url>', 'local URL to POST each delivery to')
    .option(
      '-e, --events <filters>',
      'comma-separated event filters, e.g. "user.*,invoice.paid" (default: all)',
    );
  addTenantOption(cmd);
  addConnectionOptions(cmd);
  cmd
    .addHelpText(
      'after',
      `
It prints the signing secret to verify deliveries with (the same on every run for this api key
and tenant), then one line per delivery: time, event type, event id, local status, duration.
The local app's answer is recorded as the attempt, so failures are retried like any webhook's.
The server must deliver from the process that serves the stream (role "all"; the default).

Examples:
  $ hooklane listen --tenant acme --forward-to http://localhost:3000/webhooks
  $ hooklane listen -t acme -f http://localhost:3000/hooks --events 'user.*'
  $ HOOKLANE_SERVER=https://hooks.example.com HOOKLANE_API_KEY=hl_… hooklane listen -t acme -f http://localhost:3000/hooks`,
    )
    .action(async (flags: ListenFlags) => {
      await new ListenSession(flags).run();
      process.exit(0);
    });
}

function parseForwardTo(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`--forward-to must be an http(s) URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CliError(`--forward-to must be an http(s) URL, got "${raw}"`);
  return u;
}

function parseEvents(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new CliError('--events needs at least one filter, e.g. "user.*"');
  return list;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function describe(err: unknown): string {
  if (err instanceof HooklaneApiError) return err.message;
  for (let e: unknown = err, depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    e = e.cause;
  }
  return err instanceof Error ? err.message : String(err);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

type StreamEnd = { kind: 'lost'; reason: string } | { kind: 'gone' } | { kind: 'stopped' };

class ListenSession {
  private readonly client: Hooklane;
  private readonly key: string;
  private tenant = '';
  private readonly flags: ListenFlags;
  private readonly target: URL;
  private readonly events: string[] | undefined;
  private readonly stop = new AbortController();
  private listener: Listener | null = null;
  private backoffMs = 0;
  private outage = false;

  constructor(flags: ListenFlags) {
    this.target = parseForwardTo(flags.forwardTo);
    this.events = parseEvents(flags.events);
    this.flags = flags;
    this.key = apiKey(flags);
    this.client = clientFor(flags, { maxRetries: 1 });
  }

  private out(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  private async register(): Promise<Listener> {
    const listener = await this.client.listeners.register(this.tenant, {
      forward_to: this.target.href,
      ...(this.events !== undefined ? { events: this.events } : {}),
      ...(this.listener !== null ? { id: this.listener.id } : {}),
    });
    if (this.listener !== null && listener.secret !== this.listener.secret)
      this.out('Note: the signing secret changed (was the api key replaced?)');
    this.listener = listener;
    return listener;
  }

  async run(): Promise<void> {
    const onSignal = () => this.stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    // Failing here is the user's to fix (bad key, wrong tenant, no server): one line and exit.
    this.tenant = await resolveTenant(this.flags, this.client);
    const listener = await this.register();
    this.out(
      `Forwarding ${listener.events.includes('*') ? 'all' : listener.events.join(', ')} events of tenant ${this.tenant} to ${this.target.href}`,
    );
    this.out(`Webhook signing secret: ${listener.secret}`);
    this.out('(the same on every run for this api key and tenant; verify deliveries with it)');

    while (!this.stop.signal.aborted) {
      const end = await this.streamOnce();
      if (end.kind === 'stopped' || this.stop.signal.aborted) break;
      if (end.kind === 'gone') {
        // removed while we were away (grace period over, or deleted): register again
        try {
          await this.register();
          this.out(`Listener registered again as ${this.listener!.id}`);
          continue;
        } catch (err) {
          if (err instanceof HooklaneApiError && (err.status === 401 || err.status === 403))
            throw new CliError(describe(err));
          this.lost(describe(err));
        }
      } else this.lost(end.reason);
      await sleep(this.backoffMs, this.stop.signal);
    }

    if (this.listener !== null) {
      try {
        await this.client.listeners.delete(this.tenant, this.listener.id);
        this.out('Listener removed. Bye.');
      } catch {
        this.out('Stopped (the server removes the listener after its grace period).');
      }
    }
  }

  private lost(reason: string): void {
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
    const wait = `${(this.backoffMs / 1000).toFixed(1)} s`;
    this.out(
      this.outage
        ? `Still cannot reach the server (${reason}); retrying in ${wait}`
        : `Lost connection to the server (${reason}); reconnecting in ${wait}`,
    );
    this.outage = true;
  }

  private async streamOnce(): Promise<StreamEnd> {
    const listener = this.listener!;
    try {
      const res = await request(this.client.listeners.streamUrl(this.tenant, listener.id), {
        method: 'GET',
        headers: { authorization: `Bearer ${this.key}`, accept: 'text/event-stream' },
        signal: this.stop.signal,
        headersTimeout: 15_000,
        bodyTimeout: STREAM_IDLE_MS,
      });
      if (res.statusCode !== 200) {
        const text = await res.body.text().catch(() => '');
        if (res.statusCode === 404) return { kind: 'gone' };
        let detail = `HTTP ${res.statusCode}`;
        try {
          const p = JSON.parse(text) as { code?: string; detail?: string };
          if (p.detail !== undefined) detail = `${res.statusCode} ${p.code ?? ''}: ${p.detail}`;
        } catch {
          // not a problem document
        }
        if (res.statusCode === 401 || res.statusCode === 403) throw new CliError(detail);
        return { kind: 'lost', reason: detail };
      }
      for await (const ev of readSse(res.body)) {
        if (ev.event === 'ready') {
          this.out(
            this.outage
              ? `Reconnected; listening again (listener ${listener.id})`
              : `Ready (listener ${listener.id}). Press Ctrl-C to stop.`,
          );
          this.outage = false;
          this.backoffMs = 0;
        } else if (ev.event === 'delivery') {
          let d: ListenerDelivery;
          try {
            d = JSON.parse(ev.data) as ListenerDelivery;
          } catch {
            continue;
          }
          void this.handle(d);
        }
      }
      return this.stop.signal.aborted ? { kind: 'stopped' } : { kind: 'lost', reason: 'stream closed' };
    } catch (err) {
      if (err instanceof CliError) throw err;
      if (this.stop.signal.aborted) return { kind: 'stopped' };
      return { kind: 'lost', reason: describe(err) };
    }
  }

  private async handle(d: ListenerDelivery): Promise<void> {
    const r = await forwardDelivery(this.target, d);
    const answer = r.status !== null ? `${r.status}` : `error: ${r.error ?? 'no answer'}`;
    const attempt = d.attempt > 1 ? `  (attempt ${d.attempt})` : '';
    this.out(`${clock()}  ${d.event_type}  ${d.event_id}  → ${answer}  ${r.duration_ms} ms${attempt}`);
    try {
      await this.client.listeners.report(this.tenant, this.listener!.id, { request_id: d.request_id, ...r });
    } catch (err) {
      this.out(`  (could not report this answer to the server: ${describe(err)}; it will be retried)`);
    }
  }
}
