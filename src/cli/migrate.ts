import type { Command } from 'commander';
import { redactUrl, resolveConfig } from '../config/index.js';
import { openStore } from '../store/open.js';

/** `hooklane migrate`: apply pending schema migrations and exit (safe with servers running). */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .option('-d, --database <url>', 'sqlite:<path> or postgres://… (HOOKLANE_DATABASE_URL)')
    .addHelpText('after', '\nExample:\n  $ hooklane migrate --database postgres://localhost/hooklane')
    .action(async (flags: { database?: string }) => {
      const config = resolveConfig({ database: flags.database });
      const store = await openStore({ databaseUrl: config.databaseUrl, pgPoolSize: 2 });
      try {
        const { applied, version } = await store.migrate();
        process.stdout.write(
          applied.length === 0
            ? `hooklane: ${redactUrl(config.databaseUrl)} is up to date (schema version ${version})\n`
            : `hooklane: applied migration(s) ${applied.join(', ')}; schema version ${version}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
