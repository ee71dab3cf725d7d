import type { QueryRunner } from 'typeorm';

/** Whether a connection's options are MySQL's or MariaDB's (not SQLite's): the one place this is decided. */
export const isMysqlOptions = (options: { type: string }): boolean => options.type === 'mysql' || options.type === 'mariadb';

/** Migrations are hand-written SQL; the two supported engines differ in a few words. */
export const isMysql = (q: QueryRunner): boolean => isMysqlOptions(q.connection.options);
