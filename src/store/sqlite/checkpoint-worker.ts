/**
 * The WAL checkpointer's thread (checkpointer.ts): its own connection to the file, a PASSIVE
 * checkpoint every `intervalMs`. A PASSIVE checkpoint takes no lock the writer waits for: it copies
 * the WAL frames no reader still needs into the database file and syncs it, while the writer goes
 * on appending.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path);

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY (another checkpoint runs, e.g. the writer's own fallback): try again next time
  }
}, intervalMs);

parentPort!.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
