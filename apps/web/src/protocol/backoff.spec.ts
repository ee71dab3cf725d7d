import { reconnectDelay } from './backoff';
import { newClientMsgId } from './client-msg-id';

describe('reconnectDelay', () => {
  const options = { baseMs: 500, capMs: 30_000 };

  it('doubles per attempt between half and all of the ceiling, up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => reconnectDelay(a, options, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect([1, 2, 3, 4].map((a) => reconnectDelay(a, options, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(reconnectDelay(20, options, () => 1)).toBe(30_000);
    expect(reconnectDelay(20, options, () => 0)).toBe(15_000);
  });

  it('spreads clients over the window (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => reconnectDelay(5, options)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(4000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(8000);
  });
});

describe('newClientMsgId', () => {
  it('is printable ASCII within the 64 characters the server takes, and fresh every time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newClientMsgId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[\x21-\x7e]{1,64}$/);
  });
});
