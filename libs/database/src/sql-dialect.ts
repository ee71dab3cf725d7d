import { isMysqlOptions } from '@app/entities';
import type { DataSource } from 'typeorm';

/** How an upsert combines the existing column with the inserted row's value. */
export type UpsertMerge = 'add' | 'max' | 'min' | 'set';

/** The few words in which MySQL/MariaDB and SQLite differ, for the repositories' named queries. */
export interface SqlDialect {
  readonly mysql: boolean;
  /** Upsert tail: on a conflict on `key`, each column merges the inserted value as told. */
  upsert(key: string, merges: Record<string, UpsertMerge>): string;
  /** The larger of two values (GREATEST on MySQL, the two-argument MAX on SQLite). */
  greatest(a: string, b: string): string;
}

/** The `?, ?, …` of an `IN (…)` list, one per value. */
export const placeholders = (values: readonly unknown[]): string => values.map(() => '?').join(', ');

export function sqlDialect(dataSource: DataSource): SqlDialect {
  const mysql = isMysqlOptions(dataSource.options);
  const merge = (column: string, how: UpsertMerge, inserted: string) =>
    how === 'add'
      ? `${column} = ${column} + ${inserted}`
      : how === 'max'
        ? `${column} = ${mysql ? 'GREATEST' : 'MAX'}(${column}, ${inserted})`
        : how === 'min'
          ? `${column} = ${mysql ? 'LEAST' : 'MIN'}(${column}, ${inserted})`
          : `${column} = ${inserted}`;
  return mysql
    ? {
        mysql,
        upsert: (_key, merges) =>
          ` ON DUPLICATE KEY UPDATE ${Object.entries(merges)
            .map(([c, how]) => merge(c, how, `VALUES(${c})`))
            .join(', ')}`,
        greatest: (a, b) => `GREATEST(${a}, ${b})`,
      }
    : {
        mysql,
        upsert: (key, merges) =>
          ` ON CONFLICT(${key}) DO UPDATE SET ${Object.entries(merges)
            .map(([c, how]) => merge(c, how, `excluded.${c}`))
            .join(', ')}`,
        greatest: (a, b) => `MAX(${a}, ${b})`,
      };
}
