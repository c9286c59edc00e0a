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
  /**
   * PostgreSQL's `statement_timeout` for every statement of the pool (SQLSTATE 57014 past
   * it), and, 2 s later, the client's own deadline for an answer (`query_timeout`), which a
   * frozen connection never gives: that connection is then dropped from the pool. Default:
   * none.
   */
  statementTimeoutMs?: number;
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
    ...(options.statementTimeoutMs === undefined
      ? {}
      : {
          statement_timeout: options.statementTimeoutMs,
          query_timeout: options.statementTimeoutMs + 2000,
        }),
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
