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
];
