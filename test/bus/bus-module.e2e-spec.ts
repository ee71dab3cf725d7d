import { Test } from '@nestjs/testing';
import { BusModule, InProcessMessageBus, MESSAGE_BUS, MessageBus, RedisMessageBus } from '@app/bus';
import { AppConfigModule } from '@app/config';
import { describeRedis, testRedisPrefix, testRedisUrl } from '../support/infra';
import { waitFor } from '../support/wait';

// BusModule picks the bus from the environment the way a booting app does.

async function bootBus(env: Record<string, string | undefined>) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppConfigModule, BusModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { app, bus: app.get<MessageBus>(MESSAGE_BUS) };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('BusModule without REDIS_URL', () => {
  it('provides the in-process bus', async () => {
    const { app, bus } = await bootBus({ REDIS_URL: undefined, CHAT_DEV_MODE: 'true', JWT_SECRET: 'x'.repeat(32) });
    expect(bus).toBeInstanceOf(InProcessMessageBus);
    await app.close();
  });
});

describeRedis('BusModule with REDIS_URL', () => {
  it('provides a live Redis bus under the configured prefix and quits it on shutdown', async () => {
    const { app, bus } = await bootBus({
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `${testRedisPrefix()}module:`,
      JWT_SECRET: 'x'.repeat(32),
    });
    expect(bus).toBeInstanceOf(RedisMessageBus);
    await waitFor('the bus to go live', () => bus.isLive());
    expect((bus as RedisMessageBus).channelFor(7)).toBe(`${testRedisPrefix()}module:user:{7}`);
    const got: number[] = [];
    bus.onEvent((_userId, m) => m.type === 'message' && got.push(m.id));
    await bus.subscribe(7);
    await bus.publish([7], { type: 'message', id: 1, senderId: 8, to: 7, senderName: 'x', text: 't', time: '2024-01-01 00:00:00' });
    expect(got).toEqual([1]);
    await app.close();
    expect(bus.isLive()).toBe(false);
  });
});
