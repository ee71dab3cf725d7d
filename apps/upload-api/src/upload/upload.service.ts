import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';
import { UploadConfig } from '@app/config';
import {
  FileStorage,
  ImageHeader,
  ImageLimits,
  ImageRejectedError,
  ImageSnifferTransform,
  imageTypeOfName,
  StoredFileStream,
  swapsAxes,
} from '@app/storage';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { thumbnailType } from './thumbnail.service';
import { ThumbnailStore } from './thumbnail.store';
import { UploadMessages } from './upload-messages';

export interface StoredImage {
  stream: Readable;
  size: number;
  mime: string;
}

/** What one upload stored. */
export interface StoredUpload {
  /** The image, without its metadata. */
  uri: string;
  /** Its thumbnail. */
  thumbUri: string;
  /** Size as displayed, after the orientation: what a chat bubble reserves. */
  width: number;
  height: number;
}

/**
 * Stores images: the bytes are checked and stripped of their metadata on the way to storage
 * (EXIF, XMP, IPTC, comments, text chunks; the orientation stays as the only tag), the stored
 * name is a fresh UUID with the extension of the detected type. The thumbnail is named at once
 * (its type follows from the header) and made after the answer, from what was stored
 * (ThumbnailStore). A refused stream leaves nothing stored. Knows nothing of HTTP, so any
 * transport can feed it a stream.
 */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);
  private readonly limits: ImageLimits;

  constructor(
    @Inject(FileStorage) private readonly storage: FileStorage,
    private readonly config: UploadConfig,
    private readonly thumbnails: ThumbnailStore,
  ) {
    this.limits = { maxPixels: config.maxPixels, maxAnimationPixels: config.maxAnimationPixels, maxFrames: config.maxFrames };
  }

  /**
   * Stores `file` if its bytes are a complete PNG, JPEG, GIF or WebP image; its thumbnail is named
   * in the answer and made afterwards (see ThumbnailStore).
   */
  async store(file: Readable): Promise<StoredUpload> {
    const id = randomUUID();
    const { uri, header } = await this.storeImage(file, id);
    const thumbUri = `${id}_thumb.${thumbnailType(header.alpha).ext}`;
    // After the answer is on its way: the render reads the image back in a slot of the queue.
    setImmediate(() => this.thumbnails.schedule(thumbUri, uri));
    const [width, height] = swapsAxes(header.orientation) ? [header.height, header.width] : [header.width, header.height];
    return { uri, thumbUri, width, height };
  }

  /** Removes what an upload stored (an upload that failed after its file was stored). */
  async discard(stored: Pick<StoredUpload, 'uri' | 'thumbUri'>): Promise<void> {
    await this.thumbnails.forget(stored.thumbUri);
    await Promise.all([this.storage.delete(stored.uri), this.storage.delete(stored.thumbUri)]);
  }

  /** Opens a stored image or thumbnail by its public name; null for anything that is not one. */
  async open(name: string): Promise<StoredImage | null> {
    const type = imageTypeOfName(name);
    if (!type) return null;
    const file: StoredFileStream | null = await this.storage.open(name);
    return file && { stream: file.stream, size: file.size, mime: type.mime };
  }

  private async storeImage(file: Readable, id: string): Promise<{ uri: string; header: ImageHeader }> {
    const sniffer = new ImageSnifferTransform({ maxBytes: this.config.maxFileSize, limits: this.limits, stripMetadata: true });
    // Errors surface through the sniffer (`detected`, then the storage write), not here.
    const feeding = pipeline(file, sniffer).catch(() => undefined);
    try {
      const type = await sniffer.detected;
      const uri = `${id}.${type.ext}`;
      await this.storage.write(uri, sniffer, type.mime);
      return { uri, header: sniffer.header! };
    } catch (err) {
      sniffer.destroy();
      throw this.refusal(err, sniffer);
    } finally {
      await feeding;
    }
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
        case 'too_many_pixels':
          return new DomainError(ErrorCode.UploadTooLarge, UploadMessages.tooManyPixels(cause.message));
      }
    }
    return this.storageFailure(cause);
  }

  // The storage itself failed (disk full, bucket unreachable): log the cause, answer generically.
  private storageFailure(cause: unknown): DomainError {
    if (cause instanceof DomainError) return cause;
    this.logger.error(`storing an upload failed in ${this.storage.describe()}: ${String((cause as Error)?.stack ?? cause)}`);
    return new DomainError(ErrorCode.StoreUnavailable, UploadMessages.storageUnavailable());
  }
}
