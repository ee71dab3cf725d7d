import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { isDatabaseUnavailable } from './database-unavailable';
import { DomainError } from './domain-error';
import { LogThrottle } from './log-throttle';
import { fail } from './legacy-envelope';

/**
 * HTTP edge of every app: the legacy apps read `status` from a 200 answer (Retrofit hands them
 * no body otherwise), so domain errors become `{"status":1,"msg":..}` with HTTP 200 (bodies the
 * parsers refuse arrive as such, see refuseBadBodies). Anything unexpected is logged with a
 * correlation id and answered generically.
 */
/** The legacy envelope's answer to a request the database could not serve in time. */
export const DATABASE_UNAVAILABLE_MESSAGE = '服务暂不可用，请稍后重试 (the database is unavailable; try again)';

@Catch()
export class LegacyEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');
  private readonly throttled = new LogThrottle(this.logger);

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
    if (isDatabaseUnavailable(error)) {
      // A stalled or unreachable database (answered within DATABASE_STATEMENT_TIMEOUT_MS): the
      // client tries again; not a bug, so no stack trace per request.
      this.throttled.warn('database', `answered "database unavailable": ${error instanceof Error ? error.message : String(error)}`);
      res.status(200).json(fail(DATABASE_UNAVAILABLE_MESSAGE));
      return;
    }
    const correlationId = randomUUID();
    this.logger.error({ correlationId, err: error instanceof Error ? error.stack : String(error) }, 'unhandled error');
    res.status(200).json(fail(`服务器内部错误 (internal error, ref ${correlationId})`));
  }
}
