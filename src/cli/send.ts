/** `hooklane send`: post one event to a tenant, as an app would. */
import type { Command } from 'commander';
import {
  addConnectionOptions,
  addTenantOption,
  clientFor,
  CliError,
  readJsonArg,
  resolveTenant,
  type TenantFlags,
} from './common.js';

interface SendFlags extends TenantFlags {
  type: string;
  data?: string;
  id?: string;
  idempotencyKey?: string;
  json?: boolean;
}

export function registerSend(program: Command): void {
  const cmd = program
    .command('send')
    .description('send an event to every matching webhook of a tenant')
    .requiredOption('--type <type>', 'event type, e.g. user.created')
    .option('-d, --data <json>', 'event data: JSON, @file.json, or - for stdin (default {})')
    .option('--id <id>', 'your event id (sending the same id again sends nothing)')
    .option('--idempotency-key <key>', 'Idempotency-Key header: a repeat returns the original event')
    .option('--json', 'print the accepted event as JSON');
  addTenantOption(cmd);
  addConnectionOptions(cmd);
  cmd
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane send -t acme --type user.created --data '{"email":"ada@example.com"}'
  $ hooklane send -t acme --type invoice.paid --data @invoice.json --idempotency-key inv-42
  $ echo '{"n":1}' | hooklane send -t acme --type ping --data -`,
    )
    .action(async (flags: SendFlags) => {
      const data = flags.data === undefined ? {} : await readJsonArg('--data', flags.data);
      if (flags.type.trim() === '') throw new CliError('--type must not be empty');
      const client = clientFor(flags);
      const tenant = await resolveTenant(flags, client);
      const event = await client.events.send(
        tenant,
        { type: flags.type, data, ...(flags.id !== undefined ? { id: flags.id } : {}) },
        flags.idempotencyKey !== undefined ? { idempotencyKey: flags.idempotencyKey } : {},
      );
      if (flags.json) process.stdout.write(`${JSON.stringify(event, null, 2)}\n`);
      else
        process.stdout.write(
          `${event.id}  ${event.type}  ${event.deliveries} ${event.deliveries === 1 ? 'delivery' : 'deliveries'} queued\n`,
        );
    });
}
