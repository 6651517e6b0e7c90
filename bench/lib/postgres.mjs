/**
 * A fresh PostgreSQL database per use (`hl_bench_<time>_<n>`), dropped afterwards, so a run never
 * sees an earlier run's rows and never touches the test database's own schemas.
 */
import pg from 'pg';

export const ADMIN_URL = process.env.HOOKLANE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let created = 0;

async function withAdmin(fn) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** null when PostgreSQL answers, else why not */
export async function postgresUnavailable() {
  try {
    await withAdmin((c) => c.query('select 1'));
    return null;
  } catch (e) {
    return `PostgreSQL at ${ADMIN_URL} is not reachable: ${e.message}`;
  }
}

/** creates an empty database; returns its URL and `drop()` */
export async function freshDatabase(prefix = 'hl_bench') {
  const name = `${prefix}_${Date.now()}_${process.pid}_${++created}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // FORCE ends connections a killed process may have left open (PostgreSQL 13+).
    drop: () => withAdmin((c) => c.query(`drop database if exists ${name} with (force)`)),
  };
}
