import { RetryPolicy } from './retry-policy';

describe('RetryPolicy', () => {
  it('doubles the wait from the base, within [step/2, step)', () => {
    const low = new RetryPolicy(1000, 60_000, 10, () => 0);
    const high = new RetryPolicy(1000, 60_000, 10, () => 0.999999);
    expect([1, 2, 3, 4].map((a) => low.next(a))).toEqual([500, 1000, 2000, 4000].map((delayMs) => ({ giveUp: false, delayMs })));
    expect([1, 2, 3, 4].map((a) => (high.next(a) as { delayMs: number }).delayMs)).toEqual([999, 1999, 3999, 7999]);
  });

  it('never waits longer than the cap, however many tries', () => {
    const p = new RetryPolicy(1000, 5000, 100, () => 0.999999);
    expect(p.next(60)).toEqual({ giveUp: false, delayMs: 4999 });
  });

  it('gives up at the last allowed try', () => {
    const p = new RetryPolicy(10, 100, 3);
    expect(p.next(2).giveUp).toBe(false);
    expect(p.next(3)).toEqual({ giveUp: true });
  });

  it('spreads the jobs of one failure apart (jitter)', () => {
    const p = new RetryPolicy(1000, 60_000, 10);
    const waits = new Set([...Array(20).keys()].map(() => (p.next(3) as { delayMs: number }).delayMs));
    expect(waits.size).toBeGreaterThan(1);
  });
});
