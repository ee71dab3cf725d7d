import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CoreConfig } from './core.config';

const ids = new Map<string, string>();

/**
 * This process's name in logs and between replicas: `<INSTANCE_ID or host name>:<pid>:<random>`,
 * the same on every call for the same configured name. The bus skips messages carrying it as its own
 * echo and socket ids start with it, so it must never be another process's: the random suffix
 * tells apart replicas configured with the same INSTANCE_ID, or both pid 1 in containers.
 */
export function processInstanceId(core: Pick<CoreConfig, 'instanceId'>): string {
  const name = core.instanceId ?? hostname();
  let id = ids.get(name);
  if (!id) {
    id = `${name}:${process.pid}:${randomBytes(3).toString('hex')}`;
    ids.set(name, id);
  }
  return id;
}
