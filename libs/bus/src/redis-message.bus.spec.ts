import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { BusEvent, BusMessage } from './message-bus';
import { RedisConnectionRole } from './redis-connection.factory';
import { BusUnavailableError, RedisMessageBus, RedisMessageBusOptions } from './redis-message.bus';

// A stand-in for one ioredis connection: records commands, lets the spec drive its state.
class FakeConnection extends EventEmitter {
  status = 'connecting';
  readonly sent: Array<[string, ...string[]]> = [];
  knowsSharded = true;
  failNext = false;
  holdSubscribes = false;
  /** Every (s)subscribe rejects with this, as ioredis does when its shard subscribers are gone. */
  subscribeError: string | undefined;
  private readonly held: Array<() => void> = [];

  constructor(readonly options: RedisOptions) {
    super();
  }

  goReady(): void {
    this.status = 'ready';
    this.emit('ready');
  }

  drop(): void {
    this.status = 'reconnecting';
    this.emit('close');
  }

  releaseSubscribes(): void {
    for (const release of this.held.splice(0)) release();
  }

  call(...args: string[]): Promise<unknown> {
    this.sent.push(['call', ...args]);
    return Promise.resolve(this.knowsSharded ? [['spublish']] : [null]);
  }

  spublish(channel: string, payload: string) {
    return this.record('spublish', channel, payload);
  }
  publish(channel: string, payload: string) {
    return this.record('publish', channel, payload);
  }
  ssubscribe(...channels: string[]) {
    return this.subscribeLike('ssubscribe', channels);
  }
  subscribe(...channels: string[]) {
    return this.subscribeLike('subscribe', channels);
  }
  sunsubscribe(...channels: string[]) {
    return this.record('sunsubscribe', ...channels);
  }
  unsubscribe(...channels: string[]) {
    return this.record('unsubscribe', ...channels);
  }
  ping() {
    return this.record('ping');
  }
  quit() {
    this.status = 'end';
    return Promise.resolve('OK');
  }
  disconnect(reconnect = false) {
    this.status = reconnect ? 'reconnecting' : 'end';
    this.emit('close');
  }

  private subscribeLike(command: string, channels: string[]): Promise<unknown> {
    if (this.subscribeError) {
      this.sent.push([command, ...channels]);
      return Promise.reject(new Error(this.subscribeError));
    }
    if (!this.holdSubscribes) return this.record(command, ...channels);
    this.sent.push([command, ...channels]);
    return new Promise((resolve) => this.held.push(() => resolve(channels.length)));
  }

  private record(command: string, ...args: string[]): Promise<unknown> {
    this.sent.push([command, ...args]);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('Command timed out'));
    }
    return Promise.resolve(1);
  }
}

const message = (id: number, overrides: Partial<BusMessage> = {}): BusMessage => ({
  type: 'message',
  id,
  senderId: 1,
  to: 2,
  senderName: 'alice',
  text: `hello ${id}`,
  time: '2024-01-02 03:04:05',
  ...overrides,
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

function makeBus(overrides: Partial<RedisMessageBusOptions> = {}) {
  const connections: Partial<Record<RedisConnectionRole, FakeConnection>> = {};
  const subscribers: FakeConnection[] = [];
  const bus = new RedisMessageBus({
    url: 'redis://fake:6379',
    keyPrefix: 't1:',
    instanceId: 'replica-a',
    commandTimeoutMs: 500,
    shardedPubSub: 'auto',
    healthCheckIntervalMs: 0,
    connect: (role, options) => {
      const connection = new FakeConnection(options);
      connections[role] = connection;
      if (role === 'subscriber') subscribers.push(connection);
      return connection as unknown as Redis;
    },
    ...overrides,
  });
  const received: Array<[number, BusMessage]> = [];
  bus.onEvent((userId, msg) => msg.type === 'message' && received.push([userId, msg]));
  let resyncs = 0;
  bus.onResync(() => (resyncs += 1));
  return { bus, pub: connections.publisher!, sub: connections.subscriber!, subscribers, received, resyncs: () => resyncs };
}

async function liveBus(overrides: Partial<RedisMessageBusOptions> = {}) {
  const made = makeBus(overrides);
  made.pub.goReady();
  made.sub.goReady();
  await settle();
  return made;
}

describe('RedisMessageBus', () => {
  it('disables the offline queue and bounds commands so publish fails fast', () => {
    const { pub, sub } = makeBus();
    for (const conn of [pub, sub]) {
      expect(conn.options.enableOfflineQueue).toBe(false);
      expect(conn.options.commandTimeout).toBe(500);
      expect(conn.options.maxRetriesPerRequest).toBe(0);
    }
    expect(sub.options.autoResubscribe).toBe(false);
  });

  it('names one channel per user with a cluster hash tag under the key prefix', () => {
    const { bus } = makeBus();
    expect(bus.channelFor(42)).toBe('t1:user:{42}');
  });

  it('uses sharded pub/sub when the server knows SPUBLISH', async () => {
    const { bus, pub, sub } = await liveBus();
    await bus.subscribe(2);
    await bus.publish([2], message(1));
    expect(bus.pubSubMode).toBe('sharded');
    expect(sub.sent).toContainEqual(['ssubscribe', 't1:user:{2}']);
    expect(pub.sent.map((c) => c[0])).toContain('spublish');
  });

  it('falls back to SUBSCRIBE/PUBLISH on a server without sharded pub/sub', async () => {
    const made = makeBus();
    made.pub.knowsSharded = false;
    made.sub.knowsSharded = false;
    made.pub.goReady();
    made.sub.goReady();
    await settle();
    await made.bus.subscribe(2);
    await made.bus.publish([2], message(1));
    expect(made.bus.pubSubMode).toBe('classic');
    expect(made.sub.sent).toContainEqual(['subscribe', 't1:user:{2}']);
    expect(made.pub.sent.find((c) => c[0] === 'publish')?.[1]).toBe('t1:user:{2}');
  });

  it('publishes one envelope per distinct user and delivers to local holders directly', async () => {
    const { bus, pub, received } = await liveBus();
    await bus.subscribe(1);
    await bus.publish([2, 1, 2], message(7));
    const publishes = pub.sent.filter((c) => c[0] === 'spublish');
    expect(publishes.map((c) => c[1])).toEqual(['t1:user:{2}', 't1:user:{1}']);
    expect(JSON.parse(publishes[0][2])).toEqual({ v: 1, from: 'replica-a', msg: message(7) });
    // Only user 1 is held here; user 2 lives elsewhere.
    expect(received).toEqual([[1, message(7)]]);
  });

  it('delivers a peer message for a held user, skips its own echo and users it no longer holds', async () => {
    const { bus, sub, received } = await liveBus();
    await bus.subscribe(2);
    await bus.subscribe(3);
    await bus.unsubscribe(3);
    const peer = (userId: number, id: number, from = 'replica-b') =>
      sub.emit('smessage', `t1:user:{${userId}}`, JSON.stringify({ v: 1, from, msg: message(id, { to: userId }) }));
    peer(2, 10);
    peer(2, 11, 'replica-a');
    peer(3, 12);
    sub.emit('smessage', 't1:user:{2}', '{not json');
    sub.emit('smessage', 'other:user:{2}', JSON.stringify({ v: 1, from: 'x', msg: message(13) }));
    expect(received).toEqual([[2, message(10, { to: 2 })]]);
    expect(sub.sent).toContainEqual(['sunsubscribe', 't1:user:{3}']);
  });

  it('delivers the other events of a peer from `ev`, and a message of the previous release without `type`', async () => {
    const { bus, sub } = await liveBus();
    const events: Array<[number, BusEvent]> = [];
    bus.onEvent((userId, event) => events.push([userId, event]));
    await bus.subscribe(2);
    const read: BusEvent = { type: 'read', by: 1, friendId: 2, seq: 3, time: '2024-01-02 03:04:05' };
    const typing: BusEvent = { type: 'typing', by: 1, friendId: 2 };
    const { type: _type, ...previousRelease } = message(8);
    for (const envelope of [{ ev: read }, { ev: typing }, { msg: previousRelease }]) {
      sub.emit('smessage', 't1:user:{2}', JSON.stringify({ v: 1, from: 'replica-b', ...envelope }));
    }
    expect(events).toEqual([
      [2, read],
      [2, typing],
      [2, message(8)],
    ]);
  });

  it('drops what is not an envelope, or carries nothing this release knows, without throwing', async () => {
    const { bus, sub, resyncs } = await liveBus();
    const events: BusEvent[] = [];
    bus.onEvent((_userId, event) => events.push(event));
    await bus.subscribe(2);
    for (const payload of ['null', '42', '[]', '{"v":1,"from":"b"}', '{"v":1,"from":"b","ev":{"type":"reaction","by":1}}']) {
      expect(() => sub.emit('smessage', 't1:user:{2}', payload)).not.toThrow();
    }
    await settle();
    expect(events).toEqual([]);
    expect(resyncs()).toBe(0);
  });

  it('keeps delivering locally and rejects fast while the publisher is down, then hints peers to resync', async () => {
    const { bus, pub, received } = await liveBus();
    await bus.subscribe(1);
    pub.drop();
    await expect(bus.publish([2, 1], message(5))).rejects.toBeInstanceOf(BusUnavailableError);
    expect(received).toEqual([[1, message(5)]]);
    expect(bus.isLive()).toBe(false);

    pub.goReady();
    await settle();
    const hints = pub.sent.filter((c) => c[0] === 'spublish').map((c) => [c[1], JSON.parse(c[2])]);
    expect(hints).toEqual(
      expect.arrayContaining([
        ['t1:user:{2}', { v: 1, from: 'replica-a', resync: true }],
        ['t1:user:{1}', { v: 1, from: 'replica-a', resync: true }],
      ]),
    );
  });

  it('remembers users whose publish timed out on a live connection', async () => {
    const { bus, pub } = await liveBus();
    pub.failNext = true;
    await expect(bus.publish([4], message(1))).rejects.toThrow('Command timed out');
    pub.drop();
    pub.goReady();
    await settle();
    const hint = pub.sent.filter((c) => c[0] === 'spublish').pop();
    expect(hint?.[1]).toBe('t1:user:{4}');
    expect(JSON.parse(hint![2])).toMatchObject({ resync: true });
  });

  it('fires onResync (coalesced) when a peer hints', async () => {
    const { bus, sub, resyncs } = await liveBus();
    await bus.subscribe(2);
    for (let i = 0; i < 5; i++) sub.emit('smessage', 't1:user:{2}', JSON.stringify({ v: 1, from: 'b', resync: true }));
    await settle();
    expect(resyncs()).toBe(1);
  });

  it('re-subscribes every held user after a reconnect before firing onResync', async () => {
    const { bus, sub, resyncs } = await liveBus();
    await bus.subscribe(1);
    await bus.subscribe(2);
    expect(bus.isLive()).toBe(true);
    expect(resyncs()).toBe(0);

    sub.drop();
    expect(bus.isLive()).toBe(false);
    // Subscribing while away rejects at once but the user is kept for the reconnect.
    await expect(bus.subscribe(3)).rejects.toBeInstanceOf(BusUnavailableError);

    sub.sent.length = 0;
    sub.holdSubscribes = true;
    sub.goReady();
    await settle();
    // The pub/sub flavour is known from the first connect; only the subscriptions are replayed.
    expect(sub.sent).toEqual([['ssubscribe', 't1:user:{1}', 't1:user:{2}', 't1:user:{3}']]);
    // Not live, no resync until Redis confirmed the subscriptions.
    expect(bus.isLive()).toBe(false);
    expect(resyncs()).toBe(0);

    sub.releaseSubscribes();
    await settle();
    await settle();
    expect(bus.isLive()).toBe(true);
    expect(resyncs()).toBe(1);
    expect(bus.reconnects).toBe(1);
  });

  it('asks for no re-read on a first connect, nor on a repeated ready while live', async () => {
    const { bus, sub, resyncs } = await liveBus();
    await bus.subscribe(1);
    sub.emit('ready');
    await settle();
    expect(resyncs()).toBe(0);
    expect(bus.reconnects).toBe(0);
  });

  it('asks for a re-read once live when a user was taken on before Redis was reached', async () => {
    const { bus, pub, sub, resyncs } = makeBus();
    await expect(bus.subscribe(1)).rejects.toBeInstanceOf(BusUnavailableError);
    pub.goReady();
    sub.goReady();
    await settle();
    await settle();
    expect(sub.sent).toContainEqual(['ssubscribe', 't1:user:{1}']);
    expect(resyncs()).toBe(1);
  });

  it('does not declare itself live when the connection drops during re-subscription', async () => {
    const { bus, sub, resyncs } = await liveBus();
    await bus.subscribe(1);
    sub.drop();
    sub.holdSubscribes = true;
    sub.goReady();
    await settle();
    sub.drop();
    sub.releaseSubscribes();
    await settle();
    expect(bus.isLive()).toBe(false);
    expect(resyncs()).toBe(0);
  });

  it('rebuilds the subscriber when a subscribe fails on a live connection', async () => {
    const { bus, sub } = await liveBus();
    sub.failNext = true;
    await expect(bus.subscribe(9)).rejects.toBeInstanceOf(BusUnavailableError);
    expect(sub.status).toBe('reconnecting');
    expect(bus.isLive()).toBe(false);
  });

  it('isolates a throwing handler so other users still get their messages', async () => {
    const { bus, sub } = await liveBus();
    const got: number[] = [];
    bus.onEvent((userId) => {
      if (userId === 1) throw new Error('socket gone');
      got.push(userId);
    });
    await bus.subscribe(1);
    await bus.subscribe(2);
    sub.emit('smessage', 't1:user:{1}', JSON.stringify({ v: 1, from: 'b', msg: message(1) }));
    sub.emit('smessage', 't1:user:{2}', JSON.stringify({ v: 1, from: 'b', msg: message(2) }));
    expect(got).toEqual([2]);
  });

  it('quits both connections on close and stays quiet afterwards', async () => {
    const { bus, pub, sub, received } = await liveBus();
    await bus.subscribe(1);
    await bus.close();
    expect(pub.status).toBe('end');
    expect(sub.status).toBe('end');
    expect(bus.isLive()).toBe(false);
    sub.emit('smessage', 't1:user:{1}', JSON.stringify({ v: 1, from: 'b', msg: message(1) }));
    expect(received).toEqual([]);
  });
  describe('on a Redis Cluster', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
    afterEach(() => jest.useRealTimers());

    it('replaces a cluster client whose shard subscribers are gone for good, then re-subscribes and resyncs', async () => {
      const { bus, sub: wedged, subscribers, resyncs } = await liveBus({ cluster: true });
      await bus.subscribe(1);
      wedged.subscribeError = 'No sharded subscriber for slot: 9842';

      const attempt = expect(bus.subscribe(2)).rejects.toBeInstanceOf(BusUnavailableError);
      // Retried while ioredis might still be rebuilding its shard subscribers...
      await jest.advanceTimersByTimeAsync(1_000);
      expect(subscribers).toHaveLength(1);
      expect(wedged.sent.filter(([c]) => c === 'ssubscribe').length).toBeGreaterThan(2);
      // ...then given up on: a fresh client, the old one closed and no longer heard.
      await jest.advanceTimersByTimeAsync(1_500);
      await attempt;
      expect(subscribers).toHaveLength(2);
      expect(wedged.status).toBe('end');
      expect(wedged.listenerCount('smessage')).toBe(0);
      expect(bus.isLive()).toBe(false);

      const fresh = subscribers[1];
      fresh.goReady();
      await settle();
      await settle();
      expect(fresh.sent).toEqual([
        ['ssubscribe', 't1:user:{1}'],
        ['ssubscribe', 't1:user:{2}'],
      ]);
      expect(bus.isLive()).toBe(true);
      expect(resyncs()).toBe(1);
    });

    it('re-subscribes by itself when a lost shard subscriber is never reported back', async () => {
      const { bus, sub, subscribers, resyncs } = await liveBus({ cluster: true, healthCheckIntervalMs: 500 });
      await bus.subscribe(1);
      // The shard's subscriber connection ended; the client itself stays 'ready' and, wedged,
      // never says 'subscribersReady'.
      sub.emit('-node', { options: { connectionName: 'replica-a:sub (ssubscriber)' } });
      expect(bus.isLive()).toBe(false);
      sub.sent.length = 0;

      await jest.advanceTimersByTimeAsync(1_000);
      expect(sub.sent.filter(([c]) => c === 'ssubscribe')).toEqual([]);
      await jest.advanceTimersByTimeAsync(2_000);
      await settle();
      expect(sub.sent).toContainEqual(['ssubscribe', 't1:user:{1}']);
      expect(bus.isLive()).toBe(true);
      expect(resyncs()).toBe(1);
      expect(subscribers).toHaveLength(1);
    });

    it('ignores the loss of an ordinary node connection', async () => {
      const { bus, sub } = await liveBus({ cluster: true });
      sub.emit('-node', { options: { connectionName: 'replica-a:sub' } });
      expect(bus.isLive()).toBe(true);
    });
  });
});
