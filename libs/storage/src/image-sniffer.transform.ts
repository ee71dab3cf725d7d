import { Transform, TransformCallback } from 'node:stream';
import { IMAGE_TYPES, ImageType } from './image-type';

export type ImageRejection = 'empty' | 'not_image' | 'truncated' | 'too_large';

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
}

// Enough bytes to tell every accepted format apart (WebP needs RIFF + size + WEBP + first chunk).
const HEAD_BYTES = 16;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Passes bytes through unchanged while deciding, from the bytes alone, whether they are a
 * complete PNG, JPEG, GIF or WebP image. The type is known after the first 16 bytes (see
 * `detected`); completeness is checked on the way (PNG chunk walk) and at the end (JPEG EOI, GIF
 * trailer, RIFF size). Any refusal surfaces as an ImageRejectedError on the stream, before the
 * stream ends, so a consumer that commits only on a clean end never commits a bad file.
 * Memory use is constant: at most 16 head bytes and a few state bytes are held.
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
  private checker?: FormatChecker;

  constructor(options: ImageSnifferOptions = {}) {
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024 });
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
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

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.maxBytes) {
      return callback(this.refuse('too_large', `file is larger than ${this.maxBytes} bytes`));
    }
    if (this.checker) {
      const err = this.checker.feed(chunk);
      if (err) return callback(this.refuse('truncated', err));
      return callback(null, chunk);
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < HEAD_BYTES) return callback();
    const head = Buffer.concat(this.head, this.headLength);
    this.head = [];
    const err = this.start(head);
    if (err) return callback(err);
    callback(null, head);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.checker) {
      const head = Buffer.concat(this.head, this.headLength);
      if (head.length === 0) return callback(this.refuse('empty', 'the file is empty'));
      if (detectType(head)) return callback(this.refuse('truncated', 'the image ends too early'));
      return callback(this.refuse('not_image', 'the bytes are not a PNG, JPEG, GIF or WebP image'));
    }
    const err = this.checker.end();
    if (err) return callback(this.refuse('truncated', err));
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
    this.checker = checkerFor(type);
    const err = this.checker.feed(head);
    if (err) return this.refuse('truncated', err);
    this.resolveDetected(type);
    return undefined;
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

// Each checker sees every byte once, in order, and answers an error text or undefined.
interface FormatChecker {
  feed(chunk: Buffer): string | undefined;
  end(): string | undefined;
}

function checkerFor(type: ImageType): FormatChecker {
  switch (type.ext) {
    case 'png':
      return new PngChecker();
    case 'jpg':
      return new TailChecker([0xff, 0xd9], 'the JPEG has no end-of-image marker (FFD9): it is truncated', 4);
    case 'gif':
      return new TailChecker([0x3b], 'the GIF has no trailer byte (0x3B): it is truncated', 14);
    case 'webp':
      return new WebpChecker();
  }
}

/** The last bytes must equal `tail` (JPEG EOI, GIF trailer), and the file must be long enough. */
class TailChecker implements FormatChecker {
  private readonly last: number[] = [];
  private length = 0;

  constructor(
    private readonly tail: number[],
    private readonly message: string,
    private readonly minLength: number,
  ) {}

  feed(chunk: Buffer): undefined {
    this.length += chunk.length;
    const take = Math.min(chunk.length, this.tail.length);
    for (let i = chunk.length - take; i < chunk.length; i++) this.last.push(chunk[i]);
    if (this.last.length > this.tail.length) this.last.splice(0, this.last.length - this.tail.length);
    return undefined;
  }

  end(): string | undefined {
    if (this.length < this.minLength) return this.message;
    return this.tail.every((b, i) => this.last[i] === b) ? undefined : this.message;
  }
}

/** RIFF container: the size field must account for exactly the bytes that arrive. */
class WebpChecker implements FormatChecker {
  private expected = -1;
  private length = 0;

  feed(chunk: Buffer): string | undefined {
    if (this.expected < 0) this.expected = chunk.readUInt32LE(4) + 8; // first chunk is the 16-byte head
    this.length += chunk.length;
    if (this.length > this.expected) return 'the WebP has data beyond its RIFF size';
    return undefined;
  }

  end(): string | undefined {
    return this.length === this.expected ? undefined : 'the WebP is shorter than its RIFF size: it is truncated';
  }
}

/**
 * Walks the PNG chunk list without holding chunk data: signature, IHDR first, chunk by chunk up
 * to IEND, and nothing after it. CRCs are not checked (the decoder's job, and not a safety issue).
 */
class PngChecker implements FormatChecker {
  private offset = 0; // bytes consumed so far, including the signature
  private header = Buffer.alloc(8);
  private headerFill = 0;
  private skip = 0; // bytes of chunk data + CRC still to pass over
  private chunks = 0;
  private sawEnd = false;

  feed(chunk: Buffer): string | undefined {
    let i = 0;
    if (this.offset < 8) {
      const n = Math.min(8 - this.offset, chunk.length);
      i = n;
      this.offset += n;
    }
    while (i < chunk.length) {
      if (this.sawEnd && this.skip === 0) return 'the PNG has data after its IEND chunk';
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const n = Math.min(8 - this.headerFill, chunk.length - i);
      chunk.copy(this.header, this.headerFill, i, i + n);
      this.headerFill += n;
      i += n;
      if (this.headerFill < 8) break;
      this.headerFill = 0;
      const err = this.onChunkHeader(this.header.readUInt32BE(0), this.header.toString('latin1', 4, 8));
      if (err) return err;
    }
    return undefined;
  }

  end(): string | undefined {
    if (!this.sawEnd || this.skip > 0 || this.headerFill > 0) return 'the PNG ends before its IEND chunk: it is truncated';
    return undefined;
  }

  private onChunkHeader(length: number, type: string): string | undefined {
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) return 'the PNG has a malformed chunk';
    if (this.chunks === 0 && (type !== 'IHDR' || length !== 13)) return 'the PNG does not start with an IHDR chunk';
    this.chunks++;
    if (type === 'IEND') this.sawEnd = true;
    this.skip = length + 4;
    return undefined;
  }
}
