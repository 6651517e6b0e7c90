/**
 * Peer for #9: the webhook sender a Node team would build on BullMQ (Redis). The API adds one
 * `deliver` job per event; a Worker in the same process runs `concurrency` jobs at a time with
 * BullMQ's exponential backoff (8 attempts), keeping the last 1,000 completed jobs as its log.
 *
 * Options: {adminKey, webhookUrl, secret, redisUrl, queue, concurrency}. BullMQ 6 talks to Redis
 * through `ioredis`, an optional peer dependency: when it cannot be loaded, or Redis does not
 * answer, the peer reports itself unavailable instead of failing the run.
 */
import { createRequire } from 'node:module';
import { Queue, Worker } from 'bullmq';
import { makeSender, peerOptions, reportUnavailable, startPeerApi } from './common.mjs';

const opts = peerOptions();

function loadIORedis() {
  try {
    // createRequire, so that NODE_PATH can supply ioredis while the project does not install it.
    return createRequire(import.meta.url)('ioredis');
  } catch {
    return null;
  }
}

/** null when Redis answers PING, else why not (one try, no reconnect loop) */
async function redisProblem(IORedis) {
  const probe = new IORedis(opts.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (e) {
    return `Redis at ${opts.redisUrl} is not reachable: ${e.message}`;
  } finally {
    probe.disconnect();
  }
}

async function main(IORedis) {
  const connect = () => new IORedis(opts.redisUrl, { maxRetriesPerRequest: null });
  const sender = makeSender({
    webhookUrl: opts.webhookUrl,
    secret: opts.secret,
    connections: opts.concurrency,
  });
  const queue = new Queue(opts.queue, {
    connection: connect(),
    defaultJobOptions: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10_000 },
    },
  });
  const worker = new Worker(opts.queue, (job) => sender.deliver(job.data), {
    connection: connect(),
    concurrency: opts.concurrency,
  });
  await worker.waitUntilReady();
  const api = await startPeerApi({ adminKey: opts.adminKey, enqueue: (job) => queue.add('deliver', job) });
  process.send({ ready: true, port: api.port });

  process.on('SIGTERM', async () => {
    await api.close();
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await sender.close();
    process.exit(0);
  });
}

const IORedis = loadIORedis();
if (IORedis === null) {
  reportUnavailable(
    'ioredis is not installed (BullMQ 6 needs it to reach Redis; package.json does not list it)',
  );
} else {
  const problem = await redisProblem(IORedis);
  if (problem !== null) reportUnavailable(problem);
  else await main(IORedis);
}
