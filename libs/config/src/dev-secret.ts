import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CoreConfig } from './core.config';

export const DEV_SECRET_FILE = './data/dev-jwt-secret';

/**
 * In development mode without JWT_SECRET, a random secret is generated once and kept under
 * ./data so that tokens minted by the admin CLI keep working across restarts.
 */
export function resolveDevSecret(config: CoreConfig): CoreConfig {
  if (config.jwtSecret || !config.devMode) return config;
  if (!existsSync(DEV_SECRET_FILE)) {
    mkdirSync(dirname(DEV_SECRET_FILE), { recursive: true });
    writeFileSync(DEV_SECRET_FILE, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  config.jwtSecret = readFileSync(DEV_SECRET_FILE, 'utf8').trim();
  return config;
}
