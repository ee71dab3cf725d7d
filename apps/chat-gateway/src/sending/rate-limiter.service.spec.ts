import { BusConfig, ChatConfig } from '@app/config';
import { RateLimiter } from './rate-limiter.service';

const limiter = (count: number) =>
  new RateLimiter(Object.assign(new ChatConfig(), { rateLimitCount: count, rateLimitWindowSec: 60 }), Object.assign(new BusConfig(), { redisUrl: '' }));

describe('RateLimiter without Redis', () => {
  // One fixed instant: no test crosses a window's edge.
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(1_764_000_030_000));
  afterEach(() => jest.restoreAllMocks());

  it('answers at once, not as a promise, when it counts in this process', () => {
    const l = limiter(2);
    expect([l.admit(7), l.admit(7), l.admit(7)]).toEqual([true, true, false]);
    // Another user has a count of its own.
    expect(l.admit(8)).toBe(true);
  });

  it('keeps refusing a user over the limit for the rest of the window', async () => {
    const l = limiter(1);
    expect(l.admit(7)).toBe(true);
    expect(l.admit(7)).toBe(false);
    await expect(Promise.resolve(l.admit(7))).resolves.toBe(false);
    expect(l.admit(7)).toBe(false);
    // The next window starts afresh.
    jest.spyOn(Date, 'now').mockReturnValue(1_764_000_090_000);
    expect(l.admit(7)).toBe(true);
  });

  it('admits everything when the limit is off', () => {
    const l = limiter(0);
    expect(Array.from({ length: 50 }, () => l.admit(7)).every((v) => v === true)).toBe(true);
  });
});
