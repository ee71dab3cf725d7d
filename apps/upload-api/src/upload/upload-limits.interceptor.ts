import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { UploadConfig } from '@app/config';
import type { Request, Response } from 'express';
import { catchError, from, Observable, race, throwError } from 'rxjs';
import { uploadErrorOf } from './multer-error.mapper';
import { UploadBodyLimiter } from './upload-body.limiter';

export const UPLOAD_FIELD = 'upload_file';

/**
 * Runs around multer's FileInterceptor: refuses a declared oversized body before multer reads
 * it, answers at once when the body is cut for its size (multer would wait for an end that an
 * endless body never reaches), and gives multer's and busboy's refusals the upload's reasons.
 */
@Injectable()
export class UploadLimitsInterceptor implements NestInterceptor {
  constructor(
    private readonly limiter: UploadBodyLimiter,
    private readonly config: UploadConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    this.limiter.checkDeclared(req, res);
    const cut = this.limiter.watch(req, res);
    return race(next.handle(), from(cut)).pipe(
      catchError((err: unknown) => throwError(() => uploadErrorOf(err, UPLOAD_FIELD, this.config.maxFileSize))),
    );
  }
}
