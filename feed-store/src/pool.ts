import pg from 'pg';

export interface PoolOptions {
  connectionString: string;
  /** Most connections the pool opens. Default 10. */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Where idle-client errors go. Without a listener such an error kills the process. */
  onError?: (error: Error) => void;
  /** Default 5000 ms. */
  connectionTimeoutMillis?: number;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: a pool, or one client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'feed',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    // TCP keepalive notices a database that vanished without closing the socket.
    keepAlive: true,
  });
  const onError = options.onError ?? (() => {});
  pool.on('error', onError);
  // A client checked out (inside a transaction) whose connection dies emits 'error' on the
  // client, not the pool; unheard, it would end the process. The query in progress rejects.
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}
