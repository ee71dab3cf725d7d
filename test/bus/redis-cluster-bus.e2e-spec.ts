import { randomBytes } from 'node:crypto';
import { BusMessage, RedisMessageBus } from '@app/bus';
import { BusConfig, ChatConfig } from '@app/config';
import { RateLimiter } from '../../apps/chat-gateway/src/sending/rate-limiter.service';
import { awayFromRateWindowEdge } from '../support/rate-window';
import { sleep, waitFor } from '../support/wait';
import { describeWithRedisServer, RedisClusterNode, RedisTestCluster } from './redis-test-server';

// Two replicas on a three-shard Redis Cluster: each user's channel lives on the shard owning its
// hash slot, so routing must work across shards and survive one shard going down.

interface Replica {
  bus: RedisMessageBus;
  received: Array<{ userId: number; id: number }>;
  resyncs: number;
}

const message = (id: number, to: number): BusMessage => ({
  type: 'message',
  id,
  senderId: 999,
  to,
  senderName: 'sender',
  text: `m${id}`,
  time: '2024-05-27 21:31:56',
});

describeWithRedisServer('RedisMessageBus on a Redis Cluster', () => {
  let cluster: RedisTestCluster;
  const replicas: Replica[] = [];
  const keyPrefix = `cluster:${randomBytes(3).toString('hex')}:`;

  const replica = (name: string): Replica => {
    const bus = new RedisMessageBus({
      url: cluster.url,
      cluster: true,
      keyPrefix,
      instanceId: `${name}-${randomBytes(3).toString('hex')}`,
      commandTimeoutMs: 500,
      shardedPubSub: 'auto',
      healthCheckIntervalMs: 500,
    });
    const r: Replica = { bus, received: [], resyncs: 0 };
    bus.onEvent((userId, m) => m.type === 'message' && r.received.push({ userId, id: m.id }));
    bus.onResync(() => (r.resyncs += 1));
    replicas.push(r);
    return r;
  };

  beforeAll(async () => {
    cluster = await RedisTestCluster.start();
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas) await r.bus.close();
    await cluster?.stop();
  });

  it('routes per user across shards and recovers when a shard restarts', async () => {
    const a = replica('a');
    const b = replica('b');
    // Right after connecting, ioredis' cluster client may drop and rebuild its node connections
    // once as it learns the slot map (the bus is briefly not live); start once that has passed.
    let liveSince = 0;
    await waitFor('both buses steadily live', () => {
      if (!a.bus.isLive() || !b.bus.isLive()) liveSince = 0;
      else liveSince ||= Date.now();
      return liveSince > 0 && Date.now() - liveSince >= 1000;
    });
    expect(b.bus.pubSubMode).toBe('sharded');

    // One user per shard, found from the cluster's own slot map.
    const owners = new Map<RedisClusterNode, number>();
    for (let userId = 1; owners.size < cluster.nodes.length && userId < 200; userId++) {
      const node = await cluster.nodeFor(b.bus.channelFor(userId));
      if (!owners.has(node)) owners.set(node, userId);
    }
    const users = [...owners.values()];
    expect(users).toHaveLength(3);
    for (const userId of users) await b.bus.subscribe(userId);

    for (const [i, userId] of users.entries()) await a.bus.publish([userId], message(i + 1, userId));
    await waitFor('a message on every shard', () => b.received.length === users.length);
    // Different shards, different connections: no order across users, only within one.
    expect([...b.received].sort((x, y) => x.id - y.id)).toEqual(users.map((userId, i) => ({ userId, id: i + 1 })));

    // Subscribing on new shards is not an outage: nobody was asked to re-read.
    expect(a.resyncs + b.resyncs).toBe(0);
    expect(a.received).toEqual([]);

    // Take down the shard of the first user and bring it back.
    const victim = [...owners.keys()][0];
    await victim.kill();
    await waitFor('b notices the lost shard', () => !b.bus.isLive());
    await victim.start();
    await cluster.waitHealthy();
    await waitFor('b live again', () => b.bus.isLive(), 20_000);
    await waitFor('b asked to re-read', () => b.resyncs >= 1);

    b.received.length = 0;
    await waitFor('a can publish again', async () => {
      try {
        await a.bus.publish([users[0]], message(100, users[0]));
        return true;
      } catch {
        return false;
      }
    });
    for (const [i, userId] of users.slice(1).entries()) await a.bus.publish([userId], message(101 + i, userId));
    await waitFor('delivery on every shard after the restart', () => b.received.length >= users.length);
    expect(b.received.map((r) => r.userId).sort()).toEqual([...users].sort());
  }, 60_000);

  it('comes back after its cluster client was torn down again and again while reconnecting', async () => {
    const a = replica('chaos-a');
    const b = replica('chaos-b');
    await waitFor('both buses live', () => a.bus.isLive() && b.bus.isLive(), 20_000);
    const users: number[] = [];
    for (let userId = 300; users.length < 6; userId++) users.push(userId);
    for (const userId of users) await b.bus.subscribe(userId);

    // What ioredis does to itself after a failed ready check, and the bus after a failed ping:
    // disconnect(true) on the subscriber client, here 25 times at random moments. Some land while
    // a shard connection is half open, which leaves ioredis' shard subscriber group wedged for
    // good; the bus must notice and start over with a fresh client.
    const subscriberClient = () => (b.bus as unknown as { subscriber: { disconnect(reconnect: boolean): void } }).subscriber;
    for (let i = 0; i < 25; i++) {
      subscriberClient().disconnect(true);
      await sleep(Math.random() * 300);
    }

    await waitFor('b live again', () => b.bus.isLive(), 30_000);
    await waitFor('b asked to re-read', () => b.resyncs >= 1);
    b.received.length = 0;
    for (const [i, userId] of users.entries()) await a.bus.publish([userId], message(500 + i, userId));
    await waitFor('every held user reachable again', () => b.received.length >= users.length);
    expect(b.received.map((r) => r.userId).sort()).toEqual([...users].sort());
  }, 90_000);

  it('counts the gateway rate limit on the cluster, shared by two replicas', async () => {
    const chat = Object.assign(new ChatConfig(), { rateLimitCount: 5, rateLimitWindowSec: 60 });
    const bus = Object.assign(new BusConfig(), { redisUrl: cluster.url, cluster: true, keyPrefix });
    const limiters = [new RateLimiter(chat, bus), new RateLimiter(chat, bus)];
    try {
      // Until the cluster client is ready a limiter counts locally, which this test would see.
      await waitFor('rate-limit clients ready', () => limiters.every((l) => l.countsAcrossReplicas), 20_000);
      const answers: boolean[] = [];
      await awayFromRateWindowEdge(60, 10_000);
      for (let i = 0; i < 4; i++) for (const l of limiters) answers.push(await l.admit(4242));
      expect(answers.filter(Boolean)).toHaveLength(5);
      expect(answers.slice(0, 5).every(Boolean)).toBe(true);
      await expect(Promise.resolve(limiters[1].admit(4343))).resolves.toBe(true);
    } finally {
      for (const l of limiters) l.onApplicationShutdown();
    }
  });
});
