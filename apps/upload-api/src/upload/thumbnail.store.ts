import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { UploadConfig } from '@app/config';
import { FileStorage, ImageExtension, ImageHeader, ImageSnifferTransform, IMAGE_TYPES, isStoredImageName } from '@app/storage';
import { LRUCache } from 'lru-cache';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageWorkQueue, WorkTicket } from './image-work.queue';
import { ThumbnailMetrics } from './thumbnail-metrics';
import { ThumbnailService, UndecodableImageError } from './thumbnail.service';

const THUMB_NAME = /^(.{36})_thumb\.(jpg|png)$/;
// Where the image of a thumbnail may be, by the thumbnail's type: a JPEG thumbnail is made from
// an image without alpha (JPEG, opaque PNG or WebP), a PNG one from an image with alpha or a GIF.
const SOURCES: Record<string, ImageExtension[]> = { jpg: ['jpg', 'webp', 'png'], png: ['png', 'gif', 'webp'] };

/** The image of a thumbnail is not stored (never was, or was removed). */
export class ThumbnailSourceMissingError extends Error {
  constructor(thumbUri: string) {
    super(`no stored image for ${thumbUri}`);
    this.name = 'ThumbnailSourceMissingError';
  }
}

interface Render {
  done: Promise<void>;
  ticket: WorkTicket;
  cancelled: boolean;
}

/**
 * Makes and stores thumbnails after their upload was answered: in the background in a slot of
 * the work queue (at most UPLOAD_THUMBNAIL_BACKLOG waiting), or for the first request of one
 * that is not stored yet (that render goes first in the queue). Renders of one thumbnail are
 * shared: a request finds the render under way and waits for it, so concurrent requests make it
 * once in this process. Every render reads the image back from the storage, so it works after a
 * restart and with any storage; it parses the image's header again there for the orientation.
 * An image that cannot be decoded is remembered for a while, so its requests do not decode it
 * again and again.
 */
@Injectable()
export class ThumbnailStore implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ThumbnailStore.name);
  private readonly renders = new Map<string, Render>();
  private readonly undecodable = new LRUCache<string, string>({ max: 1000, ttl: 10 * 60_000 });
  private closing = false;

  constructor(
    @Inject(FileStorage) private readonly storage: FileStorage,
    private readonly config: UploadConfig,
    private readonly thumbnails: ThumbnailService,
    private readonly queue: ImageWorkQueue,
    private readonly metrics: ThumbnailMetrics,
  ) {
    metrics.readQueueFrom(() => queue.load);
  }

  /** True for a stored name of a thumbnail (`<uuid v4>_thumb.<jpg|png>`), and nothing else. */
  static isThumbnail(name: string): boolean {
    return isStoredImageName(name) && THUMB_NAME.test(name);
  }

  /** After an upload: makes the thumbnail in the background unless the backlog is full. */
  schedule(thumbUri: string, sourceUri: string): void {
    if (this.closing || this.renders.has(thumbUri)) return;
    if (this.queue.load.background >= this.config.thumbnailBacklog) {
      this.metrics.skipped.inc();
      return;
    }
    this.start(thumbUri, sourceUri, false).catch(() => undefined);
  }

  /**
   * Resolves once the thumbnail is stored: joins its render under way (moving it to the front of
   * the queue) or starts one. Rejects with UndecodableImageError, ThumbnailSourceMissingError or
   * the storage's error.
   */
  ensure(thumbUri: string): Promise<void> {
    const known = this.undecodable.get(thumbUri);
    if (known) return Promise.reject(new UndecodableImageError(known));
    const under = this.renders.get(thumbUri);
    if (under) {
      this.queue.promote(under.ticket);
      return under.done;
    }
    return this.start(thumbUri, undefined, true);
  }

  /**
   * An upload is being removed: its background render is dropped if it has not started, and
   * awaited if it has, so that nothing is stored after the removal.
   */
  async forget(thumbUri: string): Promise<void> {
    const under = this.renders.get(thumbUri);
    if (!under) return;
    under.cancelled = true;
    await under.done.catch(() => undefined);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const render of this.renders.values()) if (!render.ticket.urgent) render.cancelled = true;
    await Promise.all([...this.renders.values()].map((r) => r.done.catch(() => undefined)));
  }

  private start(thumbUri: string, sourceUri: string | undefined, urgent: boolean): Promise<void> {
    const render: Render = { ticket: { urgent }, cancelled: false, done: Promise.resolve() };
    render.done = this.queue
      .run(() => this.render(thumbUri, sourceUri, render), render.ticket)
      .finally(() => this.renders.delete(thumbUri));
    this.renders.set(thumbUri, render);
    return render.done;
  }

  private async render(thumbUri: string, sourceUri: string | undefined, render: Render): Promise<void> {
    if (render.cancelled) return;
    const trigger = render.ticket.urgent ? 'request' : 'background';
    try {
      const source = await this.readSource(thumbUri, sourceUri);
      const header = await headerOf(source.bytes);
      const type = IMAGE_TYPES[thumbUri.endsWith('.png') ? 'png' : 'jpg'];
      const thumb = await this.thumbnails.make(source.bytes, header.orientation, type);
      if (render.cancelled) return;
      await this.storage.write(thumbUri, Readable.from([thumb.bytes]), type.mime);
      this.metrics.renders.inc({ trigger, outcome: 'stored' });
    } catch (err) {
      if (err instanceof UndecodableImageError) {
        this.undecodable.set(thumbUri, err.message);
        this.metrics.renders.inc({ trigger, outcome: 'undecodable' });
        this.logger.warn(`the thumbnail ${thumbUri} cannot be made: ${err.message}`);
      } else if (!(err instanceof ThumbnailSourceMissingError)) {
        this.metrics.renders.inc({ trigger, outcome: 'failed' });
        this.logger.error(`making the thumbnail ${thumbUri} failed in ${this.storage.describe()}: ${String((err as Error)?.stack ?? err)}`);
      }
      throw err;
    }
  }

  private async readSource(thumbUri: string, known: string | undefined): Promise<{ uri: string; bytes: Buffer }> {
    const match = ThumbnailStore.isThumbnail(thumbUri) ? THUMB_NAME.exec(thumbUri) : null;
    if (!match) throw new ThumbnailSourceMissingError(thumbUri);
    const candidates = known ? [known] : SOURCES[match[2]].map((ext) => `${match[1]}.${ext}`);
    for (const uri of candidates) {
      const file = await this.storage.open(uri);
      if (!file) continue;
      const chunks: Buffer[] = [];
      for await (const chunk of file.stream as AsyncIterable<Buffer>) chunks.push(chunk);
      return { uri, bytes: Buffer.concat(chunks) };
    }
    throw new ThumbnailSourceMissingError(thumbUri);
  }
}

/** The header of a stored image, read by the same parser that checked it at upload. */
async function headerOf(bytes: Buffer): Promise<ImageHeader> {
  const sniffer = new ImageSnifferTransform();
  try {
    await pipeline(Readable.from([bytes]), sniffer, new Writable({ write: (_c, _e, done) => done() }));
  } catch (err) {
    throw new UndecodableImageError(err);
  }
  return sniffer.header!;
}
