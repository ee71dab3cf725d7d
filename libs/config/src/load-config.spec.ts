import { ChatConfig } from './chat.config';
import { CoreConfig } from './core.config';
import { assertConfig, ConfigError, loadConfig } from './load-config';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const core = loadConfig(CoreConfig, { JWT_SECRET: 'a-long-enough-secret' });
    expect(core).toMatchObject({ port: 8080, databaseUrl: 'sqlite:./data/chat.sqlite', timezone: 'Asia/Shanghai', devMode: false });
    const chat = loadConfig(ChatConfig, {});
    expect(chat).toMatchObject({ textMaxLength: 500, heartbeatText: 'heart', legacyUnauthenticated: false });
  });

  it('listens on every interface, or on 127.0.0.1 only in development mode, unless HOST says otherwise', () => {
    expect(loadConfig(CoreConfig, { JWT_SECRET: 'a-long-enough-secret' }).host).toBe('0.0.0.0');
    expect(loadConfig(CoreConfig, { CHAT_DEV_MODE: 'true' }).host).toBe('127.0.0.1');
    expect(loadConfig(CoreConfig, { CHAT_DEV_MODE: 'true', HOST: '' }).host).toBe('127.0.0.1');
    expect(loadConfig(CoreConfig, { CHAT_DEV_MODE: 'true', HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig(CoreConfig, { JWT_SECRET: 'a-long-enough-secret', HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
  });

  it('refuses to start without a secret outside development mode, naming the fix', () => {
    const found = problems(() => loadConfig(CoreConfig, {}));
    expect(found).toEqual([expect.stringMatching(/JWT_SECRET is not set.*CHAT_DEV_MODE=true/)]);
    expect(problems(() => loadConfig(CoreConfig, { CHAT_DEV_MODE: 'true' }))).toEqual([]);
  });

  it('lists every problem at once, each naming its variable', () => {
    const found = problems(() =>
      assertConfig([CoreConfig, ChatConfig], {
        PORT: 'eighty',
        DATABASE_URL: 'postgres://x',
        JWT_SECRET: 'short',
        CHAT_TEXT_MAX_LENGTH: '800',
        CHAT_LEGACY_UNAUTHENTICATED: 'maybe',
      }),
    );
    for (const name of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'CHAT_TEXT_MAX_LENGTH', 'CHAT_LEGACY_UNAUTHENTICATED']) {
      expect(found.some((p) => p.includes(name))).toBe(true);
    }
  });

  it('rejects an unknown time zone', () => {
    expect(problems(() => loadConfig(CoreConfig, { JWT_SECRET: 'a-long-enough-secret', CHAT_TIMEZONE: 'Mars/Base' }))).toEqual([
      expect.stringContaining('CHAT_TIMEZONE'),
    ]);
  });

  it('reads booleans, and an empty value as unset', () => {
    expect(loadConfig(ChatConfig, { CHAT_HEARTBEAT_TEXT: '', CHAT_HEARTBEAT_ENABLED: 'false', CHAT_LEGACY_UNAUTHENTICATED: 'on' })).toMatchObject({
      heartbeatText: 'heart',
      heartbeatEnabled: false,
      legacyUnauthenticated: true,
    });
  });
});
