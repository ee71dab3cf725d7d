import type { RedisOptions } from 'ioredis';
import { RedisConnection, RedisConnectionFactory, RedisConnectionRole } from './redis-connection.factory';

describe('RedisConnectionFactory', () => {
  const factory = new RedisConnectionFactory({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 500 });
  const roles: RedisConnectionRole[] = ['publisher', 'subscriber', 'counter'];

  it('makes every connection fail fast: no offline queue, no retry or resend, bounded commands', () => {
    for (const role of roles) {
      expect(factory.optionsFor(role, 'x')).toMatchObject({
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        commandTimeout: 500,
        lazyConnect: false,
      });
    }
  });

  it('waits at least two seconds for a TCP connection, and longer when commands may take longer', () => {
    expect(factory.optionsFor('publisher', 'x').connectTimeout).toBe(2000);
    const slow = new RedisConnectionFactory({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 5000 });
    expect(slow.optionsFor('publisher', 'x').connectTimeout).toBe(5000);
  });

  it('reconnects with a growing delay of at most two seconds', () => {
    const retry = factory.optionsFor('subscriber', 'x').retryStrategy!;
    expect([1, 2, 5, 20, 1000].map((attempt) => retry(attempt))).toEqual([100, 200, 500, 2000, 2000]);
  });

  it('names the connection and sets what each role needs', () => {
    expect(factory.optionsFor('publisher', 'a:pub')).toMatchObject({ connectionName: 'a:pub', enableAutoPipelining: true });
    expect(factory.optionsFor('counter', 'a:rate-limit')).toMatchObject({ connectionName: 'a:rate-limit', enableAutoPipelining: true });
    const sub = factory.optionsFor('subscriber', 'a:sub');
    expect(sub).toMatchObject({ connectionName: 'a:sub', enableAutoPipelining: false, autoResubscribe: false });
    expect(factory.optionsFor('publisher', 'a:pub').autoResubscribe).toBeUndefined();
  });

  it('hands the finished options to an opener when given one', () => {
    const opened: Array<[RedisConnectionRole, RedisOptions]> = [];
    const fake = { status: 'wait' } as unknown as RedisConnection;
    const withOpener = new RedisConnectionFactory({ url: 'redis://h:1', commandTimeoutMs: 300 }, (role, options) => {
      opened.push([role, options]);
      return fake;
    });
    expect(withOpener.connect('subscriber', 'a:sub')).toBe(fake);
    expect(opened).toEqual([['subscriber', withOpener.optionsFor('subscriber', 'a:sub')]]);
  });

  describe('on a Redis Cluster', () => {
    const cluster = new RedisConnectionFactory({
      url: 'rediss://bus:s%3Acret@10.0.0.1:7000, rediss://10.0.0.2:7001,rediss://node-c',
      cluster: true,
      commandTimeoutMs: 500,
    });

    it('seeds from every URL of the list', () => {
      const { seeds } = cluster.clusterFor('publisher', cluster.optionsFor('publisher', 'x'));
      expect(seeds).toEqual([
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'node-c', port: 6379 },
      ]);
    });

    it('takes user, password and TLS from the first URL for every node', () => {
      const { clusterOptions } = cluster.clusterFor('publisher', cluster.optionsFor('publisher', 'x'));
      expect(clusterOptions.redisOptions).toMatchObject({ username: 'bus', password: 's:cret', tls: {} });
      const plain = new RedisConnectionFactory({ url: 'redis://10.0.0.1:7000', cluster: true, commandTimeoutMs: 500 });
      const { redisOptions } = plain.clusterFor('publisher', plain.optionsFor('publisher', 'x')).clusterOptions;
      expect(redisOptions).toMatchObject({ username: undefined, password: undefined, tls: undefined });
    });

    it('keeps the node connections fail-fast but the cluster-level queue on (its ready check needs it)', () => {
      const { clusterOptions } = cluster.clusterFor('publisher', cluster.optionsFor('publisher', 'p'));
      expect(clusterOptions.enableOfflineQueue).toBe(true);
      expect(clusterOptions.redisOptions).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, connectionName: 'p' });
      expect(clusterOptions.clusterRetryStrategy!(3, new Error('x'))).toBe(300);
    });

    it('gives the subscriber one connection per shard and the senders auto-pipelining', () => {
      const sub = cluster.clusterFor('subscriber', cluster.optionsFor('subscriber', 's')).clusterOptions;
      expect(sub).toMatchObject({ shardedSubscribers: true, enableAutoPipelining: false });
      for (const role of ['publisher', 'counter'] as const) {
        const sender = cluster.clusterFor(role, cluster.optionsFor(role, 'p')).clusterOptions;
        expect(sender).toMatchObject({ shardedSubscribers: false, enableAutoPipelining: true });
      }
    });
  });
});
