// What every format parser shares: a push parser that sees each byte once, in order, holding only
// the few bytes of a structure that straddles two chunks, and writes what it keeps to `out`.

/** Bounds that refuse decompression bombs from the header, before any pixel is decoded. */
export interface ImageLimits {
  /** Pixels of a still image, or of one frame (and the canvas) of an animation. */
  maxPixels: number;
  /** Pixels of all frames of an animation together. */
  maxAnimationPixels: number;
  /** Frames of an animation. */
  maxFrames: number;
}

export const NO_LIMITS: ImageLimits = {
  maxPixels: Number.POSITIVE_INFINITY,
  maxAnimationPixels: Number.POSITIVE_INFINITY,
  maxFrames: Number.POSITIVE_INFINITY,
};

/** What the header says, as stored (before the orientation is applied). */
export interface ImageHeader {
  width: number;
  height: number;
  /** 1 for a still image. */
  frames: number;
  /** EXIF orientation, 1 (upright) to 8; 1 when there is none. */
  orientation: number;
  /**
   * Whether libvips decodes the image with an alpha channel, as far as the structure tells:
   * PNG colour types with alpha or a tRNS chunk, WebP's alpha flag (VP8X) or bit (VP8L), every
   * GIF (libvips decodes GIF to RGBA), never JPEG. Decides the thumbnail's type before any decode.
   */
  alpha: boolean;
}

export type FormatRejection = 'truncated' | 'too_many_pixels';

export class ImageFormatError extends Error {
  constructor(
    readonly reason: FormatRejection,
    detail: string,
  ) {
    super(detail);
    this.name = 'ImageFormatError';
  }
}

export interface FormatParserOptions {
  /** Drop metadata from the output; otherwise every byte is passed on unchanged. */
  strip: boolean;
  limits: ImageLimits;
}

const EMPTY = Buffer.alloc(0);

type Skip = 'keep' | 'drop' | 'zero';

/**
 * Base of the format parsers. A subclass's `step()` looks at `buf` from `pos`, consumes a
 * structure (keep, drop, replace, or pass over a long body with `pass`) and answers true, or
 * answers false after `need(n)` when it must see more bytes first. Bytes are only copied when a
 * structure straddles chunks; long bodies (scan data, IDAT, LZW blocks) pass as views.
 */
export abstract class ImageFormatParser {
  protected buf: Buffer = EMPTY;
  protected pos = 0;
  protected readonly strip: boolean;
  protected readonly limits: ImageLimits;
  protected info?: ImageHeader;
  private parts: Buffer[] = [];
  private partsLength = 0;
  private wanted = 0;
  private skipLeft = 0;
  private skipMode: Skip = 'keep';
  private out: Buffer[] = [];

  constructor(options: FormatParserOptions) {
    this.strip = options.strip;
    this.limits = options.limits;
  }

  /** Known once the header was parsed. */
  get header(): ImageHeader | undefined {
    return this.info;
  }

  /** Consumes `chunk`; what is kept is pushed to `out`. Throws ImageFormatError. */
  feed(chunk: Buffer, out: Buffer[]): void {
    this.out = out;
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    if (this.skipLeft === 0 && this.partsLength < this.wanted) return;
    this.buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    this.wanted = 0;
    this.pos = 0;
    for (;;) {
      if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, this.buf.length - this.pos);
        if (n === 0) break;
        if (this.skipMode === 'keep') out.push(this.buf.subarray(this.pos, this.pos + n));
        else if (this.skipMode === 'zero') out.push(Buffer.alloc(n));
        this.pos += n;
        this.skipLeft -= n;
        continue;
      }
      if (!this.step()) break;
    }
    if (this.pos < this.buf.length) {
      this.parts = [this.buf.subarray(this.pos)];
      this.partsLength = this.buf.length - this.pos;
    }
    this.buf = EMPTY;
  }

  /** The stream ended: throws unless the image is complete. */
  end(out: Buffer[]): void {
    this.out = out;
    if (this.skipLeft > 0 || this.partsLength > 0 || !this.complete()) {
      throw new ImageFormatError('truncated', this.truncatedMessage());
    }
  }

  protected abstract step(): boolean;
  protected abstract complete(): boolean;
  protected abstract truncatedMessage(): string;

  protected avail(): number {
    return this.buf.length - this.pos;
  }

  /** True when `n` bytes are available from `pos`; otherwise asks for them. */
  protected need(n: number): boolean {
    if (this.avail() >= n) return true;
    this.wanted = n;
    return false;
  }

  /** Consumes `n` available bytes, passing them on. */
  protected keep(n: number): void {
    if (n > 0) this.out.push(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
  }

  /** Consumes `n` available bytes without passing them on. */
  protected drop(n: number): void {
    this.pos += n;
  }

  /** Passes `bytes` on in place of what was consumed. */
  protected emit(bytes: Buffer): void {
    this.out.push(bytes);
  }

  /** Consumes the next `n` bytes, available or not yet: kept, dropped, or replaced by zeros. */
  protected pass(n: number, mode: Skip): void {
    this.skipLeft = n;
    this.skipMode = mode;
  }

  /** Records the header and refuses it when it announces too many pixels. */
  protected setHeader(header: ImageHeader): void {
    this.info = header;
    this.checkPixels(header.width, header.height, 'the image');
  }

  protected checkPixels(width: number, height: number, what: string): void {
    const pixels = width * height;
    if (pixels > this.limits.maxPixels) {
      throw new ImageFormatError(
        'too_many_pixels',
        `${what} is ${width} x ${height} = ${pixels} pixels, more than the limit of ${this.limits.maxPixels}`,
      );
    }
  }

  /** Counts one more frame of an animation against the frame and animation pixel limits. */
  protected countFrame(): void {
    this.setFrames(this.info!.frames + 1);
  }

  /** Sets the frame count an animation announces, against the frame and animation pixel limits. */
  protected setFrames(frames: number): void {
    const info = this.info!;
    info.frames = frames;
    if (info.frames > this.limits.maxFrames) {
      throw new ImageFormatError('too_many_pixels', `the animation has more than ${this.limits.maxFrames} frames`);
    }
    const total = info.frames * info.width * info.height;
    if (total > this.limits.maxAnimationPixels) {
      throw new ImageFormatError(
        'too_many_pixels',
        `the animation has ${info.frames} frames of ${info.width} x ${info.height}, more than ${this.limits.maxAnimationPixels} pixels together`,
      );
    }
  }
}
