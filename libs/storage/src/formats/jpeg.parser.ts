import { orientationOnlyExif, readExifOrientation } from './exif-orientation';
import { FormatParserOptions, ImageFormatError, ImageFormatParser, NO_LIMITS } from './image-format.parser';

// A progressive JPEG has about ten scans; each scan is a pass over the whole image for a decoder,
// so thousands of tiny scans are a CPU bomb in a small file (libjpeg-turbo bounds them too).
const MAX_SCANS = 100;
// APP1 bodies we read for the orientation; larger ones (an EXIF with a huge maker note) are
// dropped without being read.
const MAX_CAPTURE = 0x10000 + 4;

const EXIF_ID = 'Exif\0\0';
const ICC_ID = 'ICC_PROFILE\0';
// An APP2 ICC chunk: marker, length, the id, its sequence number and the chunk count (1-based).
const ICC_CHUNK_HEAD = 4 + ICC_ID.length + 2;
// A colour profile of a photo is a few kilobytes; larger ones are dropped rather than held.
const MAX_ICC_BYTES = 1 << 20;

type State = 'soi' | 'marker' | 'scan' | 'done' | 'trailing';

/**
 * JPEG: SOI, marker segments (each with its length), entropy-coded scan data after each SOS,
 * and EOI. Reads the size from the SOF segment and the orientation from the first APP1 Exif
 * segment. When stripping, keeps only what decoding needs: frame, scan, table and restart
 * segments, a JFIF APP0 (without its thumbnail), a sound ICC colour profile (APP2) and the Adobe colour
 * transform (APP14); drops EXIF and XMP (APP1), IPTC (APP13), MPF and other APPn segments and
 * comments, and writes the orientation back as an EXIF holding only that tag.
 *
 * After EOI only further complete JPEG streams may follow (the gain map or preview images that
 * phones append, announced in MPF); they are validated and, when stripping, dropped. Anything
 * else after EOI is refused: HTML or script appended after the image and its end marker repeated
 * at the very end is the usual image/HTML polyglot.
 */
export class JpegParser extends ImageFormatParser {
  private state: State = 'soi';
  private scans = 0;
  private sawFrame = false;
  private sawExif = false;
  private wroteJfif = false;
  private orientation = 1;
  private trailing?: JpegParser;
  private trailingOut: Buffer[] = [];
  /** ICC chunks (whole segments) held until the profile is complete and checked. */
  private icc: Buffer[] = [];
  private iccCount = 0;
  private iccBytes = 0;
  /** collecting: chunks came; settled: a profile was kept or dropped, any further one is dropped. */
  private iccState: 'none' | 'collecting' | 'settled' = 'none';

  constructor(options: FormatParserOptions) {
    super(options);
  }

  protected override step(): boolean {
    switch (this.state) {
      case 'soi':
        if (!this.need(2)) return false;
        this.keep(2);
        this.state = 'marker';
        return true;
      case 'marker':
        return this.marker();
      case 'scan':
        return this.scanData();
      case 'done':
        if (!this.need(3)) return false;
        if (this.buf[this.pos] !== 0xff || this.buf[this.pos + 1] !== 0xd8 || this.buf[this.pos + 2] !== 0xff) {
          throw new ImageFormatError('truncated', 'the JPEG has data after its end-of-image marker (FFD9)');
        }
        // Appended images are checked for completeness only: they are not what is displayed.
        this.trailing = new JpegParser({ strip: false, limits: NO_LIMITS });
        this.state = 'trailing';
        return true;
      case 'trailing': {
        const rest = this.buf.subarray(this.pos);
        this.trailingOut.length = 0;
        this.trailing!.feed(rest, this.trailingOut);
        if (!this.strip) for (const b of this.trailingOut) this.emit(b);
        this.pos = this.buf.length;
        return false;
      }
    }
  }

  protected override complete(): boolean {
    if (this.state === 'trailing') {
      this.trailing!.end([]);
      return true;
    }
    return this.state === 'done';
  }

  protected override truncatedMessage(): string {
    if (this.state === 'done') return 'the JPEG has data after its end-of-image marker (FFD9)';
    return 'the JPEG ends before its end-of-image marker (FFD9): it is truncated';
  }

  private marker(): boolean {
    if (!this.need(2)) return false;
    const b = this.buf;
    const p = this.pos;
    if (b[p] !== 0xff) throw new ImageFormatError('truncated', 'the JPEG has a malformed segment');
    const m = b[p + 1];
    if (m === 0xff) {
      // Fill byte before a marker.
      this.keep(1);
      return true;
    }
    if (m === 0xd9) {
      this.keep(2);
      this.state = 'done';
      this.finishHeader();
      return true;
    }
    // The profile's chunks are consecutive APP2 segments: anything else ends it.
    if (this.iccState === 'collecting' && m !== 0xe2) this.settleIcc();
    if (m === 0xd8) throw new ImageFormatError('truncated', 'the JPEG has a second start-of-image marker inside it');
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      this.keep(2);
      return true;
    }
    if (!this.need(4)) return false;
    const length = b.readUInt16BE(p + 2);
    if (length < 2) throw new ImageFormatError('truncated', 'the JPEG has a malformed segment length');
    const total = 2 + length;

    if (isFrameMarker(m)) return this.frame(total);
    if (m === 0xda) {
      if (!this.sawFrame) throw new ImageFormatError('truncated', 'the JPEG has scan data before its frame header');
      if (++this.scans > MAX_SCANS) throw new ImageFormatError('truncated', `the JPEG has more than ${MAX_SCANS} scans`);
      this.pass(total, 'keep');
      this.state = 'scan';
      return true;
    }
    if (isMetadataMarker(m)) return this.metadataSegment(m, total);
    this.pass(total, 'keep');
    return true;
  }

  private frame(total: number): boolean {
    if (!this.need(Math.min(total, 10))) return false;
    if (total < 10) throw new ImageFormatError('truncated', 'the JPEG has a malformed frame header');
    const height = this.buf.readUInt16BE(this.pos + 5);
    const width = this.buf.readUInt16BE(this.pos + 7);
    if (!this.sawFrame) {
      // Height 0 (defined later by a DNL marker) is allowed by the standard and by no decoder we use.
      if (width === 0 || height === 0) throw new ImageFormatError('truncated', 'the JPEG has a frame of zero width or height');
      this.sawFrame = true;
      this.setHeader({ width, height, frames: 1, orientation: this.orientation, alpha: false });
    }
    this.pass(total, 'keep');
    return true;
  }

  // APPn and COM: the orientation is read from the first Exif; when stripping, only what decoding
  // needs is kept, JFIF is rewritten and the orientation written back alone.
  private metadataSegment(m: number, total: number): boolean {
    if (m === 0xe1 && !this.sawExif && total <= MAX_CAPTURE) {
      if (!this.need(Math.min(total, 10))) return false;
      if (this.buf.toString('latin1', this.pos + 4, this.pos + Math.min(total, 10)) === EXIF_ID) {
        if (!this.need(total)) return false;
        this.sawExif = true;
        this.orientation = readExifOrientation(this.buf.subarray(this.pos + 10, this.pos + total));
        if (this.info) this.info.orientation = this.orientation;
        if (!this.strip) {
          this.keep(total);
        } else {
          if (this.orientation !== 1) this.emit(exifSegment(this.orientation));
          this.drop(total);
        }
        return true;
      }
    }
    if (!this.strip) {
      this.pass(total, 'keep');
      return true;
    }
    const idLength = m === 0xe2 ? ICC_ID.length : 6;
    if (!this.need(Math.min(total, 4 + idLength))) return false;
    const id = this.buf.toString('latin1', this.pos + 4, this.pos + Math.min(total, 4 + idLength));
    if (m === 0xe2 && id === ICC_ID) return this.iccChunk(total);
    if (m === 0xee && id.startsWith('Adobe')) {
      this.pass(total, 'keep');
      return true;
    }
    if (m === 0xe0 && id.startsWith('JFIF\0') && !this.wroteJfif && total >= 18) {
      if (!this.need(18)) return false;
      // Version, density unit and density; no thumbnail (a JFIF thumbnail is a copy of the photo).
      const jfif = Buffer.alloc(18);
      this.buf.copy(jfif, 0, this.pos, this.pos + 16);
      jfif.writeUInt16BE(16, 2);
      jfif[16] = 0;
      jfif[17] = 0;
      this.emit(jfif);
      this.wroteJfif = true;
      this.pass(total, 'drop');
      return true;
    }
    this.pass(total, 'drop');
    return true;
  }

  /**
   * An ICC profile is kept only whole and sound: its chunks numbered 1..n in order with the same
   * n, and the assembled profile's header and tag table consistent (checkIccProfile). Anything
   * else in an ICC_PROFILE segment (a script, another file) is dropped with it.
   */
  private iccChunk(total: number): boolean {
    if (this.iccState === 'settled' || total < ICC_CHUNK_HEAD || total > MAX_ICC_BYTES) {
      this.pass(total, 'drop');
      return true;
    }
    if (!this.need(total)) return false;
    const seq = this.buf[this.pos + ICC_CHUNK_HEAD - 2];
    const count = this.buf[this.pos + ICC_CHUNK_HEAD - 1];
    const fits = count > 0 && seq === this.icc.length + 1 && (this.icc.length === 0 || count === this.iccCount) && this.iccBytes + total <= MAX_ICC_BYTES;
    if (!fits) {
      this.icc = [];
      this.iccState = 'settled';
      this.drop(total);
      return true;
    }
    this.icc.push(Buffer.from(this.buf.subarray(this.pos, this.pos + total)));
    this.iccCount = count;
    this.iccBytes += total;
    this.iccState = 'collecting';
    this.drop(total);
    if (seq === count) this.settleIcc();
    return true;
  }

  private settleIcc(): void {
    const chunks = this.icc;
    this.icc = [];
    this.iccState = 'settled';
    if (chunks.length !== this.iccCount) return; // incomplete
    const profile = Buffer.concat(chunks.map((c) => c.subarray(ICC_CHUNK_HEAD)));
    if (checkIccProfile(profile)) for (const c of chunks) this.emit(c);
  }

  // Entropy-coded data: everything up to the next marker (FF not followed by 00 or a restart).
  private scanData(): boolean {
    const b = this.buf;
    const i = b.indexOf(0xff, this.pos);
    if (i < 0) {
      this.keep(b.length - this.pos);
      return this.need(1);
    }
    if (i + 1 >= b.length) {
      this.keep(i - this.pos);
      return this.need(2);
    }
    const next = b[i + 1];
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
      this.keep(i + 2 - this.pos);
      return true;
    }
    this.keep(i - this.pos);
    this.state = 'marker';
    return true;
  }

  private finishHeader(): void {
    if (!this.sawFrame) throw new ImageFormatError('truncated', 'the JPEG has no frame header');
    if (this.scans === 0) throw new ImageFormatError('truncated', 'the JPEG has no image data');
  }
}

// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
function isFrameMarker(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/**
 * ICC.1 (ISO 15076-1) structure: a 128-byte header whose size field is the profile's length and
 * whose signature at 36 is `acsp`, then a tag count and table whose entries point inside the
 * profile, after the table.
 */
export function checkIccProfile(p: Buffer): boolean {
  if (p.length < 132 || p.readUInt32BE(0) !== p.length) return false;
  if (p.toString('latin1', 36, 40) !== 'acsp') return false;
  const tags = p.readUInt32BE(128);
  const tableEnd = 132 + 12 * tags;
  if (tableEnd > p.length) return false;
  for (let i = 0; i < tags; i++) {
    const offset = p.readUInt32BE(132 + 12 * i + 4);
    const size = p.readUInt32BE(132 + 12 * i + 8);
    if (offset < tableEnd || size === 0 || offset + size > p.length) return false;
  }
  return true;
}

function isMetadataMarker(m: number): boolean {
  return (m >= 0xe0 && m <= 0xef) || m === 0xfe;
}

function exifSegment(orientation: number): Buffer {
  const tiff = orientationOnlyExif(orientation);
  const head = Buffer.alloc(10);
  head[0] = 0xff;
  head[1] = 0xe1;
  head.writeUInt16BE(2 + 6 + tiff.length, 2);
  head.write(EXIF_ID, 4, 'latin1');
  return Buffer.concat([head, tiff]);
}
