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
import { ImageWorkQueue } from './image-work.queue';
import { ThumbnailService, UndecodableImageError } from './thumbnail.service';
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
 * name is a fresh UUID with the extension of the detected type, then a thumbnail is made from
 * what was stored. A refused stream leaves nothing stored. Knows nothing of HTTP, so any
 * transport can feed it a stream.
 */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);
  private readonly limits: ImageLimits;

  constructor(
    @Inject(FileStorage) private readonly storage: FileStorage,
    private readonly config: UploadConfig,
    private readonly thumbnails: ThumbnailService,
    private readonly queue: ImageWorkQueue,
  ) {
    this.limits = { maxPixels: config.maxPixels, maxAnimationPixels: config.maxAnimationPixels, maxFrames: config.maxFrames };
  }

  /** Stores `file` if its bytes are a complete PNG, JPEG, GIF or WebP, with its thumbnail. */
  async store(file: Readable): Promise<StoredUpload> {
    const id = randomUUID();
    const { uri, header } = await this.storeImage(file, id);
    try {
      const thumbUri = await this.storeThumbnail(uri, id, header);
      const [width, height] = swapsAxes(header.orientation) ? [header.height, header.width] : [header.width, header.height];
      return { uri, thumbUri, width, height };
    } catch (err) {
      await this.storage.delete(uri).catch(() => undefined);
      throw err;
    }
  }

  /** Removes what an upload stored (an upload that failed after its file was stored). */
  async discard(stored: Pick<StoredUpload, 'uri' | 'thumbUri'>): Promise<void> {
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

  // The thumbnail is made from what was stored, read back in a slot of the work queue: memory
  // is bounded by the queue, not by how many uploads arrive at once.
  private async storeThumbnail(uri: string, id: string, header: ImageHeader): Promise<string> {
    let thumbUri: string | undefined;
    try {
      const thumb = await this.queue.run(async () => this.thumbnails.make(await this.readStored(uri), header.orientation));
      thumbUri = `${id}_thumb.${thumb.type.ext}`;
      await this.storage.write(thumbUri, Readable.from([thumb.bytes]), thumb.type.mime);
      return thumbUri;
    } catch (err) {
      if (err instanceof UndecodableImageError) {
        throw new DomainError(ErrorCode.UploadNotImage, UploadMessages.damaged('its pixel data cannot be decoded'));
      }
      throw this.storageFailure(err);
    }
  }

  private async readStored(uri: string): Promise<Buffer> {
    const file = await this.storage.open(uri);
    if (!file) throw new Error(`${uri} vanished from ${this.storage.describe()} right after it was stored`);
    const chunks: Buffer[] = [];
    for await (const chunk of file.stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
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
