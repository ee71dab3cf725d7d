import { FormatParserOptions, ImageFormatError, ImageFormatParser } from './image-format.parser';

// Application extensions that only say how often an animation loops.
const LOOP_EXTENSIONS = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0']);

type State = 'header' | 'block' | 'lzw' | 'subblocks' | 'done';

/**
 * GIF: header and logical screen (the canvas size), colour table, then blocks: extensions and
 * images, each followed by data sub-blocks, up to the trailer (3B) and nothing after it. Every
 * image is a frame, counted against the frame and animation limits as it arrives. When
 * stripping, graphic control (timing, transparency) and loop extensions stay; comments, plain
 * text and other application extensions (XMP, ICC) go.
 *
 * Refusing bytes after the trailer refuses the GIF/JavaScript polyglot whose script follows the
 * trailer and ends with the `;` that a trailer check alone takes for the trailer.
 */
export class GifParser extends ImageFormatParser {
  private state: State = 'header';
  private keepBlocks = true;

  constructor(options: FormatParserOptions) {
    super(options);
  }

  protected override step(): boolean {
    switch (this.state) {
      case 'header':
        return this.screen();
      case 'block':
        return this.block();
      case 'lzw':
        if (!this.need(1)) return false;
        this.keep(1);
        this.state = 'subblocks';
        this.keepBlocks = true;
        return true;
      case 'subblocks': {
        if (!this.need(1)) return false;
        const size = this.buf[this.pos];
        if (size === 0) this.state = 'block';
        this.pass(1 + size, this.keepBlocks ? 'keep' : 'drop');
        return true;
      }
      case 'done':
        if (!this.need(1)) return false;
        throw new ImageFormatError('truncated', 'the GIF has data after its trailer (3B)');
    }
  }

  protected override complete(): boolean {
    return this.state === 'done';
  }

  protected override truncatedMessage(): string {
    return 'the GIF ends before its trailer (3B): it is truncated';
  }

  private screen(): boolean {
    if (!this.need(13)) return false;
    const width = this.buf.readUInt16LE(this.pos + 6);
    const height = this.buf.readUInt16LE(this.pos + 8);
    const flags = this.buf[this.pos + 10];
    this.setHeader({ width, height, frames: 0, orientation: 1, alpha: true });
    this.keep(13);
    this.pass(colourTableSize(flags), 'keep');
    this.state = 'block';
    return true;
  }

  private block(): boolean {
    if (!this.need(1)) return false;
    const introducer = this.buf[this.pos];
    if (introducer === 0x3b) {
      if (this.info!.frames === 0) throw new ImageFormatError('truncated', 'the GIF has no image');
      this.keep(1);
      this.state = 'done';
      return true;
    }
    if (introducer === 0x2c) {
      if (!this.need(10)) return false;
      const width = this.buf.readUInt16LE(this.pos + 5);
      const height = this.buf.readUInt16LE(this.pos + 7);
      this.checkPixels(width, height, 'a frame of the GIF');
      this.countFrame();
      const flags = this.buf[this.pos + 9];
      this.keep(10);
      this.pass(colourTableSize(flags), 'keep');
      this.state = 'lzw';
      return true;
    }
    if (introducer !== 0x21) throw new ImageFormatError('truncated', 'the GIF has a malformed block');
    if (!this.need(3)) return false;
    const label = this.buf[this.pos + 1];
    let keep = !this.strip || label === 0xf9;
    if (label === 0xff && this.strip) {
      // The identifier is the first sub-block.
      const size = this.buf[this.pos + 2];
      if (!this.need(3 + size)) return false;
      keep = LOOP_EXTENSIONS.has(this.buf.toString('latin1', this.pos + 3, this.pos + 3 + Math.min(size, 11)));
    }
    if (keep) this.keep(2);
    else this.drop(2);
    this.keepBlocks = keep;
    this.state = 'subblocks';
    return true;
  }
}

function colourTableSize(flags: number): number {
  return flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0;
}
