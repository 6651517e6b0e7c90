import type pg from 'pg';

/**
 * Runs `fn` in a transaction on one pooled connection. A connection whose COMMIT or ROLLBACK
 * failed may be broken or still inside the transaction, so it is destroyed, never reused.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(true);
    throw e;
  }
}
