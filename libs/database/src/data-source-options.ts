import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PoolOptions } from 'mysql2';
import type { DataSourceOptions } from 'typeorm';
import { ENTITIES, MIGRATIONS } from '@app/entities';

/**
 * One DATABASE_URL, two engines: mysql:// (MySQL 8, MariaDB 10.11) for deployments, sqlite:<file>
 * for the embedded default. Schema comes from migrations only, never `synchronize`.
 */
export function dataSourceOptions(databaseUrl: string, runMigrations = true, poolSize = 16): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, migrationsRun: runMigrations, synchronize: false, logging: false } as const;
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: file,
      // WAL lets the history reads run beside the gateway's writes.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    connectorPackage: 'mysql2',
    url: mysqlUrl(databaseUrl),
    charset: MYSQL_CHARSET,
    // DATETIME columns hold wall-clock strings in the chat zone: read them back untouched.
    dateStrings: true,
    supportBigNumbers: true,
    // A stalled database must not queue callers without bound: past the queue limit a call
    // fails at once instead of waiting for a connection.
    extra: { connectionLimit: poolSize, waitForConnections: true, queueLimit: 1000, connectTimeout: 5000 },
  };
}

const MYSQL_CHARSET = 'utf8mb4_unicode_ci';
const mysqlUrl = (databaseUrl: string) => databaseUrl.replace(/^mariadb:/, 'mysql:');

/** mysql2 options for a pool of one's own on the same database, read the same way as TypeORM's. */
export function mysqlPoolOptions(databaseUrl: string): PoolOptions {
  return { uri: mysqlUrl(databaseUrl), charset: MYSQL_CHARSET, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, connectTimeout: 5000 };
}

