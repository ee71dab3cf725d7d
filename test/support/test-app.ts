import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService } from '@app/auth';
import { ChatClock, createApp } from '@app/common';
import { UserRepository, UserSummary } from '@app/database';
import { OpsListener } from '@app/ops';
import { useChatAdapter } from '../../apps/chat-gateway/src/chat-gateway.module';
import { SuiteModule } from '../../apps/suite/src/suite.module';
import { freshPhone, TEST_JWT_SECRET, TEST_OPS_TOKEN } from './test-identity';

export { freshPhone, opsAuth, TEST_JWT_SECRET, TEST_OPS_TOKEN } from './test-identity';

export interface TestApp {
  app: INestApplication;
  httpUrl: string;
  wsUrl: string;
  /** The operations listener, when OPS_PORT is set. */
  opsUrl?: string;
  /** Adds a user with a fresh phone number and returns it with a valid token. */
  newUser(name?: string): Promise<UserSummary & { token: string }>;
  token(userId: number, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Boots the all-in-one app, wired as in production, on a free loopback port. `env` overrides
 * the configuration (it is read from the environment when the app is created).
 */
export async function startSuite(
  env: Record<string, string | undefined> = {},
  module: unknown = SuiteModule,
  configure: (app: INestApplication) => void = useChatAdapter,
): Promise<TestApp> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    CHAT_DEV_MODE: 'false',
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'text',
    // Limits that would throttle a test's bursts; the tests of those limits set them.
    CHAT_RATE_LIMIT_COUNT: '0',
    CHAT_INBOUND_FRAMES_PER_SEC: '0',
    OPS_TOKEN: TEST_OPS_TOKEN,
    ...env,
  });
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  let app: INestApplication;
  try {
    app = await createApp(module, { configure }, { logger: ['error'] });
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
    opsUrl: app.get(OpsListener).url,
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
