import { TimeoutError } from './with-timeout';

/** The code of a database call given up after its statement timeout. */
export const STATEMENT_TIMEOUT_CODE = 'DATABASE_STATEMENT_TIMEOUT';

/**
 * A database call that got no answer within DATABASE_STATEMENT_TIMEOUT_MS: it was settled by its
 * timer and its connection discarded (whatever the statement did is unknown).
 */
export class StatementTimeoutError extends Error {
  readonly code = STATEMENT_TIMEOUT_CODE;
  /** A connection error, as drivers mark theirs: the connection is not used again. */
  readonly fatal = true;

  constructor(what: string, ms: number) {
    super(`${what}: no answer from the database within ${ms} ms`);
    this.name = 'StatementTimeoutError';
  }
}

/** Driver codes of a database that cannot be reached or does not answer (not of a refused statement). */
const UNAVAILABLE_CODES = new Set([
  STATEMENT_TIMEOUT_CODE,
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'POOL_ENQUEUELIMIT',
  'ER_CON_COUNT_ERROR',
  'SQLITE_BUSY',
]);

/**
 * Whether `e` says the database is unavailable (unreachable, stalled, overloaded) rather than a
 * bug: such a failure is answered "try again", not as an internal error. TypeORM wraps driver
 * errors in a QueryFailedError that copies the driver's code; the driver's error rides along.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (e instanceof StatementTimeoutError || e instanceof TimeoutError) return true;
  if (!e || typeof e !== 'object') return false;
  const { code, driverError } = e as { code?: unknown; driverError?: { code?: unknown } };
  return UNAVAILABLE_CODES.has(String(code)) || UNAVAILABLE_CODES.has(String(driverError?.code));
}
