/**
 * The sources' request logs, written behind the answer: entries queue here and are inserted in
 * batches (one statement per up to 500 rows), so logging costs the hot path nothing but a push.
 * A crash can lose the last few entries of the log; never an event (events are stored before the
 * answer). A batch that fails (a source deleted meanwhile) is retried entry by entry, and an entry
 * that still fails is dropped with a warning.
 */
import type { Logger } from 'pino';
import type { SourceRequest } from '../domain/types.js';
import type { Store } from '../store/types.js';

const MAX_BATCH = 500;
/** entries waiting at most; beyond it new ones are dropped (the database is not keeping up) */
const MAX_QUEUED = 50_000;

export class SourceRequestLog {
  private queue: SourceRequest[] = [];
  private scheduled = false;
  private flushing: Promise<void> | null = null;
  private dropped = 0;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  append(entry: SourceRequest): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.queue.push(entry);
    if (!this.scheduled && this.flushing === null) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
  }

  /** writes everything queued so far; resolves when it is stored */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.writeAll().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_BATCH);
      this.queue = this.queue.slice(batch.length);
      try {
        await this.store.sources.logRequests(batch);
      } catch {
        for (const entry of batch) {
          try {
            await this.store.sources.logRequests([entry]);
          } catch (e) {
            this.logger.warn(
              { err: e, source_id: entry.source_id, request_id: entry.id },
              'could not write a source request log entry',
            );
          }
        }
      }
    }
    if (this.dropped > 0) {
      this.logger.warn({ dropped: this.dropped }, 'source request log entries dropped: the queue was full');
      this.dropped = 0;
    }
  }
}
