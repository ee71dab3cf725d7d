import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PushConfig } from '@app/config';
import { JobClaimer } from '../jobs/job-claimer';
import { PushJobProcessor } from './push-job.processor';

/**
 * The worker's loop: claim what is due, send it (the claimed jobs at once), and again; when
 * nothing is due, wait PUSH_POLL_MS. On shutdown (SIGTERM) it claims nothing more and finishes
 * what it holds before the process exits.
 */
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
    while (!this.stopping) {
      let claimed = 0;
      try {
        const jobs = await this.claimer.claim();
        this.lastClaimAt = Date.now();
        this.lastClaimError = undefined;
        claimed = jobs.length;
        this.inFlight = jobs.length;
        await Promise.all(
          jobs.map((job) =>
            this.processor.process(job).catch((e: unknown) => {
              // The job stays leased and goes to the next holder when the lease ends.
              this.logger.error({ msg: 'push job failed to process', jobId: job.id, error: e instanceof Error ? e.message : String(e) });
            }),
          ),
        );
      } catch (e) {
        this.lastClaimError = e instanceof Error ? e.message : String(e);
        this.logger.warn({ msg: 'claiming push jobs failed', error: this.lastClaimError });
      } finally {
        this.inFlight = 0;
      }
      // A full claim means more may be due: go again at once.
      if (claimed < this.config.batchSize) await this.pause(this.config.pollMs);
    }
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
