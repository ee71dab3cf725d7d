import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { describeBodyError } from './body-error';
import { DomainError, ErrorCode } from './domain-error';

const logger = new Logger('HttpErrors');

/**
 * Express error middleware right after the body parsers: a body they refused (too large, too
 * many fields, bad encoding, malformed JSON) is the client's mistake, so it goes on as a
 * DomainError with the reason (the envelope filter answers it, HTTP 200) and is logged as one
 * warn line. Done here because Nest turns a JSON SyntaxError into a bare 400 and loses its kind.
 */
export function refuseBadBodies(error: unknown, req: Request, _res: Response, next: NextFunction): void {
  const refused = describeBodyError(error);
  if (!refused) return next(error);
  // The path only: a query string may carry a token.
  logger.warn(`request body refused (${refused.kind}): ${req.method} ${req.path}: ${refused.reason}`);
  next(new DomainError(ErrorCode.InvalidBody, refused.reason));
}
