import { isDatabaseUnavailable, StatementTimeoutError } from '@app/common';
import { boundConnection, boundDataSource, settleWithin } from './bounded-query';
import type { DataSource } from 'typeorm';

type Cb = (err: unknown, result?: unknown) => void;

/** A driver connection like mysql2's after destroy(): a query in flight is never called back. */
function silentConnection() {
  const calls: Cb[] = [];
  return {
    calls,
    query: jest.fn((_sql: string, _params: unknown[], cb: Cb) => void calls.push(cb)),
    destroy: jest.fn(),
    release: jest.fn(),
    stream: { destroy: jest.fn() },
  };
}

const query = (c: { query(...a: unknown[]): unknown }, sql = 'SELECT 1') =>
  new Promise((resolve, reject) => c.query(sql, [], (err: unknown, r: unknown) => (err ? reject(err as Error) : resolve(r))));

describe('bounded database calls', () => {
  afterEach(() => jest.useRealTimers());

  it('settles a query the driver never calls back, with a StatementTimeoutError, and discards the connection', async () => {
    jest.useFakeTimers();
    const conn = boundConnection(silentConnection(), 3000);
    const answer = query(conn);
    const settled = jest.fn();
    answer.catch(settled);
    jest.advanceTimersByTime(2999);
    await Promise.resolve();
    expect(settled).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    const err = await answer.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatementTimeoutError);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(conn.destroy).toHaveBeenCalledTimes(1);
    expect(conn.stream.destroy).toHaveBeenCalledTimes(1);
  });

  it('never uses a discarded connection again: a later call fails at once, without reaching the driver', async () => {
    jest.useFakeTimers();
    const raw = silentConnection();
    const driverQuery = raw.query;
    const conn = boundConnection(raw, 100);
    const first = query(conn).catch((e: unknown) => e);
    jest.advanceTimersByTime(100);
    await first;
    const again = query(conn, 'ROLLBACK').catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    expect(await again).toBeInstanceOf(StatementTimeoutError);
    expect(driverQuery).toHaveBeenCalledTimes(1);
  });

  it('passes the driver\'s answer through, once, and drops one that comes after the timeout', async () => {
    jest.useFakeTimers();
    const raw = silentConnection();
    const conn = boundConnection(raw, 1000);
    const ok = query(conn);
    raw.calls[0](null, [{ one: 1 }]);
    await expect(ok).resolves.toEqual([{ one: 1 }]);
    jest.advanceTimersByTime(5000);
    expect(raw.destroy).not.toHaveBeenCalled();

    const late = query(conn).catch((e: unknown) => e);
    jest.advanceTimersByTime(1000);
    raw.calls[1](null, 'too late');
    expect(await late).toBeInstanceOf(StatementTimeoutError);
  });

  it('bounds a connection once, however often the pool hands it out', () => {
    const raw = silentConnection();
    const once = boundConnection(raw, 1000).query;
    expect(boundConnection(raw, 1000).query).toBe(once);
  });

  it('settles a wait for a connection that never comes, and gives back one that comes late', async () => {
    jest.useFakeTimers();
    let give: (c: { release(): void }) => void = () => undefined;
    const late = { release: jest.fn() };
    const waiting = settleWithin(new Promise<{ release(): void }>((r) => (give = r)), 500, 'a connection', (c) => c.release());
    jest.advanceTimersByTime(500);
    await expect(waiting).rejects.toBeInstanceOf(StatementTimeoutError);
    give(late);
    await Promise.resolve();
    await Promise.resolve();
    expect(late.release).toHaveBeenCalledTimes(1);
  });

  it('bounds every connection a TypeORM MySQL driver hands out, and the wait for it', async () => {
    jest.useFakeTimers();
    const raw = silentConnection();
    const driver = { obtainMasterConnection: jest.fn(() => Promise.resolve(raw)) };
    boundDataSource({ driver } as unknown as DataSource, 200);
    const conn = (await driver.obtainMasterConnection()) as unknown as ReturnType<typeof silentConnection>;
    const answer = query(conn).catch((e: unknown) => e);
    jest.advanceTimersByTime(200);
    expect(await answer).toBeInstanceOf(StatementTimeoutError);
    expect(raw.destroy).toHaveBeenCalled();
  });
});
