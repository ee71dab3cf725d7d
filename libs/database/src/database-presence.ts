import { createConnection } from 'mysql2/promise';

/** The database DATABASE_URL names does not exist, and may not be created here: one line to show. */
export class MissingDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingDatabaseError';
  }
}

const ER_BAD_DB_ERROR = 1049;
const CHARSET = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';

/** The statement that creates the database the suite expects (utf8mb4, so emoji survive). */
export function createDatabaseSql(name: string): string {
  return `CREATE DATABASE IF NOT EXISTS \`${name.replace(/`/g, '``')}\` ${CHARSET}`;
}

/**
 * Makes sure the MySQL/MariaDB database of `databaseUrl` exists before TypeORM connects to it
 * (which would retry for ten seconds with a stack trace each time, then fail). A missing one is
 * created when `create` is true, else reported by a MissingDatabaseError naming the database and
 * the statement that creates it. Returns whether it created it. SQLite files need nothing;
 * other failures (the server down, a wrong password) are left to the connection's own retries
 * and errors.
 */
export async function ensureDatabase(databaseUrl: string, create: boolean): Promise<boolean> {
  if (databaseUrl.startsWith('sqlite:')) return false;
  const url = new URL(databaseUrl.replace(/^mariadb:/, 'mysql:'));
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new MissingDatabaseError(`DATABASE_URL names no database: use mysql://user:pass@${url.host}/chat`);
  try {
    const probe = await createConnection({ uri: url.toString(), connectTimeout: 5000 });
    await probe.end();
    return false;
  } catch (e) {
    if ((e as { errno?: number }).errno !== ER_BAD_DB_ERROR) return false;
  }
  const where = url.host;
  if (!create) {
    throw new MissingDatabaseError(
      `database "${name}" does not exist on ${where}: create it with  ${createDatabaseSql(name)};  ` +
        `(e.g. mysql -h ${url.hostname} -P ${url.port || 3306} -u root -p -e '${createDatabaseSql(name)}'), ` +
        'or run migrate --create-database (or set DATABASE_CREATE=true) as a user allowed to create it',
    );
  }
  const server = new URL(url.toString());
  server.pathname = '/';
  try {
    const admin = await createConnection({ uri: server.toString(), connectTimeout: 5000 });
    try {
      await admin.query(createDatabaseSql(name));
    } finally {
      await admin.end();
    }
  } catch (e) {
    throw new MissingDatabaseError(
      `database "${name}" does not exist on ${where} and could not be created (${(e as Error).message}): ` +
        `run  ${createDatabaseSql(name)};  as a user allowed to`,
    );
  }
  return true;
}

/**
 * For an app's boot: a missing database is one line with its fix and exit code 1, not ten retries
 * with a stack trace each (created instead when DATABASE_CREATE allows it).
 */
export async function checkDatabaseAtBoot(core: { databaseUrl: string; createDatabase: boolean }, app: string): Promise<void> {
  try {
    await ensureDatabase(core.databaseUrl, core.createDatabase);
  } catch (e) {
    if (e instanceof MissingDatabaseError) {
      process.stderr.write(`${app} cannot start: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
