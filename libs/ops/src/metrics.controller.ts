import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { register } from 'prom-client';

/**
 * Prometheus scrape endpoint: the default registry, where every feature defines its metrics.
 * Only trusted callers reach it (OpsAccess.guard, mounted at /metrics by createApp).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  scrape(): Promise<string> {
    return register.metrics();
  }
}
