import { Injectable } from '@nestjs/common';

/** A named check that says whether this process should get traffic. */
export interface ReadinessCheck {
  name: string;
  /** Resolves with details when ready; throws (or rejects) with the reason when not. */
  check(): Promise<Record<string, unknown> | void> | Record<string, unknown> | void;
}

/**
 * Features add their own readiness checks here (the gateway: its Redis subscription and whether
 * it is shutting down); the health controller runs them all beside the database ping.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    if (!this.checks.some((c) => c.name === check.name)) this.checks.push(check);
  }

  all(): readonly ReadinessCheck[] {
    return this.checks;
  }
}
