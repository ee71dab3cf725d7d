import { Injectable } from '@nestjs/common';
import { SerialBatcher } from '@app/common';
import { JobEnd, PushJobRepository } from '@app/database';
import { Lease } from './lease';

type Pending = { id: number; end: JobEnd; settle: (recorded: boolean) => void; fail: (e: unknown) => void };

/**
 * Records how jobs ended (sent, skipped, dead) as their answers come in, in one transaction per
 * group: what ends while a group is being written goes into the next (no timer, so a lone outcome
 * is written at once). `record` answers whether the lease was still this worker's, so the job's
 * outcome is ours; it rejects when the outbox could not be written (the job then stays leased and
 * goes to the next holder when the lease ends).
 */
@Injectable()
export class OutcomeRecorder {
  private readonly batcher = new SerialBatcher<Pending>((batch) => this.write(batch), 500);

  constructor(
    private readonly jobs: PushJobRepository,
    private readonly lease: Lease,
  ) {}

  record(id: number, end: JobEnd): Promise<boolean> {
    return new Promise((settle, fail) => this.batcher.push({ id, end, settle, fail }));
  }

  /** Resolves once nothing is waiting to be recorded. */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const ours = await this.jobs.finishMany(
        this.lease.owner,
        batch.map((p) => ({ id: p.id, end: p.end })),
      );
      for (const p of batch) p.settle(ours.has(p.id));
    } catch (e) {
      for (const p of batch) p.fail(e);
    }
  }
}
