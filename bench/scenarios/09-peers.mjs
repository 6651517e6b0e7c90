/**
 * #9 Peers: the #1 workload (events posted through an API, 64 in flight, one webhook, counted at
 * the receiver, measured by lib/delivery.mjs) sent by what a Node team would build instead:
 * peers/graphile-worker.mjs (PostgreSQL, fresh database) and peers/bullmq.mjs (Redis, a queue
 * name of its own). Both run 64 jobs at once, sign, and post with a keep-alive undici Pool.
 * Target: hooklane (#1, SQLite) >= 1.5x each. hooklane on PostgreSQL (#2) against graphile-worker,
 * same database engine, is shown for information.
 */
import { POSTGRES, REDIS, describeCpu } from '../lib/cpu.mjs';
import { measureDelivery } from '../lib/delivery.mjs';
import { ADMIN_KEY } from '../lib/hooklane.mjs';
import { newSecret } from '../lib/payload.mjs';
import { freshDatabase, postgresUnavailable } from '../lib/postgres.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { startPeer } from '../peers/start.mjs';

export const id = 9;
export const title = 'peers: same workload as #1';
export const needs = [1];

const REDIS_URL = process.env.HOOKLANE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// graphile-worker needs a pool connection per running job plus one for the API's addJob calls;
// measured on this machine (quick runs): 64 jobs/68 connections 1,009/s, 32/40 619/s, 16/24 448/s.
const CONCURRENCY = 64;
const GRAPHILE_POOL = CONCURRENCY + 4;

/** `server`: the peer's store (POSTGRES, REDIS), whose CPU counts as the peer's */
async function measurePeer(name, options, receiver, quick, server) {
  const peer = await startPeer(name, {
    adminKey: ADMIN_KEY,
    webhookUrl: `${receiver.url}/hook`,
    secret: newSecret(),
    concurrency: CONCURRENCY,
    ...options,
  });
  if (peer.unavailable) return { unavailable: peer.unavailable };
  try {
    return await measureDelivery({
      origins: [peer.url],
      receiver,
      quick,
      cpuOf: { [name]: peer.pid, [server.label]: server },
    });
  } finally {
    await peer.stop();
  }
}

async function graphileWorker(receiver, quick) {
  const down = await postgresUnavailable();
  if (down) return { unavailable: down };
  const db = await freshDatabase('hl_bench_gw');
  try {
    return await measurePeer(
      'graphile-worker',
      { databaseUrl: db.url, poolSize: GRAPHILE_POOL },
      receiver,
      quick,
      POSTGRES,
    );
  } finally {
    await db.drop();
  }
}

function bullmq(receiver, quick) {
  const queue = `hl-bench-${Date.now()}-${process.pid}`;
  return measurePeer('bullmq', { redisUrl: REDIS_URL, queue }, receiver, quick, REDIS);
}

function hooklaneValue(results, scenario) {
  const value = results.get(scenario)?.details?.perSec ?? results.get(scenario)?.details?.one_process?.perSec;
  return typeof value === 'number' ? value : null;
}

function comparison(metric, hooklane, hooklaneLabel, peerName, peer, target) {
  if (peer.unavailable) return { metric, value: null, note: `not available: ${peer.unavailable}` };
  if (hooklane === null) return { metric, value: null, note: `${hooklaneLabel} has no number in this run` };
  return {
    metric,
    value: hooklane,
    unit: '/s',
    denominator: { label: peerName, value: peer.perSec },
    // the peer's CPU per delivery (its process and its store's) once, on the rows with a target
    ...(target ? { target, note: `${peerName}: ${describeCpu(peer.cpu, 'delivery')}` } : {}),
  };
}

export async function run({ quick, results }) {
  const receiver = await startReceiver();
  let gw;
  let bull;
  try {
    gw = await graphileWorker(receiver, quick);
    bull = await bullmq(receiver, quick);
  } finally {
    await receiver.stop();
  }
  const sqlite = hooklaneValue(results, 1);
  const postgres = hooklaneValue(results, 2);
  const rows = [
    comparison('hooklane SQLite vs graphile-worker', sqlite, '#1', 'graphile-worker', gw, { ratio: 1.5 }),
    comparison('hooklane SQLite vs BullMQ', sqlite, '#1', 'BullMQ', bull, { ratio: 1.5 }),
  ];
  if (postgres !== null)
    rows.push(comparison('hooklane PostgreSQL vs graphile-worker', postgres, '#2', 'graphile-worker', gw));
  return {
    rows,
    details: { graphile_worker: gw, bullmq: bull, concurrency: CONCURRENCY, graphile_pool: GRAPHILE_POOL },
  };
}
