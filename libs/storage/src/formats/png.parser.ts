import { crc32 } from 'node:zlib';
import { orientationOnlyExif, readExifOrientation } from './exif-orientation';
import { FormatParserOptions, ImageFormatError, ImageFormatParser } from './image-format.parser';

// What a PNG needs to be displayed as it was: the critical chunks, transparency, colour
// (gamma, chromaticities, sRGB, ICC profile, significant bits, cICP/HDR), background, pixel
// size, and the APNG animation chunks. Text (tEXt, zTXt, iTXt), eXIf, tIME and private chunks go.
const KEPT = new Set([
  'IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'bKGD', 'pHYs',
  'acTL', 'fcTL', 'fdAT', 'cICP', 'mDCV', 'cLLI',
]);
const MAX_EXIF_CAPTURE = 0x10000;

type State = 'signature' | 'chunk' | 'end';

/**
 * PNG: signature, then chunks (length, type, data, CRC) from IHDR to IEND, nothing after it.
 * Reads the size from IHDR, the frame count from acTL (APNG) and the orientation from eXIf.
 * CRCs are not checked (the decoder's job, and no safety issue).
 */
export class PngParser extends ImageFormatParser {
  private state: State = 'signature';
  private chunks = 0;

  constructor(options: FormatParserOptions) {
    super(options);
  }

  protected override step(): boolean {
    if (this.state === 'signature') {
      if (!this.need(8)) return false;
      this.keep(8);
      this.state = 'chunk';
      return true;
    }
    if (!this.need(1)) return false;
    if (this.state === 'end') throw new ImageFormatError('truncated', 'the PNG has data after its IEND chunk');
    if (!this.need(8)) return false;
    const length = this.buf.readUInt32BE(this.pos);
    const type = this.buf.toString('latin1', this.pos + 4, this.pos + 8);
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) throw new ImageFormatError('truncated', 'the PNG has a malformed chunk');
    if (this.chunks === 0 && (type !== 'IHDR' || length !== 13)) {
      throw new ImageFormatError('truncated', 'the PNG does not start with an IHDR chunk');
    }
    const total = 12 + length;
    if (type === 'IHDR' || type === 'acTL') {
      if (!this.need(total)) return false;
      if (type === 'IHDR') {
        // Colour types 4 (grey + alpha) and 6 (RGBA) carry alpha; a tRNS chunk adds it to the others.
        const colourType = this.buf[this.pos + 17];
        this.setHeader({
          width: this.buf.readUInt32BE(this.pos + 8),
          height: this.buf.readUInt32BE(this.pos + 12),
          frames: 1,
          orientation: 1,
          alpha: colourType === 4 || colourType === 6,
        });
      } else if (this.info && length >= 8) {
        // The frame count of an APNG; the default image may or may not be its first frame.
        this.setFrames(Math.max(this.buf.readUInt32BE(this.pos + 8), 1));
      }
    }
    this.chunks++;
    if (type === 'tRNS' && this.info) this.info.alpha = true;
    if (type === 'IEND') this.state = 'end';
    if (type === 'eXIf' && length <= MAX_EXIF_CAPTURE) {
      if (!this.need(total)) return false;
      const orientation = readExifOrientation(this.buf.subarray(this.pos + 8, this.pos + 8 + length));
      if (this.info) this.info.orientation = orientation;
      if (!this.strip) {
        this.keep(total);
      } else {
        if (orientation !== 1) this.emit(pngChunk('eXIf', orientationOnlyExif(orientation)));
        this.drop(total);
      }
      return true;
    }
    this.pass(total, !this.strip || KEPT.has(type) ? 'keep' : 'drop');
    return true;
  }

  protected override complete(): boolean {
    return this.state === 'end';
  }

  protected override truncatedMessage(): string {
    return 'the PNG ends before its IEND chunk: it is truncated';
  }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return chunk;
}
