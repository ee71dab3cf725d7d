import { ConfigError, loadConfig } from './load-config';
import { PushConfig } from './push.config';

describe('PushConfig', () => {
  it('is off by default, with a 3 s delay and previews on', () => {
    const c = loadConfig(PushConfig, {});
    expect(c).toMatchObject({ provider: undefined, delayMs: 3000, preview: true, maxAttempts: 8 });
    expect(c.enabled).toBe(false);
  });

  it('reads a webhook provider', () => {
    const c = loadConfig(PushConfig, { PUSH_PROVIDER: 'webhook', PUSH_WEBHOOK_URL: 'https://hooks.example/p', PUSH_WEBHOOK_SECRET: '0123456789abcdef', PUSH_PREVIEW: 'false' });
    expect(c).toMatchObject({ provider: 'webhook', preview: false });
    expect(c.enabled).toBe(true);
  });

  it.each([
    [{ PUSH_PROVIDER: 'sms' }, /PUSH_PROVIDER must be webhook or gorush/],
    [{ PUSH_PROVIDER: 'webhook', PUSH_WEBHOOK_SECRET: '0123456789abcdef' }, /needs PUSH_WEBHOOK_URL/],
    [{ PUSH_PROVIDER: 'webhook', PUSH_WEBHOOK_URL: 'http://h/p' }, /needs PUSH_WEBHOOK_SECRET/],
    [{ PUSH_PROVIDER: 'gorush' }, /needs PUSH_GORUSH_URL/],
    [{ PUSH_GORUSH_URL: 'gorush:8088' }, /PUSH_GORUSH_URL must be an http/],
    [{ PUSH_SEND_TIMEOUT_MS: '20000', PUSH_LEASE_MS: '30000' }, /at most half of PUSH_LEASE_MS/],
    [{ PUSH_DELAY_MS: 'soon' }, /PUSH_DELAY_MS must be a whole number/],
    [{ PUSH_WEBHOOK_SECRET: 'short' }, /PUSH_WEBHOOK_SECRET is too short/],
  ])('refuses %j, naming the variable and the fix', (env, message) => {
    expect(() => loadConfig(PushConfig, env)).toThrow(ConfigError);
    expect(() => loadConfig(PushConfig, env)).toThrow(message);
  });
});
