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
}
