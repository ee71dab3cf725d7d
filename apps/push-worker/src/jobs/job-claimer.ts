import { Injectable } from '@nestjs/common';
import { PushConfig } from '@app/config';
import { ClaimedPushJob, PushJobRepository } from '@app/database';
import { Lease } from './lease';

/**
 * Takes due jobs off the outbox for this worker, under its lease (SELECT ... FOR UPDATE SKIP
 * LOCKED on MySQL/MariaDB, so workers never take the same job; a plain claim on SQLite, one worker).
 */
@Injectable()
export class JobClaimer {
  constructor(
    private readonly jobs: PushJobRepository,
    private readonly config: PushConfig,
    readonly lease: Lease,
  ) {}

  claim(now = Date.now()): Promise<ClaimedPushJob[]> {
    return this.jobs.claimDue(this.lease.owner, now, this.lease.durationMs, this.config.batchSize);
  }

  /**
   * How long an idle worker waits before claiming again: until the next job falls due, at most
   * PUSH_POLL_MS (a job stored meanwhile falls due PUSH_DELAY_MS after it, so polling finds it),
   * and at least IDLE_MIN_MS (a due job another worker is claiming right now is not ours to wait for).
   */
  async idleFor(now = Date.now()): Promise<number> {
    const next = await this.jobs.nextDueAt();
    return next === null ? this.config.pollMs : Math.max(Math.min(IDLE_MIN_MS, this.config.pollMs), Math.min(this.config.pollMs, next - now));
  }
}

/** Shortest idle wait between claims. */
const IDLE_MIN_MS = 10;
