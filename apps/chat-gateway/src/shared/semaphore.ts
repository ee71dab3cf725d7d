/**
 * At most `size` holders at a time; the others wait in arrival order. Hand-written: a dozen lines,
 * and rate-limiter-flexible counts requests over time, not holders (its RateLimiterQueue waits
 * for points that come back with the clock, not when a holder is done).
 */
export class Semaphore {
  private used = 0;
  private waiting?: (() => void)[];

  constructor(private readonly size: number) {}

  /** Resolves once a place is held; give it back with release(). */
  take(): Promise<void> {
    if (this.used < this.size) {
      this.used += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.waiting ??= []).push(resolve));
  }

  /** Gives a place back: to the first waiting, if any (it keeps the count), else free. */
  release(): void {
    const next = this.waiting?.shift();
    if (!this.waiting?.length) this.waiting = undefined;
    if (next) next();
    else this.used -= 1;
  }
}
