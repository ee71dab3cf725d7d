import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { BusMessage, RedisMessageBus, RedisMessageBusOptions } from '@app/bus';
import { describeRedis, testRedisPrefix, testRedisUrl } from '../support/infra';
import { CuttableProxy } from '../support/cuttable-proxy';
import { waitFor } from '../support/wait';
import { describeWithRedisServer, RedisTestServer } from './redis-test-server';

// Two RedisMessageBus instances stand for two gateway replicas; they meet only through Redis.

interface Replica {
  bus: RedisMessageBus;
  received: Array<{ userId: number; message: BusMessage }>;
  resyncs: number;
}

const message = (id: number, to: number, senderId = 1): BusMessage => ({
  type: 'message',
  id,
  senderId,
  to,
  senderName: `user${senderId}`,
  text: `m${id} 你好 🙂`,
  time: '2024-05-27 21:31:56',
});

function replica(name: string, options: Partial<RedisMessageBusOptions> & { url: string; keyPrefix: string }): Replica {
  const bus = new RedisMessageBus({
    instanceId: `${name}-${randomBytes(3).toString('hex')}`,
    commandTimeoutMs: 500,
    shardedPubSub: 'auto',
    healthCheckIntervalMs: 500,
    ...options,
  });
  const r: Replica = { bus, received: [], resyncs: 0 };
  bus.onEvent((userId, msg) => msg.type === 'message' && r.received.push({ userId, message: msg }));
  bus.onResync(() => (r.resyncs += 1));
  return r;
}

const idsFor = (r: Replica, userId: number) => r.received.filter((x) => x.userId === userId).map((x) => x.message.id);

describeRedis('RedisMessageBus against a real Redis', () => {
  const SHARED_REDIS_URL = testRedisUrl()!;
  const keyPrefix = `${testRedisPrefix()}bus:`;
  let a: Replica;
  let b: Replica;
  let admin: Redis;

  beforeEach(async () => {
    a = replica('a', { url: SHARED_REDIS_URL, keyPrefix });
    b = replica('b', { url: SHARED_REDIS_URL, keyPrefix });
    await waitFor('both buses live', () => a.bus.isLive() && b.bus.isLive());
  });

  afterEach(async () => {
    await Promise.all([a.bus.close(), b.bus.close()]);
  });

  beforeAll(() => {
    admin = new Redis(SHARED_REDIS_URL);
  });
  afterAll(async () => {
    await admin.quit();
  });

  it('uses sharded pub/sub on Redis 7 and holds exactly one channel per held user', async () => {
    await a.bus.subscribe(1);
    await b.bus.subscribe(2);
    await b.bus.subscribe(3);
    expect(a.bus.pubSubMode).toBe('sharded');
    const channels = (await admin.call('PUBSUB', 'SHARDCHANNELS', `${keyPrefix}*`)) as string[];
    expect(channels.sort()).toEqual([`${keyPrefix}user:{1}`, `${keyPrefix}user:{2}`, `${keyPrefix}user:{3}`]);
    const counts = (await admin.call('PUBSUB', 'SHARDNUMSUB', `${keyPrefix}user:{2}`)) as Array<string | number>;
    expect(Number(counts[1])).toBe(1);
  });

  it('routes between replicas in both directions, once per holder', async () => {
    await a.bus.subscribe(1);
    await b.bus.subscribe(2);

    await a.bus.publish([2, 1], message(10, 2, 1));
    // Two publishers have no common order; let the first message land before the reply.
    await waitFor('the first message on b', () => b.received.length === 1);
    await b.bus.publish([1, 2], message(11, 1, 2));

    await waitFor('both messages on both sides', () => a.received.length === 2 && b.received.length === 2);
    // Each replica got each message once for its own user: locally for its own publish,
    // through Redis for the peer's, and never its own echo back.
    expect(idsFor(a, 1)).toEqual([10, 11]);
    expect(idsFor(b, 2)).toEqual([10, 11]);
    expect(a.received.find((x) => x.message.id === 11)?.message).toEqual(message(11, 1, 2));
  });

  it('delivers a message for a user nobody holds to no handler', async () => {
    await b.bus.subscribe(2);
    await a.bus.publish([99], message(20, 99));
    // Same publisher connection, same subscriber connection: the marker arrives after the first
    // message would have.
    await a.bus.publish([2], message(21, 2));
    await waitFor('the marker', () => b.received.length >= 1);
    expect(b.received.map((x) => x.message.id)).toEqual([21]);
    expect(a.received).toEqual([]);
  });

  it('stops delivering after unsubscribe', async () => {
    await b.bus.subscribe(2);
    await b.bus.subscribe(3);
    await a.bus.publish([2], message(30, 2));
    await waitFor('first message', () => b.received.length === 1);

    await b.bus.unsubscribe(2);
    await a.bus.publish([2], message(31, 2));
    await a.bus.publish([3], message(32, 3));
    await waitFor('the marker', () => idsFor(b, 3).length === 1);
    expect(idsFor(b, 2)).toEqual([30]);
    const channels = (await admin.call('PUBSUB', 'SHARDCHANNELS', `${keyPrefix}*`)) as string[];
    expect(channels).toEqual([`${keyPrefix}user:{3}`]);
  });

  it('preserves order per user over many messages from one replica', async () => {
    await b.bus.subscribe(2);
    await b.bus.subscribe(3);
    const count = 2000;
    const sends: Array<Promise<void>> = [];
    // Fired without awaiting each one, as a busy gateway would.
    for (let id = 1; id <= count; id++) sends.push(a.bus.publish([id % 2 ? 2 : 3], message(id, id % 2 ? 2 : 3)));
    await Promise.all(sends);
    await waitFor('every message', () => b.received.length === count);
    const odd = Array.from({ length: count / 2 }, (_, i) => 2 * i + 1);
    expect(idsFor(b, 2)).toEqual(odd);
    expect(idsFor(b, 3)).toEqual(odd.map((id) => id + 1));
  });

  it('interoperates on classic SUBSCRIBE/PUBLISH when sharded pub/sub is turned off', async () => {
    const c = replica('c', { url: SHARED_REDIS_URL, keyPrefix, shardedPubSub: 'off' });
    const d = replica('d', { url: SHARED_REDIS_URL, keyPrefix, shardedPubSub: 'off' });
    try {
      await waitFor('classic buses live', () => c.bus.isLive() && d.bus.isLive());
      await d.bus.subscribe(5);
      await c.bus.publish([5], message(50, 5));
      await waitFor('classic delivery', () => d.received.length === 1);
      expect(c.bus.pubSubMode).toBe('classic');
      expect(d.received[0]).toEqual({ userId: 5, message: message(50, 5) });
      const channels = (await admin.call('PUBSUB', 'CHANNELS', `${keyPrefix}*`)) as string[];
      expect(channels).toEqual([`${keyPrefix}user:{5}`]);
    } finally {
      await Promise.all([c.bus.close(), d.bus.close()]);
    }
  });
});

describeWithRedisServer('RedisMessageBus when its Redis dies and comes back', () => {
  let server: RedisTestServer;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });
  afterAll(async () => {
    await a?.bus.close();
    await b?.bus.close();
    await server?.kill();
  });

  it('goes not-live, fails fast, re-subscribes, fires onResync and delivers again', async () => {
    const keyPrefix = `fault:${randomBytes(4).toString('hex')}:`;
    a = replica('a', { url: server.url, keyPrefix });
    b = replica('b', { url: server.url, keyPrefix });
    await waitFor('both buses live', () => a.bus.isLive() && b.bus.isLive());
    await a.bus.subscribe(1);
    await b.bus.subscribe(2);
    await a.bus.publish([2], message(1, 2));
    await waitFor('delivery before the fault', () => b.received.length === 1);

    await server.kill();
    await waitFor('both buses not live', () => !a.bus.isLive() && !b.bus.isLive());

    // The caller's path gets an error at once instead of a queue that waits for Redis, and
    // local holders still get the message.
    await expect(a.bus.publish([2, 1], message(2, 2))).rejects.toThrow(/unavailable/);
    expect(idsFor(a, 1)).toEqual([2]);
    // Subscribing while away is refused too, but remembered for the reconnect.
    await expect(a.bus.subscribe(3)).rejects.toThrow(/unavailable/);
    await expect(b.bus.subscribe(4)).rejects.toThrow(/unavailable/);
    expect(a.resyncs + b.resyncs).toBe(0);

    await server.restart();
    await waitFor('both buses live again', () => a.bus.isLive() && b.bus.isLive(), 15_000);
    await waitFor('onResync on both', () => a.resyncs >= 1 && b.resyncs >= 1);
    expect(a.bus.reconnects).toBe(1);

    // Every user held before and during the outage is subscribed on the new server.
    const admin = new Redis(server.url);
    try {
      const channels = (await admin.call('PUBSUB', 'SHARDCHANNELS', `${keyPrefix}*`)) as string[];
      expect(channels.sort()).toEqual([1, 2, 3, 4].map((u) => `${keyPrefix}user:{${u}}`));
    } finally {
      await admin.quit();
    }

    await a.bus.publish([2, 4], message(3, 2));
    await b.bus.publish([1, 3], message(4, 1));
    await waitFor('delivery after the restart', () => b.received.length === 3 && a.received.length === 3);
    expect(idsFor(b, 2)).toEqual([1, 3]);
    expect(idsFor(b, 4)).toEqual([3]);
    expect(idsFor(a, 1)).toEqual([2, 4]);
    expect(idsFor(a, 3)).toEqual([4]);
  });
});

describeRedis('RedisMessageBus when one replica alone loses Redis', () => {
  let proxy: CuttableProxy;
  let a: Replica;
  let b: Replica;

  afterAll(async () => {
    await a?.bus.close();
    await b?.bus.close();
    await proxy?.close();
  });

  it('makes the replica that never lost Redis re-read what the cut-off one could not publish', async () => {
    const keyPrefix = `${testRedisPrefix()}partition:`;
    proxy = await CuttableProxy.start(testRedisUrl()!);
    a = replica('a', { url: proxy.url, keyPrefix });
    b = replica('b', { url: testRedisUrl()!, keyPrefix });
    await waitFor('both buses live', () => a.bus.isLive() && b.bus.isLive());
    await a.bus.subscribe(1);
    await b.bus.subscribe(2);

    await proxy.cut();
    await waitFor('a not live', () => !a.bus.isLive());
    // Stored by a's gateway while it is cut off: its own sockets get it, b's cannot.
    await expect(a.bus.publish([2, 1], message(5, 2))).rejects.toThrow(/unavailable/);
    expect(idsFor(a, 1)).toEqual([5]);
    expect(b.bus.isLive()).toBe(true);
    expect(b.resyncs).toBe(0);

    await proxy.restore();
    await waitFor('a live again', () => a.bus.isLive(), 15_000);
    // b never lost its subscriptions, yet learns that user 2 may have missed something.
    await waitFor('b told to re-read', () => b.resyncs === 1);
    expect(a.resyncs).toBe(1);
    expect(b.received).toEqual([]);

    await a.bus.publish([2], message(6, 2));
    await waitFor('delivery after the partition', () => b.received.length === 1);
    expect(idsFor(b, 2)).toEqual([6]);
  });
});
