/**
 * The SQLite engine in its own thread: the store `hooklane serve` uses on SQLite.
 *
 * Node runs a process's JavaScript on one core. better-sqlite3 is synchronous, so in the main thread
 * every statement (ingest, claim, completion, a 7-day stats query over a million attempts) runs on
 * the same core as the HTTP API and the outgoing requests, and stalls them while it runs. Here the
 * connection lives in a worker thread (thread-worker.ts) and the main thread talks to it by message:
 * the database work and the HTTP work use two cores, and a slow query no longer blocks the event
 * loop. The store's API is already asynchronous, so callers cannot tell the difference.
 *
 * Still one connection, so still one writer: calls run one at a time in the SQLite thread, and
 * everything batched before (ingest group commit, claims, completions) stays batched, one message
 * per batch. Wakes after a commit come back as one message per turn of the SQLite thread.
 *
 * `openSqliteStore` (index.ts) is the same engine in the calling thread; `hooklane migrate`, the
 * tests of the engine itself and HOOKLANE_SQLITE_THREAD=false use it.
 */
import { Worker } from 'node:worker_threads';
import type {
  ApiKeyRepo,
  DeliveryRepo,
  EventRepo,
  EventTypeRepo,
  IngestResult,
  QueueRepo,
  SourceRepo,
  StatsRepo,
  Store,
  TenantRepo,
  WebhookRepo,
} from '../types.js';
import { claimedEventOf } from '../lease.js';
import type { SqliteStoreOptions } from './index.js';
import { SQLITE_CAPABILITIES, sqlitePoolStatus } from './capabilities.js';
import { Wake } from './wake.js';
import { workerScript } from './worker-script.js';
import {
  deserializeError,
  restoreBuffers,
  type CallMessage,
  type ReplyMessage,
  type SlimIngestResult,
} from './thread-protocol.js';

/** every method of a repo, so the compiler notices one added to the interface and not here */
type Methods<T> = Record<keyof T, true>;
const TENANTS: Methods<TenantRepo> = { create: true, get: true, list: true, update: true, delete: true };
const API_KEYS: Methods<ApiKeyRepo> = {
  create: true,
  findByHash: true,
  list: true,
  delete: true,
  countPlatformKeys: true,
};
const EVENT_TYPES: Methods<EventTypeRepo> = { upsert: true, get: true, list: true, delete: true };
const WEBHOOKS: Methods<WebhookRepo> = {
  create: true,
  get: true,
  list: true,
  update: true,
  delete: true,
  disable: true,
};
const SOURCES: Methods<SourceRepo> = {
  create: true,
  get: true,
  list: true,
  update: true,
  delete: true,
  findByTokenHash: true,
  rotateToken: true,
  claimDedupeKeys: true,
  prune: true,
  logRequests: true,
  requests: true,
};
const EVENTS: Methods<EventRepo> = { ingest: true, get: true, list: true };
const DELIVERIES: Methods<DeliveryRepo> = {
  get: true,
  list: true,
  attempts: true,
  retry: true,
  recover: true,
};
/** queue.subscribe and stats.pool are answered here, not in the SQLite thread */
const QUEUE: Methods<Omit<QueueRepo, 'subscribe'>> = {
  claim: true,
  complete: true,
  release: true,
  nextDueAt: true,
  depth: true,
};
const STATS: Methods<Omit<StatsRepo, 'pool'>> = { series: true };

export async function openSqliteStoreInThread(opts: SqliteStoreOptions): Promise<Store> {
  const worker = new Worker(workerScript('thread-worker.js'), { workerData: opts, name: 'hooklane-sqlite' });
  const wake = new Wake();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  /** set once the thread is gone: every call from then on fails with it */
  let dead: Error | null = null;

  let opened!: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => {
    opened = { resolve, reject };
  });

  const fail = (err: Error) => {
    dead ??= err;
    opened.reject(dead);
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };

  worker.on('message', (msg: ReplyMessage) => {
    if (msg.type === 'reply') {
      const p = pending.get(msg.id);
      if (p === undefined) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(restoreBuffers(msg.value));
      else p.reject(deserializeError(msg.error));
    } else if (msg.type === 'wake') {
      wake.fire();
    } else if (msg.ok) {
      opened.resolve();
    } else {
      fail(deserializeError(msg.error));
    }
  });
  worker.on('error', (err: unknown) =>
    fail(
      new Error(`the SQLite thread failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      }),
    ),
  );
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      fail(new Error(`the SQLite thread exited (code ${code})`));
      resolve();
    });
  });

  const call = (ns: string | null, method: string, args: unknown[]): Promise<unknown> => {
    if (dead !== null) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const msg: CallMessage = { id, ns, method, args };
      try {
        worker.postMessage(msg);
      } catch (err) {
        // an argument structured cloning cannot carry (a function): a bug in the caller
        pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  };

  function remote<T>(ns: string, methods: Record<string, true>): T {
    const repo: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of Object.keys(methods)) repo[method] = (...args) => call(ns, method, args);
    return repo as T;
  }

  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  let closed: Promise<void> | null = null;
  return {
    engine: 'sqlite',
    capabilities: SQLITE_CAPABILITIES,
    tenants: remote<TenantRepo>('tenants', TENANTS),
    apiKeys: remote<ApiKeyRepo>('apiKeys', API_KEYS),
    eventTypes: remote<EventTypeRepo>('eventTypes', EVENT_TYPES),
    webhooks: remote<WebhookRepo>('webhooks', WEBHOOKS),
    sources: remote<SourceRepo>('sources', SOURCES),
    events: {
      ...remote<EventRepo>('events', EVENTS),
      // An event's `data` is in its `payload` too (the serialised envelope, what the store keeps):
      // it is not copied to the SQLite thread, and the accepted events are not copied back.
      ingest: async (inputs, now, lease) => {
        const slim = inputs.map((i) => ({ ...i, event: { ...i.event, data: null } }));
        const args = lease === undefined ? [slim, now] : [slim, now, lease];
        const results = (await call('events', 'ingestSlim', args)) as SlimIngestResult[];
        return results.map((r, i) => {
          const event = r.original ?? inputs[i]!.event;
          const result: IngestResult = { event, duplicate: r.duplicate, deliveries: r.deliveries };
          if (r.leased !== null) {
            const claimedEvent = claimedEventOf(event);
            result.leased = r.leased.map((l) => ({ ...l, event: claimedEvent }));
          }
          if (r.rekeyTo !== null) result.rekeyTo = r.rekeyTo;
          return result;
        });
      },
    },
    deliveries: remote<DeliveryRepo>('deliveries', DELIVERIES),
    queue: {
      ...remote<Omit<QueueRepo, 'subscribe'>>('queue', QUEUE),
      subscribe: (listener) => wake.subscribe(listener),
    },
    stats: {
      ...remote<Omit<StatsRepo, 'pool'>>('stats', STATS),
      pool: sqlitePoolStatus,
    },
    migrate: () => call(null, 'migrate', []) as ReturnType<Store['migrate']>,
    ping: () => call(null, 'ping', []) as Promise<void>,
    close: () => {
      closed ??= (async () => {
        if (dead !== null) return;
        try {
          await call(null, 'close', []);
        } finally {
          fail(new Error('the store is closed'));
          // the thread ends by itself once its connection is closed (and writes its CPU profile
          // under --cpu-prof); one that does not within a second is stopped
          await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref())]);
          await worker.terminate();
        }
      })();
      return closed;
    },
  };
}
