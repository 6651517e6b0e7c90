/**
 * Numbered migrations for the SQLite engine. Append only: never edit a released migration.
 * Column conventions shared with the PostgreSQL engine (so the shared CRUD in ../../kysely works on
 * both): times are integer epoch milliseconds, booleans are 0/1 integers, JSON is TEXT, and every
 * tenant-owned table's primary key starts with tenant_id.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Platform keys have tenant_id NULL. Looked up by hash on every request; a reference table in Citus.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  key_hash TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

-- Platform-wide registry; a reference table in Citus.
CREATE TABLE event_types (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  schema TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE webhooks (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  paused INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT,
  headers TEXT NOT NULL DEFAULT '{}',
  retry_policy TEXT NOT NULL,
  timeout_ms INTEGER NOT NULL,
  max_in_flight INTEGER NOT NULL,
  rate_limit_per_s REAL,
  payload_format TEXT NOT NULL DEFAULT 'envelope',
  metadata TEXT NOT NULL DEFAULT '{}',
  secrets TEXT NOT NULL,
  listener_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE events (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  payload TEXT NOT NULL,
  idempotency_key TEXT,
  source_id TEXT,
  raw_body BLOB,
  raw_content_type TEXT,
  source_headers TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_type ON events (tenant_id, type, created_at);
CREATE INDEX events_created ON events (tenant_id, created_at);

CREATE TABLE deliveries (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, event_id) REFERENCES events(tenant_id, id) ON DELETE CASCADE
);
-- The claim walks these two partial indexes in due order: pending work, and leases that expired.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE status = 'delivering';
CREATE INDEX deliveries_event ON deliveries (tenant_id, event_id);
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
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  url TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  response_status INTEGER,
  response_body TEXT,
  error TEXT,
  error_class TEXT,
  succeeded INTEGER NOT NULL,
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
  active INTEGER NOT NULL DEFAULT 1,
  verification TEXT NOT NULL,
  tolerance_s INTEGER NOT NULL,
  event_type TEXT,
  id_from TEXT,
  dedupe_window_s INTEGER NOT NULL,
  rate_limit_per_s REAL,
  max_body_bytes INTEGER NOT NULL,
  schema TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

-- Routing of /in/{token}: SHA-256 of each live token (the current one, and rotated-out ones until
-- expires_at) to its source. Looked up by hash only, like api_keys, so it is a small platform-wide
-- routing table (a reference table in Citus) rather than a tenant-distributed one.
CREATE TABLE source_tokens (
  token_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  expires_at INTEGER,
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
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, source_id, dedupe_key),
  FOREIGN KEY (tenant_id, source_id) REFERENCES sources(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX source_dedupe_expiry ON source_dedupe (expires_at);

-- Every request a source received, rejected ones too, headers redacted.
CREATE TABLE source_requests (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
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
    name: 'fewer_per_webhook_indexes',
    sql: `
-- An index that starts (tenant_id, webhook_id, …) has one insertion point per webhook: when an event
-- fans out to 100 webhooks, or 100 webhooks' deliveries finish in one batch, every write touches
-- 100 different pages of it, and each commit writes every touched page to the WAL. Two of them
-- served only per-webhook stats, and deliveries_webhook_created was rewritten on every status
-- change. Bench #5 (1 event → 100 webhooks) went from 0.15x to 0.22x of the limit without them.
-- Per-webhook stats now read the tenant's time range of deliveries_created and attempts_time, both
-- of which carry webhook_id for that (index-only, as fast as the tenant's own stats). Those two are
-- appended to at one point per tenant, in time order, so a batch dirties few of their pages.
DROP INDEX deliveries_webhook_created;
DROP INDEX deliveries_created;
CREATE INDEX deliveries_created ON deliveries (tenant_id, created_at, status, webhook_id);
DROP INDEX attempts_webhook_time;
DROP INDEX attempts_time;
CREATE INDEX attempts_time ON attempts (tenant_id, started_at, duration_ms, succeeded, error_class, webhook_id);
`,
  },
  {
    version: 5,
    name: 'due_index_per_webhook',
    sql: `
-- The claim used to walk deliveries_due (next_attempt_at) from its oldest row and step over the rows
-- of webhooks it could not serve: paused, disabled, or at their in-flight cap. Such a backlog is
-- unbounded (a receiver's maintenance window, a slow receiver), and every claim and nextDueAt
-- walked it: with 300,000 deliveries of one paused webhook held, another webhook's deliveries ran
-- 4x slower (2,680 → 670/s, hooklane CPU per delivery 442 → 1,732 µs). Keyed by webhook, the index
-- lets the claim visit each webhook that has pending work once (a seek) and read only the due rows
-- of those it may serve (claim.ts): its cost follows the number of such webhooks, not their
-- backlogs. Still one pending index, so the writes cost what they did.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (tenant_id, webhook_id, next_attempt_at) WHERE status = 'pending';
`,
  },
  {
    version: 6,
    name: 'webhook_due',
    sql: `
-- Which webhooks have pending work due, answered without visiting the others. Since migration 5 the
-- claim and nextDueAt visited every webhook with pending deliveries, one seek each, due or not:
-- 10,000 webhooks each holding one retry scheduled an hour out (a common receiver's outage) made
-- every claim cost 30-45 ms and every nextDueAt ~110 ms of the database thread. webhook_due holds,
-- per webhook with pending deliveries, a time no later than its oldest pending next_attempt_at,
-- indexed by that time: the claim reads only the webhooks whose time has come. The triggers keep
-- it from ever being late, on every path that makes a delivery pending (ingest, a retry, a release,
-- a manual retry, any connection); a time that became early (its deliveries were claimed or
-- cancelled) is checked by every read, and set right, or the row removed, by the next claim that
-- finds nothing due behind it (pending-webhooks.ts).
CREATE TABLE webhook_due (
  tenant_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, webhook_id)
) WITHOUT ROWID;
CREATE INDEX webhook_due_at ON webhook_due (due_at);
INSERT INTO webhook_due (tenant_id, webhook_id, due_at)
  SELECT tenant_id, webhook_id, min(next_attempt_at) FROM deliveries WHERE status = 'pending'
  GROUP BY tenant_id, webhook_id;
CREATE TRIGGER webhook_due_on_insert AFTER INSERT ON deliveries WHEN NEW.status = 'pending'
BEGIN
  INSERT INTO webhook_due (tenant_id, webhook_id, due_at) VALUES (NEW.tenant_id, NEW.webhook_id, NEW.next_attempt_at)
  ON CONFLICT (tenant_id, webhook_id) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at < due_at;
END;
CREATE TRIGGER webhook_due_on_update AFTER UPDATE OF status, next_attempt_at ON deliveries WHEN NEW.status = 'pending'
BEGIN
  INSERT INTO webhook_due (tenant_id, webhook_id, due_at) VALUES (NEW.tenant_id, NEW.webhook_id, NEW.next_attempt_at)
  ON CONFLICT (tenant_id, webhook_id) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at < due_at;
END;
`,
  },
];
