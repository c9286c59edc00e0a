/** SQLSTATE codes the feed acts on. https://www.postgresql.org/docs/current/errcodes-appendix.html */
export const SqlState = {
  UniqueViolation: '23505',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  LockNotAvailable: '55P03',
  QueryCanceled: '57014',
  AdminShutdown: '57P01',
  CrashShutdown: '57P02',
  CannotConnectNow: '57P03',
  DatabaseDropped: '57P04',
  TooManyConnections: '53300',
  ReadOnlyTransaction: '25006',
  /** The database does not exist (yet): a deployment fault, never the rows' fault. */
  InvalidCatalogName: '3D000',
  /** Among others, "the database system is starting up / not accepting connections". */
  NotInPrerequisiteState: '55000',
  /** Among others, "too many notifications in the NOTIFY queue" (see storeEvents). */
  ProgramLimitExceeded: '54000',
} as const;

/**
 * Classes whose errors pass: the same statement can succeed later. 28 (authentication) is
 * an operator's fault, never the rows': retrying keeps the messages instead of parking them.
 */
const transientClasses = new Set(['08', '28', '40', '53', '57', '58']);
const transientCodes = new Set<string>([
  SqlState.LockNotAvailable,
  SqlState.ReadOnlyTransaction,
  SqlState.InvalidCatalogName,
  SqlState.NotInPrerequisiteState,
]);
/**
 * A statement timeout (or a cancel) may come from the rows or from the database's moment: it
 * gets the bounded tries of an unknown error, then the probe decides.
 */
const unknownCodes = new Set<string>([SqlState.QueryCanceled]);
/** Classes where the data of a row is refused: retrying the same rows can never succeed. */
const dataClasses = new Set(['22', '23', '54']);

export type DatabaseErrorKind = 'transient' | 'data' | 'unknown';

/**
 * Sorts an error from pg: `transient` (connection lost or refused, a serialization failure,
 * the server shutting down), `data` (the database refuses these rows: invalid text, a
 * constraint, a row too large), or `unknown` (treat as transient, but bounded by the caller).
 */
export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const cls = code.slice(0, 2);
      if (unknownCodes.has(code)) return 'unknown';
      if (transientClasses.has(cls) || transientCodes.has(code)) return 'transient';
      if (dataClasses.has(cls)) return 'data';
      return 'unknown';
    }
    // Node socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ENOTFOUND, …
    if (code.startsWith('E')) return 'transient';
  }
  const message = error instanceof Error ? error.message : '';
  if (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
      message,
    )
  )
    return 'transient';
  return 'unknown';
}

/**
 * PostgreSQL's NOTIFY queue is full (a listener stopped reading for a long time): class 54
 * like a row too large, but the rows are not the cause, and they store without the notify
 * (see storeEvents).
 */
export function isNotifyQueueFull(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === SqlState.ProgramLimitExceeded && /notif/i.test(String(message));
}
