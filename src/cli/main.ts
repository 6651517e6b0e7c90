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

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exit(e.exitCode);
  }
  process.stderr.write(`hooklane: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
