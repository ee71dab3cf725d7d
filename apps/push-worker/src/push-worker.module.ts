import { Module, OnModuleInit } from '@nestjs/common';
import { CommonModule } from '@app/common';
import { AppConfigModule, CoreConfig, processInstanceId, PushConfig } from '@app/config';
import { DatabaseModule, PushJobRepository } from '@app/database';
import { OpsModule, ReadinessRegistry } from '@app/ops';
import { FinishedJobPruner } from './jobs/finished-job-pruner.service';
import { JobClaimer } from './jobs/job-claimer';
import { Lease } from './jobs/lease';
import { OutcomeRecorder } from './jobs/outcome-recorder';
import { RetryPolicy } from './jobs/retry-policy';
import { PushMetrics } from './ops/push-metrics.service';
import { pushProviderFor } from './providers/push-provider.factory';
import { PUSH_PROVIDER } from './providers/push-provider';
import { PushJobProcessor } from './sender/push-job.processor';
import { SenderLoop } from './sender/sender-loop.service';

/**
 * The push worker: sends the outbox's due notifications (CONTRACT section 5). Runs alone
 * (apps/push-worker/src/main.ts, as many replicas as wanted on MySQL/MariaDB) or inside the
 * all-in-one suite when PUSH_PROVIDER is set.
 */
@Module({
  imports: [AppConfigModule, CommonModule, OpsModule, DatabaseModule],
  providers: [
    FinishedJobPruner,
    { provide: Lease, inject: [CoreConfig, PushConfig], useFactory: (core: CoreConfig, push: PushConfig) => new Lease(`push:${processInstanceId(core)}`, push.leaseMs, push.sendTimeoutMs) },
    { provide: RetryPolicy, inject: [PushConfig], useFactory: (push: PushConfig) => new RetryPolicy(push.retryBaseMs, push.retryMaxMs, push.maxAttempts) },
    { provide: PUSH_PROVIDER, inject: [PushConfig], useFactory: pushProviderFor },
    JobClaimer,
    OutcomeRecorder,
    PushMetrics,
    PushJobProcessor,
    SenderLoop,
  ],
})
export class PushWorkerModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly loop: SenderLoop,
    private readonly metrics: PushMetrics,
    private readonly jobs: PushJobRepository,
    private readonly config: PushConfig,
  ) {}

  onModuleInit(): void {
    this.metrics.readBacklogFrom(() => this.jobs.backlog(Date.now()));
    this.readiness.register({
      name: 'push-worker',
      check: () => {
        const s = this.loop.state();
        if (s.stopping) throw new Error('shutting down: finishing the jobs in flight');
        if (s.lastClaimError) throw new Error(`cannot claim jobs: ${s.lastClaimError}`);
        return { provider: this.config.provider, inFlight: s.inFlight, lastClaimAt: s.lastClaimAt ? new Date(s.lastClaimAt).toISOString() : null };
      },
    });
  }
}
