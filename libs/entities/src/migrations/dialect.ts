import type { QueryRunner } from 'typeorm';

/** Migrations are hand-written SQL; the two supported engines differ in a few words. */
export const isMysql = (q: QueryRunner): boolean => {
  const type = q.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
};
