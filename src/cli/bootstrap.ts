/** `hooklane tenants create` and `hooklane keys create`: bootstrapping without curl. */
import { Option, type Command } from 'commander';
import type { ApiKeyRole } from '../sdk/types.js';
import {
  addConnectionOptions,
  addTenantOption,
  clientFor,
  CliError,
  printJson,
  readJsonArg,
  resolveTenant,
  type ConnectionFlags,
  type TenantFlags,
} from './common.js';

interface TenantCreateFlags extends ConnectionFlags {
  id?: string;
  name?: string;
  metadata?: string;
}

interface KeyCreateFlags extends TenantFlags {
  role: ApiKeyRole;
  name?: string;
}

export function registerTenants(program: Command): void {
  const tenants = program
    .command('tenants')
    .description('manage tenants (platform admin key)')
    .addHelpText('after', '\nExample:\n  $ hooklane tenants create --id acme --name "Acme Inc"');
  const create = tenants
    .command('create')
    .description('create a tenant and print it as JSON')
    .option('--id <id>', 'your own id, ^[a-zA-Z0-9_-]{1,64}$ (default: generated ten_…)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--metadata <json>', 'a JSON object, or @file.json');
  addConnectionOptions(create);
  create
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane tenants create --id acme --name "Acme Inc"
  $ HOOKLANE_API_KEY=$ADMIN_KEY hooklane tenants create --name "Globex"`,
    )
    .action(async (flags: TenantCreateFlags) => {
      const name = flags.name ?? flags.id;
      if (name === undefined || name.trim() === '') throw new CliError('pass --name (or --id)');
      const metadata =
        flags.metadata === undefined ? undefined : await readJsonArg('--metadata', flags.metadata);
      if (
        metadata !== undefined &&
        (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
      )
        throw new CliError('--metadata must be a JSON object');
      const tenant = await clientFor(flags).tenants.create({
        name,
        ...(flags.id !== undefined ? { id: flags.id } : {}),
        ...(metadata !== undefined ? { metadata: metadata as Record<string, never> } : {}),
      });
      printJson(tenant);
    });
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description("manage a tenant's api keys")
    .addHelpText(
      'after',
      '\nExample:\n  $ hooklane keys create --tenant acme --role editor --name "dev laptop"',
    );
  const create = keys
    .command('create')
    .description('create an api key for a tenant and print it as JSON (the key is shown only now)')
    .addOption(
      new Option('--role <role>', 'what the key may do')
        .choices(['admin', 'editor', 'viewer'])
        .default('editor'),
    )
    .option('--name <name>', 'a label to tell keys apart');
  addTenantOption(create);
  addConnectionOptions(create);
  create
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane keys create --tenant acme --role editor --name "dev laptop"
  $ export HOOKLANE_API_KEY=$(hooklane keys create -t acme | jq -r .key)`,
    )
    .action(async (flags: KeyCreateFlags) => {
      const client = clientFor(flags);
      const key = await client.apiKeys.create(await resolveTenant(flags, client), {
        role: flags.role,
        ...(flags.name !== undefined ? { name: flags.name } : {}),
      });
      printJson(key);
    });
}
