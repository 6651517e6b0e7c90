import type { Command } from 'commander';
import { ConfigError, resolveConfig, type ConfigFlags } from '../config/index.js';
import { startServer } from '../server.js';

/** `hooklane serve`: run the API and/or the dispatcher until SIGTERM/SIGINT, then drain and exit 0. */
export function registerServe(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('run the hooklane server (API, dispatcher, or both, by --role)')
    .option('-p, --port <port>', 'port to listen on (HOOKLANE_PORT, default 8080)')
    .option('--host <host>', 'address to bind (HOOKLANE_HOST, default 127.0.0.1)')
    .option('-d, --database <url>', 'sqlite:<path> or postgres://… (HOOKLANE_DATABASE_URL)')
    .option('--role <role>', 'api | worker | all (HOOKLANE_ROLE, default all)')
    .option('--public-url <url>', 'base URL users reach this server at (HOOKLANE_PUBLIC_URL)')
    .option('--allow-private-networks', 'allow webhook URLs on private networks (development only)')
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane serve                                   # SQLite file ./data/hooklane.db, port 8080
  $ hooklane serve --database postgres://localhost/hooklane --role api
  $ HOOKLANE_ROLE=worker hooklane serve --database postgres://localhost/hooklane`,
    )
    .action(async (flags: ConfigFlags) => {
      const config = resolveConfig(flags);
      const server = await startServer(config);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          process.stderr.write(`hooklane: ${signal} again, exiting now\n`);
          process.exit(1);
        }
        stopping = true;
        server.close().then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(
              `hooklane: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`,
            );
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

export { ConfigError };
