/**
 * When a notification that failed is tried again: exponential backoff (base, doubling, capped)
 * with jitter, so that the jobs a provider outage failed together do not come back together.
 * "Equal jitter": the wait lies in [d/2, d) for the step's d, never less than half the step.
 */
export class RetryPolicy {
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    readonly maxAttempts: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** After the `attempt`-th try (1-based) failed: give up, or wait this long. */
  next(attempt: number): { giveUp: true } | { giveUp: false; delayMs: number } {
    if (attempt >= this.maxAttempts) return { giveUp: true };
    const step = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(attempt - 1, 40));
    return { giveUp: false, delayMs: Math.floor(step / 2 + this.random() * (step / 2)) };
  }
}
