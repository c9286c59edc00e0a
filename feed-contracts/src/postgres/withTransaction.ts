import type pg from 'pg';

/**
 * Runs `work` in one transaction on one client (never `pool.query` inside a transaction):
 * everything it writes commits together or not at all. A client whose connection broke is
 * destroyed, not returned to the pool. The feed's store and every service using the SDK's
 * outbox share it.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    try {
      await client.query('rollback');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
