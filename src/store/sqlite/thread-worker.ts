/**
 * The SQLite thread: owns the one better-sqlite3 connection and runs every store call sent by the
 * main thread (thread.ts), one at a time, in arrival order. See thread.ts for why.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { IngestInput, IngestLease, Store } from '../types.js';
import { openSqliteStore, type SqliteStoreOptions } from './index.js';
import {
  restoreBuffers,
  serializeError,
  type CallMessage,
  type ReplyMessage,
  type SlimIngestResult,
} from './thread-protocol.js';

if (parentPort === null) throw new Error('thread-worker.js runs as a worker thread of thread.ts');
const port: MessagePort = parentPort;

const post = (msg: ReplyMessage) => port.postMessage(msg);

let opened: Store | null = null;
try {
  opened = await openSqliteStore(workerData as SqliteStoreOptions);
} catch (err) {
  // the main thread rejects its open() with this error; with the port closed the thread ends
  post({ type: 'ready', ok: false, error: serializeError(err) });
  port.close();
}
if (opened !== null) serve(opened);

function serve(store: Store): void {
  // Wakes fired by one batch of calls reach the main thread as one message.
  let wakeQueued = false;
  store.queue.subscribe(() => {
    if (wakeQueued) return;
    wakeQueued = true;
    queueMicrotask(() => {
      wakeQueued = false;
      post({ type: 'wake' });
    });
  });

  /**
   * events.ingest: the main thread keeps the events it sent (their `data` stays there, see thread.ts);
   * back come a duplicate's stored original, a lost dedupe claim's id, and the leased deliveries
   * without their event (the main thread puts its own back).
   */
  const ingestSlim = async (
    inputs: IngestInput[],
    now: number,
    lease?: IngestLease,
  ): Promise<SlimIngestResult[]> =>
    (await store.events.ingest(inputs, now, lease)).map((r) => ({
      duplicate: r.duplicate,
      deliveries: r.deliveries,
      original: r.duplicate ? r.event : null,
      leased: r.leased?.map((c) => ({ delivery: c.delivery, webhook: c.webhook })) ?? null,
      rekeyTo: r.rekeyTo ?? null,
    }));

  function target(msg: CallMessage): (...args: unknown[]) => unknown {
    if (msg.ns === 'events' && msg.method === 'ingestSlim')
      return ingestSlim as (...args: unknown[]) => unknown;
    const owner = (msg.ns === null ? store : store[msg.ns as keyof Store]) as unknown as Record<
      string,
      unknown
    >;
    const fn = owner?.[msg.method];
    if (typeof fn !== 'function')
      throw new Error(`the SQLite store has no method ${msg.ns ?? ''}.${msg.method}`);
    return (fn as (...args: unknown[]) => unknown).bind(owner);
  }

  port.on('message', (msg: CallMessage) => {
    let result: unknown;
    try {
      result = target(msg)(...(restoreBuffers(msg.args) as unknown[]));
    } catch (err) {
      post({ type: 'reply', id: msg.id, ok: false, error: serializeError(err) });
      return;
    }
    // replies carry the call's id: the main thread matches them whatever order they settle in
    Promise.resolve(result).then(
      (value) => post({ type: 'reply', id: msg.id, ok: true, value }),
      (err: unknown) => post({ type: 'reply', id: msg.id, ok: false, error: serializeError(err) }),
    );
    if (msg.ns === null && msg.method === 'close') {
      // the reply is posted once close settles; then nothing keeps this thread alive
      void Promise.resolve(result).finally(() => port.close());
    }
  });

  post({ type: 'ready', ok: true });
}
