import { LogThrottle } from './log-throttle';

describe('LogThrottle', () => {
  afterEach(() => jest.useRealTimers());

  it('logs the first of a kind, then at most one per period with the count left out', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const lines: string[] = [];
    const log = new LogThrottle({ warn: (m: string) => lines.push(m), error: (m: string) => lines.push(`E ${m}`) }, 1000);
    for (let i = 0; i < 5; i++) log.warn('store', `failed ${i}`);
    log.error('other', 'another kind');
    jest.advanceTimersByTime(1500);
    log.warn('store', 'failed 5');
    expect(lines).toEqual(['failed 0', 'E another kind', 'failed 5 (and 4 more like it in the last 2 s)']);
  });
});
