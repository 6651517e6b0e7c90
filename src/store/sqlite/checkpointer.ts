import { Worker } from 'node:worker_threads';
import type { SqliteConnection } from './connection.js';
import { workerScript } from './worker-script.js';

/**
 * WAL checkpoints off the writer's path.
 *
 * SQLite's default checkpoints from the writer itself: the commit that takes the WAL past 1,000
 * pages copies them all into the database file and syncs it before it returns, and every request
 * waiting on that commit (an ingest's 202, an inbound answer) waits for the copy and the sync. Bench
 * #8's p99 at 1,000 requests/s was 10.9 and 13.1 ms with them, 7.6 and 8.3 ms with no checkpoints.
 *
 * Here a thread of its own (checkpoint-worker.ts) runs a PASSIVE checkpoint every `intervalMs`,
 * and the writer's own automatic checkpoint moves to WRITER_FALLBACK_PAGES. That fallback remains
 * because a PASSIVE checkpoint never resets the WAL: the log starts over from its beginning only
 * when a writer finds every frame already copied, which a writer that never pauses might not. So
 * the WAL cannot grow without bound (~40 MB at most), and when the background keeps up, the
 * fallback finds little left to copy.
 */
const WRITER_FALLBACK_PAGES = 10_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(conn: SqliteConnection, path: string, intervalMs = 100): Checkpointer {
  conn.pragma(`wal_autocheckpoint = ${WRITER_FALLBACK_PAGES}`);
  const worker = new Worker(workerScript('checkpoint-worker.js'), {
    workerData: { path, intervalMs },
    name: 'hooklane-sqlite-checkpoint',
  });
  worker.unref();
  // a failing checkpointer costs latency, never data: the writer's fallback checkpoints on its own
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: () => {
      worker.postMessage('stop'); // a no-op once the thread is gone
      return exited;
    },
  };
}
