import { Transform, TransformCallback } from 'node:stream';
import {
  FormatParserOptions,
  GifParser,
  ImageFormatError,
  ImageFormatParser,
  ImageHeader,
  ImageLimits,
  JpegParser,
  NO_LIMITS,
  PngParser,
  WebpParser,
} from './formats';
import { IMAGE_TYPES, ImageType } from './image-type';

export type ImageRejection = 'empty' | 'not_image' | 'truncated' | 'too_large' | 'too_many_pixels';

/** Why a byte stream is not accepted as an image. Thrown through the stream as its error. */
export class ImageRejectedError extends Error {
  constructor(
    readonly reason: ImageRejection,
    detail: string,
  ) {
    super(detail);
    this.name = 'ImageRejectedError';
  }
}

export interface ImageSnifferOptions {
  /** Refuse the stream as soon as it grows past this many bytes. */
  maxBytes?: number;
  /** Stream buffer size on each side (default 64 KiB, a socket read's worth). */
  highWaterMark?: number;
  /** Refuse images whose header announces more pixels or frames (default: no limit). */
  limits?: ImageLimits;
  /** Pass on the image without its metadata (default: every byte unchanged). */
  stripMetadata?: boolean;
}

// Enough bytes to tell every accepted format apart (WebP needs RIFF + size + WEBP + first chunk).
const HEAD_BYTES = 16;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Decides, from the bytes alone, whether they are a complete PNG, JPEG, GIF or WebP image, and
 * passes them on: unchanged, or without their metadata (`stripMetadata`). The type is known after
 * the first 16 bytes (see `detected`); the structure is walked on the way by the format's parser
 * (`formats/`), which also reads the header (`header`: size, frames, orientation) and refuses
 * images over the pixel limits as soon as their header arrives, before anything decodes them.
 * Any refusal surfaces as an ImageRejectedError on the stream, before the stream ends, so a
 * consumer that commits only on a clean end never commits a bad file. Memory use is constant:
 * at most one marker segment (64 KiB) of a JPEG, or a few header bytes, is held.
 */
export class ImageSnifferTransform extends Transform {
  /** Resolves with the detected type, or rejects with the reason the stream was refused. */
  readonly detected: Promise<ImageType>;
  private resolveDetected!: (type: ImageType) => void;
  private rejectDetected!: (err: Error) => void;

  private readonly maxBytes: number;
  private total = 0;
  private head: Buffer[] = [];
  private headLength = 0;
  private type?: ImageType;
  private parser?: ImageFormatParser;
  private readonly parserOptions: FormatParserOptions;

  constructor(options: ImageSnifferOptions = {}) {
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024 });
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.parserOptions = { strip: options.stripMetadata ?? false, limits: options.limits ?? NO_LIMITS };
    this.detected = new Promise<ImageType>((resolve, reject) => {
      this.resolveDetected = resolve;
      this.rejectDetected = reject;
    });
    // Callers may only look at the stream's error; don't let the promise crash the process.
    this.detected.catch(() => undefined);
  }

  get detectedType(): ImageType | undefined {
    return this.type;
  }

  /** The header as parsed so far; complete once the stream ended cleanly. */
  get header(): ImageHeader | undefined {
    return this.parser?.header;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.maxBytes) {
      return callback(this.refuse('too_large', `file is larger than ${this.maxBytes} bytes`));
    }
    if (this.parser) return callback(this.parse(chunk));
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < HEAD_BYTES) return callback();
    const head = Buffer.concat(this.head, this.headLength);
    this.head = [];
    const err = this.start(head);
    if (err) return callback(err);
    callback(this.parse(head));
  }

  override _flush(callback: TransformCallback): void {
    if (!this.parser) {
      const head = Buffer.concat(this.head, this.headLength);
      if (head.length === 0) return callback(this.refuse('empty', 'the file is empty'));
      if (detectType(head)) return callback(this.refuse('truncated', 'the image ends too early'));
      return callback(this.refuse('not_image', 'the bytes are not a PNG, JPEG, GIF or WebP image'));
    }
    const out: Buffer[] = [];
    try {
      this.parser.end(out);
    } catch (err) {
      return callback(this.refusal(err));
    }
    for (const b of out) this.push(b);
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // A stream torn down from outside (client gone, size limit) also settles `detected`.
    if (!this.type) this.rejectDetected(err ?? new ImageRejectedError('truncated', 'the upload was cut off'));
    callback(err);
  }

  private start(head: Buffer): Error | undefined {
    const type = detectType(head);
    if (!type) return this.refuse('not_image', 'the bytes are not a PNG, JPEG, GIF or WebP image');
    this.type = type;
    this.parser = parserFor(type, this.parserOptions);
    this.resolveDetected(type);
    return undefined;
  }

  // Feeds the parser and passes on what it keeps; answers the refusal, if any.
  private parse(chunk: Buffer): Error | null {
    const out: Buffer[] = [];
    try {
      this.parser!.feed(chunk, out);
    } catch (err) {
      return this.refusal(err);
    }
    for (const b of out) this.push(b);
    return null;
  }

  private refusal(err: unknown): Error {
    if (err instanceof ImageFormatError) return this.refuse(err.reason, err.message);
    return err as Error;
  }

  private refuse(reason: ImageRejection, detail: string): ImageRejectedError {
    const err = new ImageRejectedError(reason, detail);
    this.rejectDetected(err);
    return err;
  }
}

/** The accepted image type these leading bytes announce, if any (needs 16 bytes for WebP). */
export function detectType(head: Buffer): ImageType | undefined {
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return IMAGE_TYPES.png;
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return IMAGE_TYPES.jpg;
  if (head.length >= 6) {
    const sig = head.toString('latin1', 0, 6);
    if (sig === 'GIF87a' || sig === 'GIF89a') return IMAGE_TYPES.gif;
  }
  if (head.length >= 16 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = head.toString('latin1', 12, 16);
    if (chunk === 'VP8 ' || chunk === 'VP8L' || chunk === 'VP8X') return IMAGE_TYPES.webp;
  }
  return undefined;
}

function parserFor(type: ImageType, options: FormatParserOptions): ImageFormatParser {
  switch (type.ext) {
    case 'png':
      return new PngParser(options);
    case 'jpg':
      return new JpegParser(options);
    case 'gif':
      return new GifParser(options);
    case 'webp':
      return new WebpParser(options);
  }
}
