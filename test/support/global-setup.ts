import 'tsconfig-paths/register';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { isCi, MARIADB_ADMIN_URL, probeMariaDb, probeRedis, REDIS_URL } from './infra';

/**
 * Once per run: a fresh MariaDB database with the migrations applied (dropped in teardown) and a
 * Redis key prefix of its own. Values reach the test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const run = `${Date.now().toString(36)}_${process.pid}`;
  const [dbProblem, redisProblem] = await Promise.all([probeMariaDb(), probeRedis()]);
  const problems = [dbProblem, redisProblem].filter((p): p is string => p !== null);
  if (problems.length && isCi()) throw new Error(`CI=true but test infrastructure is missing: ${problems.join('; ')}`);
  for (const p of problems) process.stdout.write(`\n[skip] ${p}: suites that need it are skipped\n`);

  process.env.TEST_MARIADB_URL = '';
  if (!dbProblem) {
    const name = `chat_test_${run}`;
    const admin = await createConnection({ uri: MARIADB_ADMIN_URL });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const url = `${MARIADB_ADMIN_URL}/${name}`;
    const ds = new DataSource(dataSourceOptions(url, true));
    await ds.initialize();
    await ds.destroy();
    process.env.TEST_MARIADB_URL = url;
    process.env.TEST_MARIADB_DATABASE = name;
  }
  process.env.TEST_REDIS_URL = redisProblem ? '' : REDIS_URL;
  process.env.TEST_REDIS_PREFIX = `chat-test:${run}:`;
}
