import { Inject, Injectable, Logger } from '@nestjs/common';
import { PushConfig } from '@app/config';
import { ClaimedPushJob, NotificationFacts, PushDevice, PushDeviceRepository, PushJobRepository } from '@app/database';
import { Lease } from '../jobs/lease';
import { OutcomeRecorder } from '../jobs/outcome-recorder';
import { RetryPolicy } from '../jobs/retry-policy';
import { shapeNotification } from '../notifications/notification';
import { PushMetrics } from '../ops/push-metrics.service';
import { PUSH_PROVIDER, PushProvider } from '../providers/push-provider';

/**
 * A claimed batch of jobs, start to end: read what the notifications are made of (for the whole
 * batch at once), skip a job when a device got its messages meanwhile, send the others at once,
 * and record each outcome while the lease is still ours (a 2xx is marked sent before the lease is
 * given up, so no other worker sends that pushId again; outcomes are recorded in groups).
 * Logs carry ids and outcomes, never device tokens or texts.
 */
@Injectable()
export class PushJobProcessor {
  private readonly logger = new Logger('PushWorker');

  constructor(
    private readonly jobs: PushJobRepository,
    private readonly devices: PushDeviceRepository,
    private readonly config: PushConfig,
    private readonly lease: Lease,
    private readonly outcomes: OutcomeRecorder,
    private readonly retry: RetryPolicy,
    private readonly metrics: PushMetrics,
    @Inject(PUSH_PROVIDER) private readonly provider: PushProvider,
  ) {}

  /** Processes a claimed batch; resolves when every job of it has an outcome or was left to the lease. */
  async processBatch(jobs: readonly ClaimedPushJob[]): Promise<void> {
    const work: { job: ClaimedPushJob; done: Promise<void> }[] = [];
    const live: ClaimedPushJob[] = [];
    for (const job of jobs) {
      // Its previous holders died with it (each claim counts a try).
      if (job.attempts > this.retry.maxAttempts) work.push({ job, done: this.giveUp(job, `taken over ${job.attempts - 1} times without an outcome`) });
      else live.push(job);
    }
    if (live.length) {
      const [facts, devices] = await Promise.all([this.jobs.factsOf(live), this.devices.forUsers(live.map((j) => j.userId), this.config.maxDevicesPerUser)]);
      for (const job of live) work.push({ job, done: this.process(job, facts.get(job.id)!, devices.get(job.userId) ?? []) });
    }
    await Promise.all(
      work.map(({ job, done }) =>
        done.catch((e: unknown) => {
          // The job stays leased and goes to the next holder when the lease ends.
          this.logger.error({ msg: 'push job failed to process', jobId: job.id, error: e instanceof Error ? e.message : String(e) });
        }),
      ),
    );
  }

  private async process(job: ClaimedPushJob, facts: NotificationFacts, devices: readonly PushDevice[]): Promise<void> {
    const shaped = shapeNotification(job, facts, devices, { preview: this.config.preview });
    if ('skip' in shaped) {
      await this.outcomes.record(job.id, { state: 'skipped', at: Date.now(), outcome: shaped.skip });
      this.metrics.skipped.inc({ reason: shaped.skip });
      this.logger.debug({ msg: 'push skipped', jobId: job.id, userId: job.userId, reason: shaped.skip });
      return;
    }
    if (!this.lease.allowsSend(job.leaseUntil)) {
      // Too little lease left to send and record: another worker takes it when the lease ends.
      this.logger.warn({ msg: 'push left to the next holder: lease too short to send', jobId: job.id });
      return;
    }
    const n = shaped.send;
    const outcome = await this.provider.send(n, this.config.sendTimeoutMs);
    const now = Date.now();
    switch (outcome.kind) {
      case 'sent': {
        const recorded = await this.outcomes.record(job.id, { state: 'sent', at: now, count: n.count });
        this.metrics.sent.inc();
        this.metrics.latency.observe((now - job.storedAt) / 1000);
        if (!recorded) this.logger.warn({ msg: 'push sent but its lease had passed to another worker', jobId: job.id, pushId: n.pushId });
        else this.logger.log({ msg: 'push sent', jobId: job.id, pushId: n.pushId, userId: job.userId, count: n.count, attempt: job.attempts });
        return;
      }
      case 'gone': {
        // Only this notification's devices, and only while they are still its recipient's: a
        // receiver's goneTokens naming anyone else's token removes nothing.
        const mine = new Set(n.devices.map((d) => d.deviceToken));
        const removed = await this.devices.removeTokens(job.userId, outcome.deviceTokens.filter((t) => mine.has(t)));
        const reason = outcome.deviceTokens.length ? 'device gone' : 'no device for provider';
        await this.outcomes.record(job.id, { state: 'skipped', at: now, outcome: reason });
        this.metrics.failed.inc({ kind: 'gone' });
        this.metrics.skipped.inc({ reason });
        this.logger.log({ msg: 'push target gone: devices removed', jobId: job.id, userId: job.userId, removed });
        return;
      }
      case 'retry': {
        this.metrics.failed.inc({ kind: 'error' });
        const next = this.retry.next(job.attempts);
        if (next.giveUp) return this.giveUp(job, outcome.error);
        await this.jobs.retryLater(job.id, this.lease.owner, outcome.error, now + next.delayMs, now);
        this.metrics.retried.inc();
        this.logger.warn({ msg: 'push failed, tried again later', jobId: job.id, attempt: job.attempts, inMs: next.delayMs, error: outcome.error });
        return;
      }
    }
  }

  private async giveUp(job: ClaimedPushJob, error: string): Promise<void> {
    await this.outcomes.record(job.id, { state: 'dead', at: Date.now(), error });
    this.metrics.dead.inc();
    this.logger.error({ msg: 'push given up', jobId: job.id, userId: job.userId, attempts: job.attempts, error });
  }
}
