import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';
import { UploadConfig } from '@app/config';
import { FileStorage, ImageRejectedError, ImageSnifferTransform, imageTypeOfName, StoredFileStream } from '@app/storage';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UploadMessages } from './upload-messages';

export interface StoredImage {
  stream: Readable;
  size: number;
  mime: string;
}

/**
 * Stores images: the bytes are sniffed on the way to storage, the stored name is a fresh UUID
 * with the extension of the detected type, and a refused stream leaves nothing stored. Knows
 * nothing of HTTP, so any transport can feed it a stream.
 */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);

  constructor(
    @Inject(FileStorage) private readonly storage: FileStorage,
    private readonly config: UploadConfig,
  ) {}

  /** Stores `file` if its bytes are a complete PNG, JPEG, GIF or WebP; resolves the stored name. */
  async store(file: Readable): Promise<string> {
    const sniffer = new ImageSnifferTransform({ maxBytes: this.config.maxFileSize });
    // Errors surface through the sniffer (`detected`, then the storage write), not here.
    const feeding = pipeline(file, sniffer).catch(() => undefined);
    try {
      const type = await sniffer.detected;
      const name = `${randomUUID()}.${type.ext}`;
      await this.storage.write(name, sniffer, type.mime);
      return name;
    } catch (err) {
      sniffer.destroy();
      throw this.refusal(err, sniffer);
    } finally {
      await feeding;
    }
  }

  /** Removes a stored image (an upload that failed after its file was stored). */
  async discard(name: string): Promise<void> {
    await this.storage.delete(name);
  }

  /** Opens a stored image by its public name; null for anything that is not one. */
  async open(name: string): Promise<StoredImage | null> {
    const type = imageTypeOfName(name);
    if (!type) return null;
    const file: StoredFileStream | null = await this.storage.open(name);
    return file && { stream: file.stream, size: file.size, mime: type.mime };
  }

  private refusal(err: unknown, sniffer: ImageSnifferTransform): Error {
    // A storage write may fail with a premature-close error while the real cause sits on the sniffer.
    const cause = err instanceof ImageRejectedError || err instanceof DomainError ? err : (sniffer.errored ?? err);
    if (cause instanceof DomainError) return cause;
    if (cause instanceof ImageRejectedError) {
      switch (cause.reason) {
        case 'empty':
          return new DomainError(ErrorCode.UploadMissingFile, UploadMessages.emptyFile());
        case 'not_image':
          return new DomainError(ErrorCode.UploadNotImage, UploadMessages.notImage());
        case 'truncated':
          return new DomainError(ErrorCode.UploadNotImage, UploadMessages.damaged(cause.message));
        case 'too_large':
          return new DomainError(ErrorCode.UploadTooLarge, UploadMessages.tooLarge(this.config.maxFileSize));
      }
    }
    // The storage itself failed (disk full, bucket unreachable): log the cause, answer generically.
    this.logger.error(`storing an upload failed in ${this.storage.describe()}: ${String((cause as Error)?.stack ?? cause)}`);
    return new DomainError(ErrorCode.StoreUnavailable, UploadMessages.storageUnavailable());
  }
}
