import { Global, Module, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { collectDefaultMetrics, register } from 'prom-client';
import { HealthController } from './health.controller';
import { LoggingModule } from './logging';
import { MetricsController } from './metrics.controller';
import { ReadinessRegistry } from './readiness.registry';

/** /health/live, /health/ready, /metrics and structured logs for every app. */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), LoggingModule],
  controllers: [HealthController, MetricsController],
  providers: [ReadinessRegistry],
  exports: [ReadinessRegistry],
})
export class OpsModule implements OnModuleInit {
  onModuleInit(): void {
    // Once per process, even when several apps share it (the all-in-one suite, tests).
    if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  }
}
