import type { DataSource } from 'typeorm';

/** The few words in which MySQL/MariaDB and SQLite differ, for the repositories' named queries. */
export interface SqlDialect {
  readonly mysql: boolean;
  /** Row lock for read-then-write in a transaction (SQLite locks the whole database anyway). */
  readonly forUpdate: string;
  readonly insertIgnore: string;
  least(a: string, b: string): string;
  greatest(a: string, b: string): string;
  /** Upsert tail that overwrites `columns` from the inserted row on a key conflict on `key`. */
  upsert(key: string, columns: string[]): string;
}

export function sqlDialect(dataSource: DataSource): SqlDialect {
  const mysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  return mysql
    ? {
        mysql,
        forUpdate: ' FOR UPDATE',
        insertIgnore: 'INSERT IGNORE',
        least: (a, b) => `LEAST(${a}, ${b})`,
        greatest: (a, b) => `GREATEST(${a}, ${b})`,
        upsert: (_key, columns) => ` ON DUPLICATE KEY UPDATE ${columns.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
      }
    : {
        mysql,
        forUpdate: '',
        insertIgnore: 'INSERT OR IGNORE',
        least: (a, b) => `MIN(${a}, ${b})`,
        greatest: (a, b) => `MAX(${a}, ${b})`,
        upsert: (key, columns) => ` ON CONFLICT(${key}) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
      };
}
