import { BusConfig } from './bus.config';
import { ConfigError, loadConfig } from './load-config';

describe('BusConfig', () => {
  it('defaults to the in-process bus with sane Redis settings', () => {
    const config = loadConfig(BusConfig, {});
    expect(config.enabled).toBe(false);
    expect(config).toMatchObject({ keyPrefix: 'chat:', shardedPubSub: 'auto', commandTimeoutMs: 1000, healthCheckMs: 5000 });
  });

  it('reads every variable', () => {
    const config = loadConfig(BusConfig, {
      REDIS_URL: 'redis://:secret@redis:6379/2',
      REDIS_KEY_PREFIX: 'prod-chat:',
      REDIS_SHARDED_PUBSUB: 'off',
      REDIS_COMMAND_TIMEOUT_MS: '250',
      REDIS_HEALTH_CHECK_MS: '0',
    });
    expect(config.enabled).toBe(true);
    expect(config).toMatchObject({
      redisUrl: 'redis://:secret@redis:6379/2',
      keyPrefix: 'prod-chat:',
      shardedPubSub: 'off',
      commandTimeoutMs: 250,
      healthCheckMs: 0,
    });
  });

  it('takes several seed nodes for a Redis Cluster, and only then', () => {
    const seeds = 'redis://10.0.0.1:6379,redis://10.0.0.2:6379';
    expect(loadConfig(BusConfig, { REDIS_URL: seeds, REDIS_CLUSTER: 'true' })).toMatchObject({ redisUrl: seeds, cluster: true });
    expect(() => loadConfig(BusConfig, { REDIS_URL: seeds })).toThrow('set REDIS_CLUSTER=true');
    expect(() => loadConfig(BusConfig, { REDIS_URL: seeds, REDIS_CLUSTER: 'true', REDIS_SHARDED_PUBSUB: 'off' })).toThrow(
      'cannot be used with REDIS_CLUSTER=true',
    );
  });

  it('names each bad variable and its fix', () => {
    let error: unknown;
    try {
      loadConfig(BusConfig, {
        REDIS_URL: 'localhost:6379',
        REDIS_KEY_PREFIX: 'a{b}',
        REDIS_SHARDED_PUBSUB: 'maybe',
        REDIS_COMMAND_TIMEOUT_MS: 'soon',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('REDIS_URL must look like redis://');
    expect(problems).toContain('REDIS_KEY_PREFIX must not contain spaces or braces');
    expect(problems).toContain('REDIS_SHARDED_PUBSUB must be auto, on or off');
    expect(problems).toContain('REDIS_COMMAND_TIMEOUT_MS must be a whole number');
  });
});
