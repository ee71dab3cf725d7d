import { FAULT_KINDS, soakSettingsFromEnv } from './soak-settings';

describe('soakSettingsFromEnv', () => {
  it('defaults to three minutes, about 300 users and every fault kind', () => {
    const s = soakSettingsFromEnv({});
    expect(s).toMatchObject({ durationMs: 180_000, users: 300, faults: [...FAULT_KINDS], entry: 'dist', storeTimeoutMs: 3000, statementTimeoutMs: 10_000, stallMaxMs: 30_000 });
    expect(s.faults).toEqual(expect.arrayContaining(['db-stall', 'ping-flood', 'half-open']));
    expect(s.seed).toBeGreaterThan(0);
  });

  it('reads every SOAK_ variable', () => {
    const s = soakSettingsFromEnv({
      SOAK_DURATION_MS: '30000',
      SOAK_USERS: '60',
      SOAK_RATE: '50',
      SOAK_SEED: '42',
      SOAK_FAULTS: 'db-cut, flood',
      SOAK_GATEWAY: 'source',
      SOAK_KEEP_DATABASE: 'true',
      SOAK_REPLICA_ENV: 'CHAT_SHUTDOWN_GRACE_MS=5000,LOG_LEVEL=log',
      SOAK_STATEMENT_TIMEOUT_MS: '3000',
      SOAK_STALL_MAX_MS: '8000',
      SOAK_RESUME_MS: '20000',
      SOAK_RSS_LIMIT_MB: '128',
      SOAK_REPLICA_PORTS: '19101,19102',
      SOAK_PROXY_PORTS: '19111, 19112',
      SOAK_DB_PROXY_PORT: '19120',
      SOAK_REDIS_PORT: '19130',
      SOAK_PROXIED_SHARE: '0.5',
    });
    expect(s).toMatchObject({ statementTimeoutMs: 3000, stallMaxMs: 8000, resumeWithinMs: 20_000, rssGrowthLimitMb: 128, proxiedShare: 0.5 });
    expect(s.ports).toEqual({ replicas: [19101, 19102], deviceProxies: [19111, 19112], databaseProxy: 19120, redis: 19130 });
    expect(s).toMatchObject({ durationMs: 30_000, users: 60, rate: 50, seed: 42, faults: ['db-cut', 'flood'], entry: 'source', keepDatabase: true });
    expect(s.replicaEnv).toEqual({ CHAT_SHUTDOWN_GRACE_MS: '5000', LOG_LEVEL: 'log' });
    expect(soakSettingsFromEnv({ SOAK_FAULTS: 'none' }).faults).toEqual([]);
  });

  it('refuses wrong values, naming the variable', () => {
    expect(() => soakSettingsFromEnv({ SOAK_DURATION_MS: '10 minutes' })).toThrow(/SOAK_DURATION_MS/);
    expect(() => soakSettingsFromEnv({ SOAK_USERS: '1000000' })).toThrow(/SOAK_USERS must be a whole number from 10 to 5000/);
    expect(() => soakSettingsFromEnv({ SOAK_FAULTS: 'db-cut,earthquake' })).toThrow(/unknown fault kind\(s\) earthquake/);
    expect(() => soakSettingsFromEnv({ SOAK_GATEWAY: 'docker' })).toThrow(/SOAK_GATEWAY/);
    expect(() => soakSettingsFromEnv({ SOAK_REPLICA_ENV: 'oops' })).toThrow(/SOAK_REPLICA_ENV/);
    expect(() => soakSettingsFromEnv({ SOAK_REPLICA_PORTS: '19101' })).toThrow(/SOAK_REPLICA_PORTS must be 2 port/);
    expect(() => soakSettingsFromEnv({ SOAK_DB_PROXY_PORT: '70000' })).toThrow(/SOAK_DB_PROXY_PORT/);
    expect(() => soakSettingsFromEnv({ SOAK_STALL_MAX_MS: '500' })).toThrow(/SOAK_STALL_MAX_MS/);
  });
});
