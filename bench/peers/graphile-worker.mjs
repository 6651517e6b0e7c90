/**
 * Peer for #9: the webhook sender a Node team would build on graphile-worker (PostgreSQL). The API
 * adds one `deliver` job per event (an INSERT, committed before the 202: durable like hooklane);
 * the runner in the same process takes jobs with `concurrency` workers, LISTEN/NOTIFY for wake-up,
 * and graphile-worker's own exponential retry (8 attempts).
 *
 * Options: {adminKey, webhookUrl, secret, databaseUrl, concurrency, poolSize}. The harness gives it
 * a fresh database, so graphile-worker installs its schema there.
 */
import { Logger, run } from 'graphile-worker';
import { makeSender, peerOptions, startPeerApi } from './common.mjs';

const opts = peerOptions();
const sender = makeSender({
  webhookUrl: opts.webhookUrl,
  secret: opts.secret,
  connections: opts.concurrency,
});

// graphile-worker logs every completed job at info; a team running it at volume keeps warnings.
const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`graphile-worker ${level}: ${message}`);
});

const runner = await run({
  connectionString: opts.databaseUrl,
  concurrency: opts.concurrency,
  maxPoolSize: opts.poolSize,
  pollInterval: 1000,
  noHandleSignals: true,
  logger,
  taskList: {
    deliver: async (payload) => sender.deliver(payload),
  },
});

const api = await startPeerApi({
  adminKey: opts.adminKey,
  enqueue: (job) => runner.addJob('deliver', job, { maxAttempts: 8 }),
});
process.send({ ready: true, port: api.port });

process.on('SIGTERM', async () => {
  await api.close();
  await runner.stop();
  await sender.close();
  process.exit(0);
});
