import type { DataSource } from 'typeorm';

/** The few words in which MySQL/MariaDB and SQLite differ, for the repositories' named queries. */
export interface SqlDialect {
  readonly mysql: boolean;
  /** Upsert tail that adds the inserted row's `column` to the existing one on a conflict on `key`. */
  increment(key: string, column: string): string;
}

export function sqlDialect(dataSource: DataSource): SqlDialect {
  const mysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  return mysql
    ? {
        mysql,
        increment: (_key, column) => ` ON DUPLICATE KEY UPDATE ${column} = ${column} + VALUES(${column})`,
      }
    : {
        mysql,
        increment: (key, column) => ` ON CONFLICT(${key}) DO UPDATE SET ${column} = ${column} + excluded.${column}`,
      };
}
