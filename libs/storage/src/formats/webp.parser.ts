import { orientationOnlyExif, readExifOrientation } from './exif-orientation';
import { FormatParserOptions, ImageFormatError, ImageFormatParser } from './image-format.parser';

// Chunks a WebP needs to be displayed: the bitstreams, alpha, animation and the ICC profile.
const KEPT = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
const VP8X_XMP = 0x04;
const VP8X_ALPHA = 0x10;
const MAX_EXIF_CAPTURE = 0x10000;

type State = 'riff' | 'chunk';

/**
 * WebP: a RIFF container whose size must account for exactly the bytes received, holding a
 * VP8/VP8L bitstream, or VP8X with optional ICC, animation frames, alpha, EXIF and XMP. Reads the
 * size from VP8X (the canvas) or the bitstream header, counts ANMF frames, and reads the
 * orientation from EXIF.
 *
 * Stripping keeps the file's length: the RIFF size comes first, and what is dropped (EXIF, XMP,
 * unknown chunks) usually comes last, so removing it would mean holding the whole file. Instead
 * such a chunk becomes a `JUNK` chunk of zeros, which decoders skip like any unknown chunk, and
 * the orientation is written back as an EXIF holding only that tag.
 */
export class WebpParser extends ImageFormatParser {
  private state: State = 'riff';
  private expected = 0;
  private received = 0;
  private head = Buffer.alloc(0);

  constructor(options: FormatParserOptions) {
    super(options);
  }

  override feed(chunk: Buffer, out: Buffer[]): void {
    if (this.expected === 0) {
      // The RIFF size is in bytes 4..7, whatever the chunking.
      this.head = Buffer.concat([this.head, chunk.subarray(0, 8 - this.head.length)]);
      if (this.head.length === 8) this.expected = this.head.readUInt32LE(4) + 8;
    }
    this.received += chunk.length;
    if (this.expected > 0 && this.received > this.expected) {
      throw new ImageFormatError('truncated', 'the WebP has data beyond its RIFF size');
    }
    super.feed(chunk, out);
  }

  protected override step(): boolean {
    if (this.state === 'riff') {
      if (!this.need(12)) return false;
      this.keep(12);
      this.state = 'chunk';
      return true;
    }
    if (!this.need(8)) return false;
    const type = this.buf.toString('latin1', this.pos, this.pos + 4);
    const size = this.buf.readUInt32LE(this.pos + 4);
    const total = 8 + size + (size & 1);
    switch (type) {
      case 'VP8X':
        return this.extended(total);
      case 'VP8 ':
        return this.bitstream(total, 10, () => ({
          ok: this.buf[this.pos + 11] === 0x9d && this.buf[this.pos + 12] === 0x01 && this.buf[this.pos + 13] === 0x2a,
          width: this.buf.readUInt16LE(this.pos + 14) & 0x3fff,
          height: this.buf.readUInt16LE(this.pos + 16) & 0x3fff,
          alpha: false,
        }));
      case 'VP8L':
        return this.bitstream(total, 5, () => {
          const bits = this.buf.readUInt32LE(this.pos + 9);
          return {
            ok: this.buf[this.pos + 8] === 0x2f,
            width: (bits & 0x3fff) + 1,
            height: ((bits >>> 14) & 0x3fff) + 1,
            alpha: ((bits >>> 28) & 1) === 1,
          };
        });
      case 'ANMF': {
        if (!this.need(8 + 12)) return false;
        if (!this.info) throw new ImageFormatError('truncated', 'the WebP has an animation frame without a VP8X header');
        this.checkPixels(1 + this.buf.readUIntLE(this.pos + 14, 3), 1 + this.buf.readUIntLE(this.pos + 17, 3), 'a frame of the WebP');
        this.countFrame();
        this.pass(total, 'keep');
        return true;
      }
      case 'EXIF':
        return this.exif(total, size);
    }
    if (!this.strip || KEPT.has(type)) this.pass(total, 'keep');
    else this.junk(total);
    return true;
  }

  protected override complete(): boolean {
    return this.received === this.expected && this.info !== undefined;
  }

  protected override truncatedMessage(): string {
    return 'the WebP is shorter than its RIFF size: it is truncated';
  }

  private extended(total: number): boolean {
    if (!this.need(8 + 10)) return false;
    const flags = this.buf[this.pos + 8];
    const width = 1 + this.buf.readUIntLE(this.pos + 12, 3);
    const height = 1 + this.buf.readUIntLE(this.pos + 15, 3);
    const animated = (flags & 0x02) !== 0;
    this.setHeader({ width, height, frames: animated ? 0 : 1, orientation: 1, alpha: (flags & VP8X_ALPHA) !== 0 });
    if (this.strip) {
      // XMP goes; the EXIF flag stays, since an EXIF with the orientation alone is written back.
      const head = Buffer.from(this.buf.subarray(this.pos, this.pos + 18));
      head[8] = flags & ~VP8X_XMP;
      this.emit(head);
      this.drop(18);
      this.pass(total - 18, 'keep');
    } else {
      this.pass(total, 'keep');
    }
    return true;
  }

  private bitstream(total: number, headBytes: number, read: () => { ok: boolean; width: number; height: number; alpha: boolean }): boolean {
    if (!this.need(8 + headBytes)) return false;
    const head = read();
    if (!head.ok) throw new ImageFormatError('truncated', 'the WebP has a malformed bitstream header');
    // In a VP8X file the canvas decides; a simple file's size is its bitstream's.
    if (!this.info) this.setHeader({ width: head.width, height: head.height, frames: 1, orientation: 1, alpha: head.alpha });
    this.pass(total, 'keep');
    return true;
  }

  private exif(total: number, size: number): boolean {
    if (size > MAX_EXIF_CAPTURE) {
      if (this.strip) this.junk(total);
      else this.pass(total, 'keep');
      return true;
    }
    if (!this.need(total)) return false;
    const orientation = readExifOrientation(this.buf.subarray(this.pos + 8, this.pos + 8 + size));
    if (this.info) this.info.orientation = orientation;
    if (!this.strip) {
      this.keep(total);
      return true;
    }
    // All `total` bytes are at hand: an EXIF with the orientation alone, JUNK for the rest.
    const tiff = orientationOnlyExif(orientation);
    const replacement = 8 + tiff.length;
    if (total === replacement || total >= replacement + 8) {
      const exif = Buffer.alloc(replacement);
      exif.write('EXIF', 0, 'latin1');
      exif.writeUInt32LE(tiff.length, 4);
      tiff.copy(exif, 8);
      this.emit(exif);
      if (total > replacement) this.emit(junkChunk(total - replacement));
    } else {
      this.emit(junkChunk(total));
    }
    this.drop(total);
    return true;
  }

  // Replaces the chunk at `pos` (its 8-byte header at hand) by a JUNK chunk of zeros, as long.
  private junk(total: number): void {
    const head = Buffer.alloc(8);
    head.write('JUNK', 0, 'latin1');
    head.writeUInt32LE(total - 8, 4);
    this.emit(head);
    this.drop(8);
    this.pass(total - 8, 'zero');
  }
}

function junkChunk(total: number): Buffer {
  const chunk = Buffer.alloc(total);
  chunk.write('JUNK', 0, 'latin1');
  chunk.writeUInt32LE(total - 8, 4);
  return chunk;
}
