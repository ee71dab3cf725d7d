import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PushConfig } from '@app/config';
import { JobClaimer } from '../jobs/job-claimer';
import { PushJobProcessor } from './push-job.processor';

/**
 * The worker's loop: claim what is due and send it (the claimed jobs at once); while one batch
 * is on its way the next is claimed (BATCHES_IN_FLIGHT at most); when nothing is due, wait until
 * the next job falls due, at most PUSH_POLL_MS. On shutdown (SIGTERM) it claims nothing more and finishes
 * what it holds before the process exits.
 */
/** Claimed batches a worker sends at the same time. */
const BATCHES_IN_FLIGHT = 2;

@Injectable()
export class SenderLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PushWorker');
  private stopping = false;
  private running?: Promise<void>;
  private wake?: () => void;
  private inFlight = 0;
  private lastClaimError?: string;
  private lastClaimAt = 0;

  constructor(
    private readonly claimer: JobClaimer,
    private readonly processor: PushJobProcessor,
    private readonly config: PushConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.loop();
  }

  // Before the database pool closes (onApplicationShutdown): the jobs in flight still record their outcome.
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  /** For readiness: whether the loop runs and reaches the outbox. */
  state(): { stopping: boolean; inFlight: number; lastClaimAt: number; lastClaimError?: string } {
    return { stopping: this.stopping, inFlight: this.inFlight, lastClaimAt: this.lastClaimAt, ...(this.lastClaimError ? { lastClaimError: this.lastClaimError } : {}) };
  }

  private async loop(): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!this.stopping) {
      if (running.size >= BATCHES_IN_FLIGHT) {
        await Promise.race(running);
        continue;
      }
      let idleMs = this.config.pollMs;
      try {
        const jobs = await this.claimer.claim();
        this.lastClaimAt = Date.now();
        this.lastClaimError = undefined;
        if (jobs.length) {
          this.inFlight += jobs.length;
          const batch: Promise<void> = this.processor
            .processBatch(jobs)
            .catch((e: unknown) => {
              // The batch stays leased and goes to the next holder when the lease ends.
              this.logger.error({ msg: 'push batch failed to process', jobs: jobs.length, firstJobId: jobs[0].id, error: e instanceof Error ? e.message : String(e) });
            })
            .finally(() => {
              this.inFlight -= jobs.length;
              running.delete(batch);
            });
          running.add(batch);
        }
        // A full claim means more may be due: go again at once.
        idleMs = jobs.length >= this.config.batchSize ? 0 : await this.claimer.idleFor();
      } catch (e) {
        this.lastClaimError = e instanceof Error ? e.message : String(e);
        this.logger.warn({ msg: 'claiming push jobs failed', error: this.lastClaimError });
      }
      if (idleMs > 0) await this.pause(idleMs);
    }
    await Promise.all(running);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
