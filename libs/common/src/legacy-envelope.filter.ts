import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { DomainError } from './domain-error';
import { fail } from './legacy-envelope';

/**
 * HTTP edge of every app: the legacy apps read `status` from a 200 answer (Retrofit hands them
 * no body otherwise), so domain errors become `{"status":1,"msg":..}` with HTTP 200 (bodies the
 * parsers refuse arrive as such, see refuseBadBodies). Anything unexpected is logged with a
 * correlation id and answered generically.
 */
@Catch()
export class LegacyEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (error instanceof DomainError) {
      res.status(200).json(fail(error.message));
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      // Readiness probes need their real 503 (terminus answers it); no legacy client calls them.
      if (status === 503) {
        res.status(503).json(error.getResponse());
        return;
      }
      // Unknown routes and methods keep their real status: no legacy client depends on them.
      if (status === 404 || status === 405) {
        res.status(status).json(fail(status === 404 ? 'Not found' : 'Method not allowed'));
        return;
      }
      if (status === 413) {
        res.status(200).json(fail('请求体过大 (request body too large)'));
        return;
      }
      if (status < 500) {
        const body = error.getResponse();
        const detail =
          typeof body === 'object' && body && 'message' in body ? (body as { message: unknown }).message : error.message;
        res.status(200).json(fail(Array.isArray(detail) ? detail.join('; ') : String(detail)));
        return;
      }
    }
    const correlationId = randomUUID();
    this.logger.error({ correlationId, err: error instanceof Error ? error.stack : String(error) }, 'unhandled error');
    res.status(200).json(fail(`服务器内部错误 (internal error, ref ${correlationId})`));
  }
}
