/**
 * `hooklane events tail`: follow a tenant's events and deliveries live. It polls the list APIs
 * (newest first) and prints what it has not seen, then follows each delivery until it settles,
 * printing every status change. At most one page of each per poll is read: a burst larger than
 * that between two polls is summarised rather than listed.
 */
import type { Command } from 'commander';
import type { Hooklane } from '../sdk/client.js';
import type { Delivery } from '../sdk/types.js';
import {
  addConnectionOptions,
  addTenantOption,
  clientFor,
  CliError,
  tenantId,
  type TenantFlags,
} from './common.js';

interface TailFlags extends TenantFlags {
  interval: string;
}

const PAGE = 100;
/** deliveries followed until they settle; older ones are dropped from view first */
const MAX_FOLLOWED = 500;
const MAX_SEEN = 10_000;

export function registerEvents(program: Command): void {
  const events = program.command('events').description("a tenant's events");
  const tail = events
    .command('tail')
    .description("follow a tenant's events and their deliveries live (Ctrl-C to stop)")
    .option('--interval <ms>', 'poll interval, ms', '1000');
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
      await new Tail(clientFor(flags), tenantId(flags), interval).run();
    });
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
      if (!baseline) process.stdout.write(`${time(e.created_at)}  event     ${e.id}  ${e.type}\n`);
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
    process.stdout.write(
      `${time(d.updated_at)}  delivery  ${d.id}  ${d.event_type} → ${d.webhook_id}  ${deliveryState(d)}\n`,
    );
  }
}
