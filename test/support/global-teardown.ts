import { createConnection } from 'mysql2/promise';
import Redis from 'ioredis';
import { MARIADB_ADMIN_URL } from './infra';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.TEST_MARIADB_DATABASE;
  if (name) {
    const admin = await createConnection({ uri: MARIADB_ADMIN_URL });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
  const url = process.env.TEST_REDIS_URL;
  const prefix = process.env.TEST_REDIS_PREFIX;
  if (url && prefix) {
    const r = new Redis(url);
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    r.disconnect();
  }
}
