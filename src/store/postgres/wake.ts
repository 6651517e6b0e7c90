import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * Wakes dispatchers when new work may be due, across processes, with LISTEN/NOTIFY.
 *
 * Writers call pg_notify(channel, instanceId) inside the committing statement, so PostgreSQL
 * delivers the notification only if and when the work is committed. Every store keeps ONE dedicated
 * LISTEN connection (outside the pool: a pooled connection would be returned and reused), opened
 * with the first subscriber and reopened with exponential backoff when it drops. Our own commits
 * wake our own listeners at once, without the round trip; notifications carrying our instance id
 * are then ignored.
 *
 * Notifications only cut latency. They are lost while the LISTEN connection is down and never pass
 * a PgBouncer in transaction pooling mode; dispatchers still poll, which is the correctness floor.
 * After every (re)connect the listeners are called once, in case work arrived meanwhile.
 */
const MAX_CHANNEL_LENGTH = 63; // NAMEDATALEN - 1: pg_notify refuses longer channel names
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;

/** One channel per schema, so stores sharing a database in different schemas do not wake each other. */
export function wakeChannel(schema: string | undefined): string {
  if (schema === undefined) return 'hooklane_wake';
  const named = `hooklane_wake_${schema}`;
  if (named.length <= MAX_CHANNEL_LENGTH) return named;
  return `hooklane_wake_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

export class Wake {
  /** the NOTIFY payload of this store's own commits */
  readonly instanceId = randomUUID();
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private started = false;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    readonly channel: string,
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.started && !this.closed) {
      this.started = true;
      void this.connect();
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Calls every listener: after a commit of this store, or a notification from another one. */
  fire(): void {
    for (const listener of [...this.listeners]) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    this.listeners.clear();
    if (client !== null) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    let dropped = false;
    const drop = (): void => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload !== this.instanceId) this.fire();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch {
      drop();
      return;
    }
    if (this.closed || dropped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    this.fire();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer !== null) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.failures);
    this.failures++;
    // jitter: many processes that lost the server together do not reconnect in lockstep
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        void this.connect();
      },
      Math.round(delay * (0.5 + Math.random() / 2)),
    );
    this.retryTimer.unref();
  }
}
