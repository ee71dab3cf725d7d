import { FrameRate } from './frame-rate';

describe('FrameRate', () => {
  afterEach(() => jest.useRealTimers());

  it('lets a burst of twice the rate through, then spaces frames at the rate', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const rate = new FrameRate(10);
    for (let i = 0; i < 20; i++) expect(rate.take()).toBe(0);
    expect(rate.take()).toBe(100);
    expect(rate.take()).toBe(200);
    // Both waits are served after 300 ms, with one token to spare.
    jest.advanceTimersByTime(300);
    expect(rate.take()).toBe(0);
    expect(rate.take()).toBe(100);
  });

  it('refills over time up to the burst, never beyond', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const rate = new FrameRate(10);
    for (let i = 0; i < 20; i++) rate.take();
    jest.advanceTimersByTime(60_000);
    for (let i = 0; i < 20; i++) expect(rate.take()).toBe(0);
    expect(rate.take()).toBeGreaterThan(0);
  });

  it('never waits when switched off', () => {
    const rate = new FrameRate(0);
    for (let i = 0; i < 1000; i++) expect(rate.take()).toBe(0);
  });
});
