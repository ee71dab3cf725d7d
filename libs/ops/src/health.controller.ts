import { Controller, Get, Req, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { IncomingMessage } from 'node:http';
import { OpsAccess } from './ops-access.service';
import { ReadinessRegistry } from './readiness.registry';

/**
 * Liveness (the process answers) and readiness (it can do its job: every registered check, e.g.
 * the database ping, the gateway's Redis subscription) for the orchestrator. Both are public
 * (probes and balancers call them); the details of readiness name directories, buckets and
 * hosts, so only a trusted caller (see OpsAccess) gets them, everyone else up or down.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
    private readonly access: OpsAccess,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  async ready(@Req() req: IncomingMessage) {
    const checks = this.registry.all().map((c) => async () => {
      const session = this.indicators.check(c.name);
      try {
        return session.up((await c.check()) ?? {});
      } catch (e) {
        return session.down({ message: e instanceof Error ? e.message : String(e) });
      }
    });
    if (this.access.isTrusted(req)) return this.health.check(checks);
    try {
      await this.health.check(checks);
    } catch (e) {
      if (e instanceof ServiceUnavailableException) throw new ServiceUnavailableException({ status: 'error' });
      throw e;
    }
    return { status: 'ok' };
  }
}
