import type pg from 'pg';

/**
 * Statistics for young tables. Until a table is first analyzed, PostgreSQL plans its queries with
 * default selectivities (an equality matches 0.5% of the rows, whatever the column): a lookup by
 * (tenant_id, id) then looks as cheap through (tenant_id, created_at, …) as through the primary key,
 * and the foreign key check of every new delivery, and the completion's update, walked all of the
 * tenant's rows that way (4.5 ms per check with 10,000 events). Autovacuum analyzes a new table
 * only at its next round (autovacuum_naptime, a minute by default) after it changed enough; plans
 * cached by then (prepared statements, foreign key checks) are kept until it does.
 *
 * So each store analyzes the hot tables itself, once its ingests have created 1,000, then 10,000,
 * then 100,000 deliveries, and only the tables whose statistics count fewer rows than half of that:
 * a table analyzed already (by autovacuum or another process) costs one catalog read. Measured with
 * a 10,000-delivery drain on a fresh schema: PostgreSQL CPU per delivery 819 -> 264 µs. ANALYZE
 * samples at most 30,000 rows, takes no lock that blocks writes, and makes PostgreSQL re-plan the
 * cached plans of the tables. A role that does not own the tables gets a warning, not an error.
 */
const THRESHOLDS = [1_000, 10_000, 100_000];
const HOT_TABLES = ['events', 'deliveries', 'attempts'];

const STALE_SQL = `
SELECT c.relname
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY ($1::text[]) AND c.reltuples < $2`;

export class YoungTableAnalyzer {
  private created = 0;
  private next = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** counts deliveries created by an ingest; analyzes in the background when a threshold is crossed */
  count(deliveries: number): void {
    this.created += deliveries;
    const threshold = THRESHOLDS[this.next];
    if (threshold === undefined || this.created < threshold || this.running !== null) return;
    this.next++;
    this.running = this.analyze(threshold / 2)
      .catch(this.onError)
      .finally(() => {
        this.running = null;
      });
  }

  /** resolves when a running analysis is over (for close and tests) */
  async idle(): Promise<void> {
    await this.running;
  }

  private async analyze(belowRows: number): Promise<void> {
    const { rows } = await this.pool.query<{ relname: string }>({
      name: 'hooklane_stale_tables',
      text: STALE_SQL,
      values: [HOT_TABLES, belowRows],
    });
    if (rows.length === 0) return;
    // names come from the catalog filtered by HOT_TABLES: plain identifiers
    await this.pool.query(`ANALYZE ${rows.map((r) => r.relname).join(', ')}`);
  }
}
