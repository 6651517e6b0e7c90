#!/usr/bin/env node
/**
 * The `hooklane` command. Each subcommand lives in its own module; this file only assembles them
 * and turns any error into one line on stderr and a non-zero exit.
 */
import { Command, CommanderError } from 'commander';
import { registerKeys, registerTenants } from './bootstrap.js';
import { registerEvents } from './events-tail.js';
import { registerListen } from './listen.js';
import { registerMigrate } from './migrate.js';
import { registerSend } from './send.js';
import { registerServe } from './serve.js';

const program = new Command()
  .name('hooklane')
  .description('Self-hosted webhooks: send them to your customers, receive them from providers.')
  .version('0.1.0')
  // every error is one line on stderr: `hooklane: <reason> (see --help)`
  .configureOutput({
    outputError: (str, write) => write(`hooklane: ${str.replace(/^error: /, '').trim()} (see --help)\n`),
  })
  .exitOverride();

registerServe(program);
registerMigrate(program);
registerListen(program);
registerSend(program);
registerEvents(program);
registerTenants(program);
registerKeys(program);

program.addHelpText(
  'after',
  `
Examples:
  $ hooklane serve                                              # SQLite in ./data, port 8080
  $ hooklane tenants create --id acme --name "Acme Inc"          # with HOOKLANE_API_KEY=<admin key>
  $ hooklane listen -t acme --forward-to http://localhost:3000/webhooks
  $ hooklane send -t acme --type user.created --data '{"email":"ada@example.com"}'
  $ hooklane events tail -t acme

Commands that call the API read --server/HOOKLANE_SERVER and --api-key/HOOKLANE_API_KEY.
Run "hooklane <command> --help" for a command's options and examples.`,
);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exit(e.exitCode);
  }
  process.stderr.write(`hooklane: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
