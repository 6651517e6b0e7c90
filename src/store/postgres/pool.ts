import pg from 'pg';

/**
 * The connection pool of one PostgreSQL store. Everything the engine needs from a connection is set
 * at connect time, so no query ever pays an extra round trip for it:
 * - BIGINT (epoch ms, counts) parses to a JS number through a per-pool type table; pg's global
 *   parser registry is left alone, so other pg users in the same process are unaffected. Epoch
 *   milliseconds stay far below 2^53.
 * - `schema` becomes the connection's search_path (a startup option), so tests can give every file
 *   its own schema in one database, and so can a deployment that shares a database.
 */
export interface PgPoolOptions {
  url: string;
  poolSize: number;
  schema?: string | undefined;
  /** shown in pg_stat_activity, to tell pool, queue, LISTEN and migration connections apart */
  applicationName?: string;
  /**
   * Commit without waiting for the WAL flush (`synchronous_commit = off`, set at connect time, so
   * no statement pays a round trip for it). Only for the queue pool: its claims, completions and
   * releases are re-done by lease expiry if a PostgreSQL crash loses them (docs/durability.md). A
   * 202 (ingest) never commits on such a connection.
   */
  asyncCommit?: boolean;
}

const INT8_OID = 20;

/** Lower-case SQL identifiers only: they need no quoting in a startup option or in DDL. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function validateSchemaName(schema: string): string {
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new Error(`PostgreSQL schema name must match ${SCHEMA_PATTERN.source}, got "${schema}"`);
  }
  return schema;
}

function typeTable(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, 'text', Number);
  return types;
}

/**
 * A `schema` query parameter in the database URL (`postgres://host/db?schema=hooklane`) chooses the
 * schema, so the api and worker processes and `hooklane migrate` all take it from the one setting
 * they share (HOOKLANE_DATABASE_URL). An explicit `schema` option wins. The parameter is removed
 * from the URL handed to pg.
 */
export function withSchemaFromUrl<T extends { url: string; schema?: string | undefined }>(opts: T): T {
  let parsed: URL;
  try {
    parsed = new URL(opts.url);
  } catch {
    return opts;
  }
  const schema = parsed.searchParams.get('schema');
  if (schema === null) return opts;
  parsed.searchParams.delete('schema');
  return { ...opts, url: parsed.toString(), schema: opts.schema ?? validateSchemaName(schema) };
}

/** Connection settings shared by the pool and the dedicated LISTEN client. */
export function clientConfig(opts: PgPoolOptions): pg.ClientConfig {
  const settings: string[] = [];
  if (opts.schema !== undefined) settings.push(`-c search_path=${validateSchemaName(opts.schema)}`);
  if (opts.asyncCommit === true) settings.push('-c synchronous_commit=off');
  return {
    connectionString: opts.url,
    types: typeTable(),
    application_name: opts.applicationName ?? 'hooklane',
    ...(settings.length === 0 ? {} : { options: settings.join(' ') }),
  };
}

export function createPool(opts: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(opts), max: opts.poolSize, idleTimeoutMillis: 30_000 });
  // An idle connection that the server drops (restart, failover, idle timeout) emits 'error' on the
  // pool; without a listener Node would crash the process. The pool already discards that client
  // and the next query opens a fresh one, so there is nothing more to do here.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Creates the store's schema if missing. An existing schema is looked up first: CREATE SCHEMA IF
 * NOT EXISTS needs CREATE on the database even when the schema exists, which a locked-down role
 * (its schema prepared by a DBA) does not have. Several processes may start at once: the CREATE can
 * still fail with a unique violation when two of them race on the catalog, and the schema then
 * exists, which is all we wanted.
 */
export async function ensureSchema(pool: pg.Pool, schema: string): Promise<void> {
  const name = validateSchemaName(schema);
  const { rowCount } = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name]);
  if ((rowCount ?? 0) > 0) return;
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${name}`);
  } catch (e) {
    if (!(e instanceof pg.DatabaseError) || (e.code !== '23505' && e.code !== '42P06')) throw e;
  }
}
