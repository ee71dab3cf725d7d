import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { LegacyEnvelopeFilter } from '@app/common';
import { UploadConfig } from '@app/config';
import type { Request } from 'express';
import { ENVELOPE_ALLOWANCE } from './upload-body.limiter';

/**
 * The legacy envelope, plus a bound on what is read after an early answer. A refusal that comes
 * before the body was read (a bad token, refused by the guard) leaves Node to read and drop the
 * rest of the body so that the keep-alive connection survives, which is what the apps expect;
 * like Tomcat's swallow limit, that is allowed up to the size of a legitimate upload, after which
 * the connection is closed instead of reading an endless body.
 */
@Catch()
export class UploadExceptionFilter implements ExceptionFilter {
  private readonly envelope = new LegacyEnvelopeFilter();

  constructor(private readonly config: UploadConfig) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    if (!req.complete) {
      const limit = this.config.maxFileSize + ENVELOPE_ALLOWANCE;
      let dropped = 0;
      req.on('data', (chunk: Buffer) => {
        dropped += chunk.length;
        if (dropped > limit) req.socket.destroy();
      });
    }
    this.envelope.catch(error, host);
  }
}
