import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { ENTITIES, MIGRATIONS } from '@app/entities';

/**
 * One DATABASE_URL, two engines: mysql:// (MySQL 8, MariaDB 10.11) for deployments, sqlite:<file>
 * for the embedded default. Schema comes from migrations only, never `synchronize`.
 */
export function dataSourceOptions(databaseUrl: string, runMigrations = true): DataSourceOptions {
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
  const url = databaseUrl.replace(/^mariadb:/, 'mysql:');
  return {
    ...common,
    type: 'mysql',
    connectorPackage: 'mysql2',
    url,
    charset: 'utf8mb4_unicode_ci',
    // DATETIME columns hold wall-clock strings in the chat zone: read them back untouched.
    dateStrings: true,
    supportBigNumbers: true,
    extra: { connectionLimit: 10, waitForConnections: true, connectTimeout: 5000 },
  };
}

export const isMysqlOptions = (o: DataSourceOptions): boolean => o.type === 'mysql' || o.type === 'mariadb';
