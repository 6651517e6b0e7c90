/**
 * Numbered migrations for the PostgreSQL engine. Append only: never edit a released migration.
 *
 * The tables and columns are those of the SQLite engine (../../sqlite/migrations), with PostgreSQL
 * types chosen so the shared CRUD in ../../kysely runs unchanged on both: times are BIGINT epoch
 * milliseconds, booleans are SMALLINT 0/1 (so `active = 1` means the same on both), JSON is TEXT
 * (stored and returned as the exact bytes written, never re-serialised), binary is BYTEA.
 *
 * Ready for a distributed PostgreSQL (Citus, distribution column tenant_id): every tenant-owned
 * primary key, unique index and foreign key starts with tenant_id, and every join on these tables
 * includes it. tenants, api_keys and event_types are small, platform-wide reference tables.
 */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly PgMigration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
-- tenants.list pages by (created_at, id), newest first (tenant ids are chosen, not time-sortable)
CREATE INDEX tenants_created ON tenants (created_at, id);

-- Platform keys have tenant_id NULL. Looked up by hash on every request; a reference table in Citus.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  key_hash TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

-- Platform-wide registry; a reference table in Citus.
CREATE TABLE event_types (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  schema TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE webhooks (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  active SMALLINT NOT NULL DEFAULT 1,
  paused SMALLINT NOT NULL DEFAULT 0,
  disabled_reason TEXT,
  headers TEXT NOT NULL DEFAULT '{}',
  retry_policy TEXT NOT NULL,
  timeout_ms INTEGER NOT NULL,
  max_in_flight INTEGER NOT NULL,
  rate_limit_per_s DOUBLE PRECISION,
  payload_format TEXT NOT NULL DEFAULT 'envelope',
  metadata TEXT NOT NULL DEFAULT '{}',
  secrets TEXT NOT NULL,
  listener_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE events (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  timestamp BIGINT NOT NULL,
  payload TEXT NOT NULL,
  idempotency_key TEXT,
  source_id TEXT,
  raw_body BYTEA,
  raw_content_type TEXT,
  source_headers TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
-- Ingest relies on this index for duplicate detection (INSERT … ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- events.list pages by (created_at, id), newest first, optionally filtered by type or source:
-- each filter has an index that returns rows already in page order.
CREATE INDEX events_type ON events (tenant_id, type, created_at, id);
CREATE INDEX events_created ON events (tenant_id, created_at, id);
CREATE INDEX events_source ON events (tenant_id, source_id, created_at, id) WHERE source_id IS NOT NULL;

CREATE TABLE deliveries (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  last_status_code INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  completed_at BIGINT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, event_id) REFERENCES events(tenant_id, id) ON DELETE CASCADE
);
-- The claim index. One ordered index over both kinds of claimable row, keyed by the time each
-- becomes claimable: a pending delivery at next_attempt_at, a leased one when its lease expires.
-- The claim then reads it in due order and stops after its batch, instead of OR-ing two partial
-- indexes (a bitmap scan that must fetch and sort every due row before LIMIT applies). Terminal
-- rows (succeeded, failed, cancelled: nearly all of a mature table) are not in it at all.
-- It replaces SQLite's deliveries_due and deliveries_leased, which would only add write cost here.
CREATE INDEX deliveries_claim ON deliveries ((CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_expires_at END))
  WHERE status IN ('pending', 'delivering');
-- deliveries.list pages by id, newest first, filtered by event, webhook or status;
-- recover finds a webhook's failed deliveries by creation time.
CREATE INDEX deliveries_event ON deliveries (tenant_id, event_id, id);
CREATE INDEX deliveries_webhook ON deliveries (tenant_id, webhook_id, id);
CREATE INDEX deliveries_status ON deliveries (tenant_id, status, id);
CREATE INDEX deliveries_webhook_created ON deliveries (tenant_id, webhook_id, created_at);

CREATE TABLE attempts (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  attempt_number INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL,
  url TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  response_status INTEGER,
  response_body TEXT,
  error TEXT,
  error_class TEXT,
  succeeded SMALLINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX attempts_delivery ON attempts (tenant_id, delivery_id, attempt_number);
CREATE INDEX attempts_webhook_time ON attempts (tenant_id, webhook_id, started_at);
CREATE INDEX attempts_time ON attempts (tenant_id, started_at);
`,
  },
  {
    version: 2,
    name: 'sources',
    sql: `
-- Inbound sources. verification holds the provider secrets (like webhooks.secrets); token is the
-- secret part of the public URL, kept in clear because the API shows the URL.
CREATE TABLE sources (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  token TEXT NOT NULL,
  active SMALLINT NOT NULL DEFAULT 1,
  verification TEXT NOT NULL,
  tolerance_s INTEGER NOT NULL,
  event_type TEXT,
  id_from TEXT,
  dedupe_window_s INTEGER NOT NULL,
  rate_limit_per_s DOUBLE PRECISION,
  max_body_bytes INTEGER NOT NULL,
  schema TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

-- Routing of /in/{token}: SHA-256 of each live token (the current one, and rotated-out ones until
-- expires_at) to its source. Looked up by hash only, like api_keys, so it is a small platform-wide
-- routing table (a reference table in Citus) rather than a tenant-distributed one.
CREATE TABLE source_tokens (
  token_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  expires_at BIGINT,
  FOREIGN KEY (tenant_id, source_id) REFERENCES sources(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX source_tokens_source ON source_tokens (tenant_id, source_id);

-- Replay defence: a provider's delivery id seen within the source's dedupe window maps to the event
-- it became. An expired row is overwritten by the next request with the same key.
CREATE TABLE source_dedupe (
  tenant_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  event_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, source_id, dedupe_key),
  FOREIGN KEY (tenant_id, source_id) REFERENCES sources(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX source_dedupe_expiry ON source_dedupe (expires_at);

-- Every request a source received, rejected ones too, headers redacted.
CREATE TABLE source_requests (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  method TEXT NOT NULL,
  headers TEXT NOT NULL,
  content_type TEXT,
  body_bytes INTEGER NOT NULL,
  body_excerpt TEXT,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  event_id TEXT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, source_id) REFERENCES sources(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX source_requests_source ON source_requests (tenant_id, source_id, id);
`,
  },
  {
    version: 3,
    name: 'stats_covering_indexes',
    sql: `
-- Stats (GET …/stats) read whole time ranges of a tenant's deliveries and attempts. These indexes
-- carry every column those reads need, so the reads are index-only range scans. With 1,000,000
-- attempts in 7 days, a 7d tenant stats call took 18 s with the old (tenant_id, started_at) index
-- and its row lookups, 1.7 s with these (SQLite, 2 shared cores). The attempts ones replace their
-- narrower prefixes (same number of indexes per insert); deliveries get one tenant-wide range.
DROP INDEX attempts_time;
CREATE INDEX attempts_time ON attempts (tenant_id, started_at, duration_ms, succeeded, error_class);
DROP INDEX attempts_webhook_time;
CREATE INDEX attempts_webhook_time ON attempts (tenant_id, webhook_id, started_at, duration_ms, succeeded, error_class);
DROP INDEX deliveries_webhook_created;
CREATE INDEX deliveries_webhook_created ON deliveries (tenant_id, webhook_id, created_at, status);
CREATE INDEX deliveries_created ON deliveries (tenant_id, created_at, status);
`,
  },
  {
    version: 4,
    name: 'pending_index_per_webhook',
    sql: `
-- deliveries_claim held pending and leased rows in one due order, and the claim and nextDueAt read
-- it from the oldest entry, stepping over every row of a webhook they could not serve: a paused
-- webhook's or a saturated one's backlog, unbounded, walked by every claim (docs/scaling.md: a
-- claim of 200 took ~78 ms behind 200,000 rows of one paused webhook). Pending rows are now keyed
-- by webhook: the claim skips from one webhook to the next (a seek each) and reads due rows only
-- of those it may serve (sql/claim.ts). Leased rows keep an index of their own by expiry. Two
-- partial indexes where there was one: every row is in at most one of them, so writes cost the same.
CREATE INDEX deliveries_pending ON deliveries (tenant_id, webhook_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE status = 'delivering';
DROP INDEX deliveries_claim;
`,
  },
  {
    version: 5,
    name: 'webhook_due',
    sql: `
-- The claim and nextDueAt visited every webhook with pending deliveries (migration 4's skip from
-- webhook to webhook), one seek each, due or not: with 10,000 webhooks each holding a retry an hour
-- out (a receiver's outage) a claim cost ~50-75 ms and nextDueAt ~60 ms, on every wake.
-- webhook_due has one row per webhook with pending deliveries, holding a time no later than its
-- oldest one, indexed by that time: the claim reads only the rows whose time has come
-- (sql/claim.ts). SQLite's migration 6 is the same table; what differs is that many transactions
-- write it at once here, which the two functions below are about.
CREATE TABLE webhook_due (
  tenant_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, webhook_id)
);
CREATE INDEX webhook_due_at ON webhook_due (due_at, tenant_id, webhook_id);

-- A webhook's key for transaction-scoped advisory locks (a collision only makes two webhooks share
-- one), and its bucket's: one of 1,024 keys a statement covering more webhooks than that takes
-- instead, since every advisory lock held is an entry in PostgreSQL's shared lock table (with the
-- default max_locks_per_transaction, 20,000 of them in one transaction ran out). Advisory locks are
-- database-wide: both are seeded with this schema's name, baked in here, so stores in different
-- schemas of one database never hold each other up.
DO $do$
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION hooklane_due_key(tenant TEXT, webhook TEXT) RETURNS BIGINT
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $$ SELECT hashtextextended(webhook, hashtextextended(tenant, %1$s)) $$;
    CREATE FUNCTION hooklane_due_bucket(key BIGINT) RETURNS BIGINT
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $$ SELECT hashtextextended('bucket ' || (key & 1023)::text, %1$s) $$;
  $f$, hashtext(current_schema()));
END
$do$;

-- Cover: after every statement that inserts or updates deliveries, each webhook given a pending
-- delivery gets a row no later than it. Writers of one webhook never wait for each other unless its
-- row must move earlier (or be added), which takes its row lock: in key order, so two statements
-- doing so for the same webhooks cannot deadlock. Each holds the webhook's key SHARED until commit
-- (a statement covering more than 1,024 webhooks: their buckets'): a row can then not be moved
-- later (settle, below) by a claim that cannot see this uncommitted delivery. The check runs in a
-- statement of its own, after the keys are held: its snapshot sees any settle that held a key
-- before. The transition table is read once, into one group per webhook. This function and settle
-- (below) keep the search_path they were created with: a statement on deliveries from any session
-- (psql, a schema-qualified UPDATE) finds this schema's webhook_due.
CREATE FUNCTION hooklane_webhook_due_cover() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  g_tenants TEXT[];
  g_webhooks TEXT[];
  g_dues BIGINT[];
BEGIN
  SELECT array_agg(tenant_id), array_agg(webhook_id), array_agg(due_at) INTO g_tenants, g_webhooks, g_dues
  FROM (SELECT tenant_id, webhook_id, min(next_attempt_at) AS due_at FROM changed WHERE status = 'pending'
        GROUP BY tenant_id, webhook_id) c;
  IF g_tenants IS NULL THEN
    RETURN NULL;
  ELSIF cardinality(g_tenants) <= 1024 THEN
    PERFORM pg_advisory_xact_lock_shared(hooklane_due_key(k.t, k.w)) FROM unnest(g_tenants, g_webhooks) AS k(t, w);
  ELSE
    PERFORM pg_advisory_xact_lock_shared(b)
    FROM (SELECT DISTINCT hooklane_due_bucket(hooklane_due_key(k.t, k.w)) AS b
          FROM unnest(g_tenants, g_webhooks) AS k(t, w)) c;
  END IF;
  INSERT INTO webhook_due (tenant_id, webhook_id, due_at)
  SELECT k.t, k.w, k.d
  FROM unnest(g_tenants, g_webhooks, g_dues) AS k(t, w, d)
  WHERE NOT EXISTS (SELECT 1 FROM webhook_due x WHERE x.tenant_id = k.t AND x.webhook_id = k.w AND x.due_at <= k.d)
  ORDER BY k.t, k.w
  ON CONFLICT (tenant_id, webhook_id) DO UPDATE SET due_at = excluded.due_at
  WHERE excluded.due_at < webhook_due.due_at;
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_due_on_insert AFTER INSERT ON deliveries
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION hooklane_webhook_due_cover();
CREATE TRIGGER webhook_due_on_update AFTER UPDATE ON deliveries
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION hooklane_webhook_due_cover();

-- Settle: rows a claim found early (nothing due behind them) are set to their webhook's oldest
-- pending delivery, or removed when it has none or is gone (a delivery an ingest wrote for it as it
-- was deleted is never sent, and its row would otherwise be visited by every claim). Only rows
-- whose key and bucket no writer holds (a try, never a wait: two settles sharing a bucket leave it
-- to one of them), decided in a statement of its own after the keys are taken, so its snapshot
-- sees every delivery of every writer that held them. Returns how many rows it set right.
CREATE FUNCTION hooklane_webhook_due_settle(tenants TEXT[], webhooks TEXT[]) RETURNS INTEGER
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  held_tenants TEXT[];
  held_webhooks TEXT[];
  n INTEGER;
BEGIN
  SELECT array_agg(k.t), array_agg(k.w) INTO held_tenants, held_webhooks
  FROM unnest(tenants, webhooks) AS k(t, w)
  WHERE pg_try_advisory_xact_lock(hooklane_due_key(k.t, k.w))
    AND pg_try_advisory_xact_lock(hooklane_due_bucket(hooklane_due_key(k.t, k.w)));
  IF held_tenants IS NULL THEN
    RETURN 0;
  END IF;
  WITH oldest AS (
    SELECT k.t, k.w, (SELECT min(d.next_attempt_at) FROM deliveries d
                      WHERE d.tenant_id = k.t AND d.webhook_id = k.w AND d.status = 'pending'
                        AND EXISTS (SELECT 1 FROM webhooks x WHERE x.tenant_id = k.t AND x.id = k.w)) AS due_at
    FROM unnest(held_tenants, held_webhooks) AS k(t, w)
  ),
  removed AS (
    DELETE FROM webhook_due wd USING oldest o
    WHERE wd.tenant_id = o.t AND wd.webhook_id = o.w AND o.due_at IS NULL
    RETURNING 1
  ),
  moved AS (
    UPDATE webhook_due wd SET due_at = o.due_at FROM oldest o
    WHERE wd.tenant_id = o.t AND wd.webhook_id = o.w AND wd.due_at < o.due_at
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM removed) + (SELECT count(*) FROM moved) INTO n;
  RETURN n;
END $$;

-- The deliveries pending now.
INSERT INTO webhook_due (tenant_id, webhook_id, due_at)
SELECT tenant_id, webhook_id, min(next_attempt_at) FROM deliveries WHERE status = 'pending'
GROUP BY tenant_id, webhook_id;
`,
  },
];
