import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { PassThrough, Readable } from 'node:stream';
import { UploadMessages } from './upload-messages';
import { StoredUpload, UploadService } from './upload.service';

/** The file multer hands the controller: what the upload stored. */
export interface UploadedImage extends Express.Multer.File {
  stored: StoredUpload;
}

// 64 KiB matches what a socket read delivers, so chunks pass unsplit.
const STREAM_HWM = 64 * 1024;

/**
 * multer's storage engine for images: the file part streams into UploadService (checked,
 * stripped of metadata, stored, thumbnailed) and never touches a temporary file of multer's.
 * multer removes what was stored through `_removeFile` when the request fails afterwards (a
 * second file part, a malformed end of the form).
 */
@Injectable()
export class ImageStorageEngine implements StorageEngine {
  constructor(private readonly uploads: UploadService) {}

  _handleFile(_req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<UploadedImage>) => void): void {
    this.uploads.store(isolate(file.stream)).then(
      (stored) => callback(null, { stored }),
      (err: unknown) => callback(err),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const { stored } = file as UploadedImage;
    if (!stored) return callback(null);
    this.uploads.discard(stored).then(
      () => callback(null),
      (err: Error) => callback(err),
    );
  }
}

/**
 * Hands busboy's file stream on through a pass-through, so that a consumer that gives up early
 * never destroys busboy's own stream (multer would take that stream's error for the request's):
 * the rest of the file is then drained and dropped instead. busboy's errors (the body ends
 * inside the file, the form is malformed, the body is cut for its size) reach the consumer.
 */
function isolate(stream: Readable): Readable {
  const file = new PassThrough({ highWaterMark: STREAM_HWM });
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    stream.unpipe(file);
    stream.resume();
  };
  stream.on('error', (err) =>
    file.destroy(err instanceof DomainError ? err : new DomainError(ErrorCode.UploadInvalid, UploadMessages.malformed(err.message))),
  );
  file.on('close', release);
  stream.pipe(file);
  return file;
}
