import { StatementTimeoutError } from '@app/common';
import type { DataSource } from 'typeorm';

type Callback = (err: unknown, ...rest: unknown[]) => void;

/**
 * Calls `start` with a callback and settles it exactly once: with the driver's answer, or, when
 * none came within `ms`, with a StatementTimeoutError, after `onTimeout` (which discards the
 * connection). A later answer is dropped. mysql2 never calls back a query still running on a
 * connection it was told to destroy, so a timer that only destroys the connection leaves its
 * caller waiting forever: this one answers the caller itself.
 */
export function callWithin<R>(ms: number, what: string, start: (cb: Callback) => R, done: Callback, onTimeout: () => void): R {
  let settled = false;
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    try {
      onTimeout();
    } finally {
      done(new StatementTimeoutError(what, ms));
    }
  }, ms);
  timer.unref?.();
  try {
    return start((err, ...rest) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(err, ...rest);
    });
  } catch (e) {
    settled = true;
    clearTimeout(timer);
    throw e;
  }
}

/**
 * `work`, or a StatementTimeoutError after `ms`, whatever `work` does; what it yields after that
 * goes to `late` (e.g. a connection that came too late is given back).
 */
export function settleWithin<T>(work: Promise<T>, ms: number, what: string, late?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new StatementTimeoutError(what, ms));
    }, ms);
    timer.unref?.();
    work.then(
      (value) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          resolve(value);
        } else late?.(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The parts of a mysql2 (pool) connection this bound needs. */
export interface DriverConnection {
  query(...args: unknown[]): unknown;
  execute?(...args: unknown[]): unknown;
  destroy(): void;
  stream?: { destroy?(): void };
}

const BOUND = Symbol('statementTimeout');
type Bounded = DriverConnection & { [BOUND]?: { ms: number; discarded: boolean } };

/**
 * Bounds every query of a mysql2 connection (its `query` and `execute`, with a callback): one that
 * gets no answer within `ms` is answered with a StatementTimeoutError and its connection is
 * discarded (out of the pool, its socket closed), never used again; any later call on it fails at
 * once. Idempotent (a pool hands out the same connection objects again).
 */
export function boundConnection<C extends DriverConnection>(conn: C, ms: number): C {
  const c = conn as C & Bounded;
  if (c[BOUND]) return conn;
  const state: { ms: number; discarded: boolean } = { ms, discarded: false };
  c[BOUND] = state;
  const discard = () => {
    state.discarded = true;
    c.destroy();
    // destroy() only half-closes; a stalled peer would keep the socket (and its buffers) open.
    c.stream?.destroy?.();
  };
  for (const method of ['query', 'execute'] as const) {
    const original = c[method]?.bind(c);
    if (!original) continue;
    c[method] = (...args: unknown[]) => {
      const cb = args[args.length - 1];
      if (typeof cb !== 'function') return original(...args);
      if (state.discarded) {
        const err = new StatementTimeoutError('a connection discarded after a timeout', state.ms);
        process.nextTick(() => (cb as Callback)(err));
        return undefined;
      }
      return callWithin(state.ms, 'a database call', (wrapped) => original(...args.slice(0, -1), wrapped), cb as Callback, discard);
    };
  }
  return conn;
}

/**
 * Every call of a TypeORM data source on MySQL or MariaDB bounded by `ms` (see boundConnection),
 * getting a connection from the pool too: reads, writes and transactions. SQLite calls are
 * synchronous and are left alone. Statements that ran before (migrations at start) were not bounded.
 */
export function boundDataSource(ds: DataSource, ms: number): void {
  const driver = ds.driver as unknown as {
    obtainMasterConnection?: () => Promise<DriverConnection & { release?(): void }>;
    obtainSlaveConnection?: () => Promise<DriverConnection & { release?(): void }>;
    [BOUND]?: true;
  };
  if (driver[BOUND] || !driver.obtainMasterConnection) return;
  driver[BOUND] = true;
  for (const method of ['obtainMasterConnection', 'obtainSlaveConnection'] as const) {
    const original = driver[method]?.bind(driver);
    if (!original) continue;
    driver[method] = async () =>
      boundConnection(
        await settleWithin(original(), ms, 'getting a database connection', (late) => late.release?.()),
        ms,
      );
  }
}
