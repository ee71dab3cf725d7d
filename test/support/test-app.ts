import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService } from '@app/auth';
import { ChatClock, createApp } from '@app/common';
import { UserRepository, UserSummary } from '@app/database';
import { useChatAdapter } from '../../apps/chat-gateway/src/chat-gateway.module';
import { SuiteModule } from '../../apps/suite/src/suite.module';

export const TEST_JWT_SECRET = 'test-secret-for-e2e-0123456789abcdef';

export interface TestApp {
  app: INestApplication;
  httpUrl: string;
  wsUrl: string;
  /** Adds a user with a fresh phone number and returns it with a valid token. */
  newUser(name?: string): Promise<UserSummary & { token: string }>;
  token(userId: number, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

let phoneCounter = 0;
/** Unique across runs sharing one database and across test files. */
export function freshPhone(): string {
  phoneCounter += 1;
  return `1${String(Date.now() % 1e7).padStart(7, '0')}${String(process.pid % 100).padStart(2, '0')}${String(phoneCounter).padStart(4, '0')}`.slice(0, 20);
}

/**
 * Boots the all-in-one app, wired as in production, on a free loopback port. `env` overrides
 * the configuration (it is read from the environment when the app is created).
 */
export async function startSuite(env: Record<string, string | undefined> = {}, module: unknown = SuiteModule): Promise<TestApp> {
  const saved = { ...process.env };
  Object.assign(process.env, { PORT: '0', JWT_SECRET: TEST_JWT_SECRET, CHAT_DEV_MODE: 'false', LOG_LEVEL: 'error', LOG_FORMAT: 'text', CHAT_RATE_LIMIT_COUNT: '0', ...env });
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  let app: INestApplication;
  try {
    app = await createApp(module, { configure: useChatAdapter }, { logger: ['error'] });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
  } finally {
    process.env = saved;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const tokens = app.get(TokenService);
  const users = app.get(UserRepository);
  const clock = app.get(ChatClock);
  return {
    app,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    token: (userId, ttl) => tokens.sign(userId, ttl),
    async newUser(name?: string) {
      const user = await users.create({ phone: freshPhone(), name, time: clock.wallClock() });
      return { ...user, token: await tokens.sign(user.id) };
    },
    close: () => app.close(),
  };
}

/** A fresh SQLite file for one test file; remove() deletes it. */
export function tempSqlite(): { url: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'chat-test-'));
  return { url: `sqlite:${join(dir, 'chat.sqlite')}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
