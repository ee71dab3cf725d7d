import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';
import busboy, { Busboy } from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { UploadMessages } from './upload-messages';

/** The parts of an HTTP request the reader needs (an IncomingMessage in production). */
export type MultipartRequest = Readable & { headers: IncomingHttpHeaders; complete?: boolean };

export interface SingleFileOptions {
  /** The form field that must hold the file. */
  field: string;
  /** Largest accepted file, in bytes. */
  maxFileSize: number;
  /** Stores the file; must consume `file` and settle when it is stored or refused. */
  consume: (file: Readable) => Promise<string>;
  /** Removes what `consume` stored, when the request fails after it succeeded. */
  discard: (stored: string) => Promise<void>;
  /** Called when the answer must close the connection (the rest of the body will not be read). */
  closeConnection?: () => void;
}

// Room for the multipart framing around the file: boundaries, part headers, a few small fields.
export const ENVELOPE_ALLOWANCE = 64 * 1024;
// busboy bounds each part's header block at 16 KiB by itself (not configurable).
const LIMITS = { files: 2, fields: 8, fieldSize: 1024, parts: 10 } as const;
// Stream buffers along the way (parser, hand-over, sniffer, file): a few of these per upload,
// whatever the file size. 64 KiB matches what a socket read delivers, so chunks pass unsplit.
const STREAM_HWM = 64 * 1024;

/**
 * Streams a multipart/form-data request through busboy and hands the single file part to a
 * consumer, never buffering it. Settles only when the whole request has been read (or refused)
 * and the consumer has settled, so an answer never races the body; when anything failed, what the
 * consumer stored is discarded before the error is thrown. The body read is bounded: a declared
 * Content-Length over the limit is refused before reading, and an undeclared (chunked) body is cut
 * once it passes the limit.
 */
@Injectable()
export class MultipartUploadReader {
  readSingleFile(req: MultipartRequest, options: SingleFileOptions): Promise<string> {
    const { field, maxFileSize } = options;
    const bodyLimit = maxFileSize + ENVELOPE_ALLOWANCE;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > bodyLimit) {
      options.closeConnection?.();
      return Promise.reject(new DomainError(ErrorCode.UploadTooLarge, UploadMessages.tooLarge(maxFileSize)));
    }

    let parser: Busboy;
    try {
      // One byte over the limit lets the consumer see the overflow (busboy flags a file that
      // merely reaches `fileSize` as truncated).
      parser = busboy({
        headers: req.headers,
        highWaterMark: STREAM_HWM,
        fileHwm: STREAM_HWM,
        limits: { ...LIMITS, fileSize: maxFileSize + 1 },
      });
    } catch {
      return Promise.reject(new DomainError(ErrorCode.UploadInvalid, UploadMessages.notMultipart(field)));
    }

    return new Promise<string>((resolve, reject) => {
      let failure: Error | undefined;
      let fileSeen = false;
      let consuming: Promise<{ stored?: string; error?: unknown }> | undefined;
      let parsed = false;
      let settled = false;
      let bodyBytes = 0;

      const fail = (err: Error) => {
        failure ??= err;
      };

      const finish = async () => {
        if (settled) return;
        settled = true;
        const outcome = consuming ? await consuming : undefined;
        if (failure || outcome?.error) {
          if (outcome?.stored) await options.discard(outcome.stored).catch(() => undefined);
          reject(failure ?? outcome!.error);
          return;
        }
        if (!outcome?.stored) {
          reject(new DomainError(ErrorCode.UploadMissingFile, UploadMessages.missingFile(field)));
          return;
        }
        resolve(outcome.stored);
      };

      // Gives up on the body: the parser (and the file in flight) fail, and the rest of the body
      // is read and dropped so that a keep-alive connection stays usable for the answer.
      const stopParsing = (err: Error) => {
        if (parsed) return;
        parsed = true;
        req.unpipe(parser);
        req.resume();
        parser.destroy(err);
        void finish();
      };

      // Bounds what is read, whether or not a Content-Length was declared.
      req.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (bodyBytes <= bodyLimit) return;
        fail(new DomainError(ErrorCode.UploadTooLarge, UploadMessages.tooLarge(maxFileSize)));
        options.closeConnection?.();
        stopParsing(failure!);
      });

      parser.on('file', (name, stream) => {
        if (name !== field) {
          fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.unexpectedFileField(name, field)));
          stream.resume();
          return;
        }
        if (fileSeen) {
          fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.oneFileOnly(field)));
          stream.resume();
          return;
        }
        fileSeen = true;
        consuming = this.feed(stream, maxFileSize, options.consume).then(
          (stored) => ({ stored }),
          (error: unknown) => ({ error }),
        );
      });
      // A part without a file name is a plain form field to busboy (as to browsers and Spring).
      parser.on('field', (name) => {
        if (name === field) fail(new DomainError(ErrorCode.UploadMissingFile, UploadMessages.notAFilePart(field)));
      });
      parser.on('filesLimit', () => fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.oneFileOnly(field))));
      parser.on('fieldsLimit', () => fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.tooManyFields())));
      parser.on('partsLimit', () => fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.tooManyFields())));
      parser.on('error', (err: Error) => {
        fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.malformed(err.message)));
        stopParsing(failure!);
      });
      parser.on('close', () => {
        parsed = true;
        void finish();
      });

      // A client that goes away mid-body: nothing may stay behind, and nobody is left to answer.
      req.on('close', () => {
        const cutOff = req.complete !== undefined ? !req.complete : !req.readableEnded;
        if (!cutOff) return;
        fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.cutOff()));
        stopParsing(failure!);
      });
      req.on('error', () => {
        fail(new DomainError(ErrorCode.UploadInvalid, UploadMessages.cutOff()));
        stopParsing(failure!);
      });

      req.pipe(parser);
    });
  }

  /**
   * Hands busboy's file stream to the consumer through a pass-through, so that a consumer that
   * gives up early never destroys busboy's own stream (which would stall the parser): the rest of
   * the file is then drained and dropped instead.
   */
  private feed(stream: Readable & { truncated?: boolean }, maxFileSize: number, consume: (file: Readable) => Promise<string>) {
    const file = new PassThrough({ highWaterMark: STREAM_HWM });
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      stream.unpipe(file);
      stream.resume();
    };
    stream.on('limit', () => file.destroy(new DomainError(ErrorCode.UploadTooLarge, UploadMessages.tooLarge(maxFileSize))));
    // busboy errors the file stream when the body ends inside it or the form is malformed.
    stream.on('error', (err) =>
      file.destroy(err instanceof DomainError ? err : new DomainError(ErrorCode.UploadInvalid, UploadMessages.malformed(err.message))),
    );
    file.on('close', release);
    stream.pipe(file);
    return consume(file);
  }
}
