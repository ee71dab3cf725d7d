import type { DataSource } from 'typeorm';

/** Runs a write and returns how many rows it changed, the same way on MySQL/MariaDB and SQLite. */
export async function affectedRows(db: DataSource, sql: string, params: unknown[]): Promise<number> {
  const runner = db.createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).affected ?? 0;
  } finally {
    await runner.release();
  }
}
