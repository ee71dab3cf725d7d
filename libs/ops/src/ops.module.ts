import { Global, Module, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { collectDefaultMetrics, register } from 'prom-client';
import { HealthController } from './health.controller';
import { LoggingModule } from './logging';
import { MetricsController } from './metrics.controller';
import { OpsAccess } from './ops-access.service';
import { OpsListener } from './ops-listener.service';
import { ReadinessRegistry } from './readiness.registry';

/**
 * /health/live, /health/ready, /metrics and structured logs for every app, and who may see
 * what (OpsAccess: the operations listener on OPS_PORT, the OPS_TOKEN bearer token).
 */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), LoggingModule],
  controllers: [HealthController, MetricsController],
  providers: [ReadinessRegistry, OpsAccess, OpsListener],
  exports: [ReadinessRegistry, OpsAccess, OpsListener],
})
export class OpsModule implements OnModuleInit {
  onModuleInit(): void {
    // Once per process, even when several apps share it (the all-in-one suite, tests).
    if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  }
}
