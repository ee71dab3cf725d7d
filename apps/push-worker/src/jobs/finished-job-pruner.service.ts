import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PushConfig } from '@app/config';
import { PushJobRepository } from '@app/database';

const PRUNE_EVERY_MS = 60_000;
/** Rows per statement, and statements per round: a round never holds the table for long. */
const BATCH = 1000;
const BATCHES_PER_ROUND = 20;

/**
 * Keeps the outbox from growing for ever: once a minute, finished jobs older than
 * PUSH_RETENTION_HOURS are deleted in small batches. Every worker replica runs it; they delete
 * in the same order, so they wait for one another rather than deadlock.
 */
@Injectable()
export class FinishedJobPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PushWorker');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly jobs: PushJobRepository,
    private readonly config: PushConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One round; resolves with how many jobs were deleted (0 when a round is already running). */
  prune(now = Date.now()): Promise<number> {
    if (this.running) return Promise.resolve(0);
    const before = now - this.config.retentionHours * 3_600_000;
    this.running = this.round(before).finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(before: number): Promise<number> {
    let deleted = 0;
    try {
      for (let i = 0; i < BATCHES_PER_ROUND; i++) {
        const n = await this.jobs.pruneFinished(before, BATCH);
        deleted += n;
        if (n < BATCH) break;
      }
    } catch (e) {
      this.logger.warn({ msg: 'pruning finished push jobs failed; tried again next round', error: e instanceof Error ? e.message : String(e) });
    }
    if (deleted) this.logger.log({ msg: 'finished push jobs pruned', deleted });
    return deleted;
  }
}
