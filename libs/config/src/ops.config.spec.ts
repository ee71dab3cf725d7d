import { CoreConfig } from './core.config';
import { ConfigError, loadConfig } from './load-config';
import { OpsConfig } from './ops.config';

describe('OpsConfig', () => {
  it('has neither a port nor a token by default', () => {
    expect(loadConfig(OpsConfig, {})).toMatchObject({ port: undefined, token: undefined });
  });

  it('reads both', () => {
    expect(loadConfig(OpsConfig, { OPS_PORT: '9464', OPS_TOKEN: 'a-long-enough-ops-token' })).toMatchObject({
      port: 9464,
      token: 'a-long-enough-ops-token',
    });
  });

  it.each([
    [{ OPS_PORT: 'nine' }, /OPS_PORT must be a whole number/],
    [{ OPS_PORT: '70000' }, /OPS_PORT must be between 0 and 65535/],
    [{ OPS_TOKEN: 'short' }, /OPS_TOKEN is too short.*openssl rand/],
    [{ OPS_PORT: '8080' }, /OPS_PORT \(8080\) must differ from PORT/],
    [{ OPS_PORT: '9000', PORT: '9000' }, /must differ from PORT/],
  ])('refuses %j, naming the variable and the fix', (env, message) => {
    expect(() => loadConfig(OpsConfig, env)).toThrow(ConfigError);
    expect(() => loadConfig(OpsConfig, env)).toThrow(message);
  });

  it('takes OPS_PORT=0 (any free port) beside any PORT', () => {
    expect(loadConfig(OpsConfig, { OPS_PORT: '0', PORT: '0' }).port).toBe(0);
  });
});

describe('CoreConfig clock skew', () => {
  const env = { JWT_SECRET: 'a-long-enough-secret' };
  it('allows 60 s by default, and is bounded', () => {
    expect(loadConfig(CoreConfig, env).jwtClockSkewSeconds).toBe(60);
    expect(loadConfig(CoreConfig, { ...env, JWT_CLOCK_SKEW_SECONDS: '0' }).jwtClockSkewSeconds).toBe(0);
    expect(() => loadConfig(CoreConfig, { ...env, JWT_CLOCK_SKEW_SECONDS: '86400' })).toThrow(/JWT_CLOCK_SKEW_SECONDS must be at most 3600/);
    expect(() => loadConfig(CoreConfig, { ...env, JWT_CLOCK_SKEW_SECONDS: 'a minute' })).toThrow(/JWT_CLOCK_SKEW_SECONDS must be a whole number/);
  });
});
