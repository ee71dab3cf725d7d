import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';
import { UploadConfig } from '@app/config';
import type { Request, Response } from 'express';
import type { Writable } from 'node:stream';
import { UploadMessages } from './upload-messages';

// Room for the multipart framing around the file: boundaries, part headers, a few small fields.
export const ENVELOPE_ALLOWANCE = 64 * 1024;

interface Watch {
  res: Response;
  reject: (err: DomainError) => void;
  cut: Promise<never>;
}

/**
 * Bounds the request body of an upload, whether or not it declares its length: a declared
 * Content-Length over the limit is refused before anything is read, and an undeclared (chunked)
 * body is cut once it passes the limit. multer has no bound on the body itself (only on the file
 * and field sizes) and answers an error only once the body has ended, which an endless body never
 * does: the cut is reported through `watch()` so that the answer need not wait for multer.
 */
@Injectable()
export class UploadBodyLimiter {
  readonly bodyLimit: number;
  private readonly watches = new WeakMap<Request, Watch>();

  constructor(private readonly config: UploadConfig) {
    this.bodyLimit = config.maxFileSize + ENVELOPE_ALLOWANCE;
  }

  /** Throws when the declared length is over the limit; the answer then closes the connection. */
  checkDeclared(req: Request, res: Response): void {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.bodyLimit) {
      res.setHeader('Connection', 'close');
      throw this.tooLarge();
    }
  }

  /** A promise that rejects if the body of `req` is cut for its size (and never settles otherwise). */
  watch(req: Request, res: Response): Promise<never> {
    let reject!: (err: DomainError) => void;
    const cut = new Promise<never>((_resolve, rej) => (reject = rej));
    cut.catch(() => undefined);
    this.watches.set(req, { res, reject, cut });
    return cut;
  }

  /**
   * multer's `streamHandler`: feeds the body to busboy, counting it. Past the limit the parser
   * (and the file in flight, whose storage then removes what it wrote) fails, the rest of the
   * body is read and dropped, and the answer closes the connection.
   */
  readonly feed = (req: Request, parser: Writable): void => {
    let bytes = 0;
    let cut = false;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (cut || bytes <= this.bodyLimit) return;
      cut = true;
      const err = this.tooLarge();
      req.unpipe(parser);
      parser.destroy(err);
      const watch = this.watches.get(req);
      if (watch && !watch.res.headersSent) watch.res.setHeader('Connection', 'close');
      watch?.reject(err);
    });
    req.pipe(parser);
  };

  private tooLarge(): DomainError {
    return new DomainError(ErrorCode.UploadTooLarge, UploadMessages.tooLarge(this.config.maxFileSize));
  }
}
