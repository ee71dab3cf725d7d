import { Semaphore } from './semaphore';

/**
 * One socket's send budget, owned by its session and made on its first send: the sends it may
 * have waiting to be stored (CHAT_SENDS_IN_FLIGHT), and its rate-limit refusals in the current
 * window (CHAT_RATE_LIMIT_CLOSE_AFTER).
 */
export class SendBudget {
  readonly inFlight: Semaphore;
  private window = 0;
  private refusals = 0;

  constructor(sendsInFlight: number) {
    this.inFlight = new Semaphore(sendsInFlight);
  }

  /** Counts one rate-limit refusal in `window` (a fixed window's number); the count in it so far. */
  refused(window: number): number {
    if (window !== this.window) {
      this.window = window;
      this.refusals = 0;
    }
    return (this.refusals += 1);
  }
}
