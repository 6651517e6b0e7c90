/**
 * Group commit for attempt results: completions gather for a few milliseconds (or until a batch is
 * full) and go to the store in one `queue.complete` call, one transaction. One flush at a time:
 * SQLite has a single writer anyway, and while one batch commits the next one grows, so the
 * batch size follows the load by itself.
 */
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Completion, Store } from '../store/types.js';

export interface CompletionBatcherOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  workerId: string;
  /** flush as soon as this many are waiting (default 256) */
  maxBatch?: number;
  /** flush at the latest this long after the first completion arrived, ms (default 2) */
  maxDelayMs?: number;
  /** called after each batch is written (`written`) or given up on, with its completions */
  onFlushed: (batch: readonly Completion[], written: boolean) => void;
}

// A failed write is retried a few times (a busy or briefly unreachable database); after that the
// batch is given up: its leases expire and the deliveries are sent again (at-least-once).
const WRITE_ATTEMPTS = 4;
const WRITE_RETRY_MS = 200;

export class CompletionBatcher {
  private pending: Completion[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;

  constructor(private readonly opts: CompletionBatcherOptions) {
    this.maxBatch = opts.maxBatch ?? 256;
    this.maxDelayMs = opts.maxDelayMs ?? 2;
  }

  add(completion: Completion): void {
    this.pending.push(completion);
    if (this.writing !== null) return; // picked up when the current write ends
    if (this.pending.length >= this.maxBatch) this.startWriting();
    else this.timer ??= setTimeout(() => this.startWriting(), this.maxDelayMs);
  }

  /** Writes everything added so far; resolves when it is in the store. */
  async flush(): Promise<void> {
    while (this.writing !== null || this.pending.length > 0) {
      if (this.writing === null) this.startWriting();
      await this.writing;
    }
  }

  private startWriting(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing !== null || this.pending.length === 0) return;
    this.writing = this.writeAll().finally(() => {
      this.writing = null;
      // added between the loop's last look and now
      if (this.pending.length > 0) this.startWriting();
    });
  }

  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch =
        this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
      this.pending = this.pending.length <= this.maxBatch ? [] : this.pending.slice(this.maxBatch);
      const written = await this.write(batch);
      this.opts.onFlushed(batch, written);
    }
  }

  /** false when it gave up */
  private async write(batch: Completion[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const changed = await this.opts.store.queue.complete(
          this.opts.workerId,
          batch,
          this.opts.clock.now(),
        );
        if (changed < batch.length) {
          // Leases that expired and were taken over: the other worker's result counts.
          this.opts.logger.debug({ batch: batch.length, changed }, 'some completions lost their lease');
        }
        return true;
      } catch (err) {
        const giveUp = attempt >= WRITE_ATTEMPTS;
        this.opts.logger.error(
          { err, batch: batch.length, attempt },
          giveUp
            ? 'could not record delivery results; their leases will expire and they will be sent again'
            : 'recording delivery results failed; retrying',
        );
        if (giveUp) return false;
        await new Promise((r) => setTimeout(r, WRITE_RETRY_MS * attempt));
      }
    }
  }
}
