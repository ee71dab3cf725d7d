import { Inject, Injectable, Logger } from '@nestjs/common';
import { PushConfig } from '@app/config';
import { ClaimedPushJob, PushDeviceRepository, PushJobRepository } from '@app/database';
import { Lease } from '../jobs/lease';
import { RetryPolicy } from '../jobs/retry-policy';
import { shapeNotification } from '../notifications/notification';
import { PushMetrics } from '../ops/push-metrics.service';
import { PUSH_PROVIDER, PushProvider } from '../providers/push-provider';

/**
 * One claimed job, start to end: read what the notification is made of, skip it when a device got
 * the messages meanwhile, send it, and record the outcome while the lease is still ours (a 2xx is
 * marked sent before the lease is given up, so no other worker sends that pushId again).
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
    private readonly retry: RetryPolicy,
    private readonly metrics: PushMetrics,
    @Inject(PUSH_PROVIDER) private readonly provider: PushProvider,
  ) {}

  async process(job: ClaimedPushJob): Promise<void> {
    const owner = this.lease.owner;
    if (job.attempts > this.retry.maxAttempts) {
      // Its previous holders died with it (each claim counts a try).
      return this.giveUp(job, `taken over ${job.attempts - 1} times without an outcome`);
    }
    const [facts, devices] = await Promise.all([this.jobs.facts(job), this.devices.forUser(job.userId)]);
    const shaped = shapeNotification(job, facts, devices, { preview: this.config.preview });
    if ('skip' in shaped) {
      await this.jobs.finish(job.id, owner, { state: 'skipped', at: Date.now(), outcome: shaped.skip });
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
        const recorded = await this.jobs.finish(job.id, owner, { state: 'sent', at: now, count: n.count });
        this.metrics.sent.inc();
        this.metrics.latency.observe((now - job.storedAt) / 1000);
        if (!recorded) this.logger.warn({ msg: 'push sent but its lease had passed to another worker', jobId: job.id, pushId: n.pushId });
        else this.logger.log({ msg: 'push sent', jobId: job.id, pushId: n.pushId, userId: job.userId, count: n.count, attempt: job.attempts });
        return;
      }
      case 'gone': {
        const removed = await this.devices.removeTokens(outcome.deviceTokens);
        const reason = outcome.deviceTokens.length ? 'device gone' : 'no device for provider';
        await this.jobs.finish(job.id, owner, { state: 'skipped', at: now, outcome: reason });
        this.metrics.failed.inc({ kind: 'gone' });
        this.metrics.skipped.inc({ reason });
        this.logger.log({ msg: 'push target gone: devices removed', jobId: job.id, userId: job.userId, removed });
        return;
      }
      case 'retry': {
        this.metrics.failed.inc({ kind: 'error' });
        const next = this.retry.next(job.attempts);
        if (next.giveUp) return this.giveUp(job, outcome.error);
        await this.jobs.retryLater(job.id, owner, outcome.error, now + next.delayMs, now);
        this.metrics.retried.inc();
        this.logger.warn({ msg: 'push failed, tried again later', jobId: job.id, attempt: job.attempts, inMs: next.delayMs, error: outcome.error });
        return;
      }
    }
  }

  private async giveUp(job: ClaimedPushJob, error: string): Promise<void> {
    await this.jobs.finish(job.id, this.lease.owner, { state: 'dead', at: Date.now(), error });
    this.metrics.dead.inc();
    this.logger.error({ msg: 'push given up', jobId: job.id, userId: job.userId, attempts: job.attempts, error });
  }
}
