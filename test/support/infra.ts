import { createConnection } from 'mysql2/promise';
import { redisProbe } from './redis-probe';

// MariaDB and Redis run on every development and CI machine. On a laptop without them, the
// suites that need them skip with one line; under CI=true they must be there.

export const MARIADB_ADMIN_URL = process.env.TEST_MARIADB_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = process.env.TEST_REDIS_URL_BASE ?? 'redis://127.0.0.1:6379';

export const isCi = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');

export async function probeMariaDb(): Promise<string | null> {
  try {
    const c = await createConnection({ uri: MARIADB_ADMIN_URL, connectTimeout: 3000 });
    await c.end();
    return null;
  } catch (e) {
    return `MariaDB at ${MARIADB_ADMIN_URL} unreachable: ${(e as Error).message}`;
  }
}

export async function probeRedis(): Promise<string | null> {
  const r = redisProbe(REDIS_URL, 3000);
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (e) {
    return `Redis at ${REDIS_URL} unreachable: ${(e as Error).message}`;
  } finally {
    r.disconnect();
  }
}

/** Set by the global setup: the run's fresh database, or empty when MariaDB is unreachable. */
export const testMariaDbUrl = (): string | undefined => process.env.TEST_MARIADB_URL || undefined;
/** Set by the global setup: Redis URL and this run's key prefix, or empty when unreachable. */
export const testRedisUrl = (): string | undefined => process.env.TEST_REDIS_URL || undefined;
export const testRedisPrefix = (): string => process.env.TEST_REDIS_PREFIX ?? 'chat-test:';

/** `describe` when MariaDB is there, else a skipped block (the global setup printed why). */
export const describeMariaDb = (name: string, fn: () => void): void => (testMariaDbUrl() ? describe : describe.skip)(name, fn);
export const describeRedis = (name: string, fn: () => void): void => (testRedisUrl() ? describe : describe.skip)(name, fn);
