/**
 * The ONLY module that reads process.env. It resolves flags (which win) and environment variables
 * into one frozen Config, and fails at startup with a message that names the bad setting.
 */
export type ProcessRole = 'api' | 'worker' | 'all';
export type SqliteSynchronous = 'NORMAL' | 'FULL';

export interface Config {
  port: number;
  host: string;
  /** `sqlite:<path>` or `postgres://…` */
  databaseUrl: string;
  /** set: this exact platform key is valid (stored hashed) */
  adminKey: string | null;
  allowPrivateNetworks: boolean;
  publicUrl: string;
  role: ProcessRole;
  logLevel: string;
  /** SQLite only: NORMAL (default, survives process crash) or FULL (also survives power loss) */
  sqliteSynchronous: SqliteSynchronous;
  /** SQLite only: run the database in its own thread (default), off the API's event loop */
  sqliteThread: boolean;
  /** SQLite only: WAL checkpoints in a thread of their own (default) or in the writer's commits */
  sqliteCheckpoint: 'background' | 'writer';
  /** PostgreSQL connection pool size per process */
  pgPoolSize: number;
  /** request body limit for the API, bytes */
  bodyLimitBytes: number;
  /** require https webhook URLs */
  requireHttps: boolean;
  /**
   * dispatcher: deliveries this process holds at once across all webhooks, from its claim until
   * its completion is written (in flight, waiting in a webhook's lane, or being recorded)
   */
  dispatcherConcurrency: number;
  /** dispatcher: deliveries claimed per statement */
  claimBatchSize: number;
  /** dispatcher: polling floor when nothing wakes it, ms */
  pollIntervalMs: number;
  /** lease = webhook timeout + this margin, ms */
  leaseMarginMs: number;
  /** SIGTERM: how long to wait for in-flight requests, ms */
  shutdownGraceMs: number;
  /** `hooklane listen`: a listener webhook is removed this long after its CLI went away, ms */
  listenerGraceMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Flags from the CLI, already parsed by commander (strings as typed). */
export interface ConfigFlags {
  port?: string | undefined;
  host?: string | undefined;
  database?: string | undefined;
  allowPrivateNetworks?: boolean | undefined;
  publicUrl?: string | undefined;
  role?: string | undefined;
}

type Env = Record<string, string | undefined>;

function intSetting(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolSetting(name: string, raw: string | undefined, def: boolean): boolean {
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], def: T): T {
  if (raw === undefined || raw === '') return def;
  const v = raw.trim() as T;
  if (!allowed.includes(v))
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return v;
}

export function validateDatabaseUrl(url: string): string {
  if (url.startsWith('sqlite:')) {
    if (url.length === 'sqlite:'.length) throw new ConfigError('database URL "sqlite:" needs a file path');
    return url;
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError(`database URL is not a valid postgres:// URL`);
    }
    return url;
  }
  throw new ConfigError(`database URL must start with sqlite: or postgres://, got "${redactUrl(url)}"`);
}

/** Strips a password from a URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

export function resolveConfig(flags: ConfigFlags = {}, env: Env = process.env): Readonly<Config> {
  const port = intSetting('port (HOOKLANE_PORT / --port)', flags.port ?? env.HOOKLANE_PORT, 8080, 0, 65535);
  const host = (flags.host ?? env.HOOKLANE_HOST ?? '127.0.0.1').trim();
  if (host === '') throw new ConfigError('host (HOOKLANE_HOST / --host) must not be empty');
  const databaseUrl = validateDatabaseUrl(
    (flags.database ?? env.HOOKLANE_DATABASE_URL ?? 'sqlite:./data/hooklane.db').trim(),
  );
  const adminKey = env.HOOKLANE_ADMIN_KEY?.trim() || null;
  if (adminKey !== null && adminKey.length < 16) {
    throw new ConfigError('HOOKLANE_ADMIN_KEY must be at least 16 characters');
  }
  const allowPrivateNetworks =
    flags.allowPrivateNetworks === true ||
    boolSetting('HOOKLANE_ALLOW_PRIVATE_NETWORKS', env.HOOKLANE_ALLOW_PRIVATE_NETWORKS, false);
  const displayHost = host.includes(':') ? `[${host}]` : host;
  const publicUrlRaw = (flags.publicUrl ?? env.HOOKLANE_PUBLIC_URL ?? `http://${displayHost}:${port}`).trim();
  let publicUrl: string;
  try {
    const u = new URL(publicUrlRaw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    publicUrl = publicUrlRaw.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(
      `public URL (HOOKLANE_PUBLIC_URL / --public-url) must be an http(s) URL, got "${publicUrlRaw}"`,
    );
  }
  const role = oneOf(
    'role (HOOKLANE_ROLE / --role)',
    flags.role ?? env.HOOKLANE_ROLE,
    ['api', 'worker', 'all'] as const,
    'all',
  );

  return Object.freeze({
    port,
    host,
    databaseUrl,
    adminKey,
    allowPrivateNetworks,
    publicUrl,
    role,
    logLevel: oneOf(
      'HOOKLANE_LOG_LEVEL',
      env.HOOKLANE_LOG_LEVEL,
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    sqliteSynchronous: oneOf(
      'HOOKLANE_SQLITE_SYNCHRONOUS',
      env.HOOKLANE_SQLITE_SYNCHRONOUS,
      ['NORMAL', 'FULL'] as const,
      'NORMAL',
    ),
    sqliteThread: boolSetting('HOOKLANE_SQLITE_THREAD', env.HOOKLANE_SQLITE_THREAD, true),
    sqliteCheckpoint: oneOf(
      'HOOKLANE_SQLITE_CHECKPOINT',
      env.HOOKLANE_SQLITE_CHECKPOINT,
      ['background', 'writer'] as const,
      'background',
    ),
    pgPoolSize: intSetting('HOOKLANE_PG_POOL_SIZE', env.HOOKLANE_PG_POOL_SIZE, 10, 1, 1000),
    bodyLimitBytes: intSetting(
      'HOOKLANE_BODY_LIMIT_BYTES',
      env.HOOKLANE_BODY_LIMIT_BYTES,
      1024 * 1024,
      1024,
      64 * 1024 * 1024,
    ),
    requireHttps: boolSetting('HOOKLANE_REQUIRE_HTTPS', env.HOOKLANE_REQUIRE_HTTPS, false),
    dispatcherConcurrency: intSetting(
      'HOOKLANE_DISPATCHER_CONCURRENCY',
      env.HOOKLANE_DISPATCHER_CONCURRENCY,
      1024,
      1,
      10000,
    ),
    claimBatchSize: intSetting('HOOKLANE_CLAIM_BATCH_SIZE', env.HOOKLANE_CLAIM_BATCH_SIZE, 200, 1, 5000),
    pollIntervalMs: intSetting('HOOKLANE_POLL_INTERVAL_MS', env.HOOKLANE_POLL_INTERVAL_MS, 1000, 10, 60000),
    leaseMarginMs: intSetting('HOOKLANE_LEASE_MARGIN_MS', env.HOOKLANE_LEASE_MARGIN_MS, 5000, 100, 600000),
    shutdownGraceMs: intSetting(
      'HOOKLANE_SHUTDOWN_GRACE_MS',
      env.HOOKLANE_SHUTDOWN_GRACE_MS,
      30000,
      0,
      600000,
    ),
    listenerGraceMs: intSetting(
      'HOOKLANE_LISTENER_GRACE_MS',
      env.HOOKLANE_LISTENER_GRACE_MS,
      60_000,
      100,
      86_400_000,
    ),
  });
}
