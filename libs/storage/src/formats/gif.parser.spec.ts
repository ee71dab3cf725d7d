import { gifAnimation, gifCommentScriptPolyglot, gifImage, gifScriptPolyglot } from '../../test/image.fixtures';
import { CHUNK_SIZES, parse } from '../../test/parse.helper';
import { GifParser } from './gif.parser';

// Extensions: a comment, XMP (an application extension) and plain text, then a loop extension.
const comment = Buffer.from('\x21\xfe\x0dtaken at home\x00', 'latin1');
const xmp = Buffer.from('\x21\xff\x0bXMP DataXMP\x0aZhang San.\x00', 'latin1');
const plainText = Buffer.from('\x21\x01\x0c\x00\x00\x00\x00\x01\x00\x01\x00\x01\x01\x00\x00\x05hello\x00', 'latin1');
const loop = Buffer.from('\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00', 'latin1');

// The 1x1 fixture with extensions inserted after its colour table (byte 19).
function withExtensions(...extensions: Buffer[]): Buffer {
  const gif = gifImage();
  return Buffer.concat([gif.subarray(0, 19), ...extensions, gif.subarray(19)]);
}

describe('GifParser', () => {
  it.each(CHUNK_SIZES)('drops comments, plain text and XMP, keeps timing and looping (chunks of %i)', (chunkSize) => {
    const { output, header } = parse(GifParser, withExtensions(comment, xmp, plainText, loop), { chunkSize });
    expect(header).toEqual({ width: 1, height: 1, frames: 1, orientation: 1, alpha: true });
    expect(output.equals(withExtensions(loop))).toBe(true);
  });

  it('counts every frame of an animation', () => {
    expect(parse(GifParser, gifAnimation(12)).header.frames).toBe(12);
  });

  it('refuses thousands of frames, and frames that together pass the animation pixel limit', () => {
    expect(() => parse(GifParser, gifAnimation(5000), { limits: { maxFrames: 1000 } })).toThrow('more than 1000 frames');
    expect(() => parse(GifParser, gifAnimation(201, 1000, 1000), { limits: { maxAnimationPixels: 200_000_000 } })).toThrow(
      'the animation has 201 frames of 1000 x 1000, more than 200000000 pixels together',
    );
  });

  it('refuses a canvas over the pixel limit from the logical screen, the first 13 bytes', () => {
    expect(() => parse(GifParser, gifAnimation(1, 65535, 65535).subarray(0, 13), { limits: { maxPixels: 40_000_000 } })).toThrow(
      '65535 x 65535',
    );
  });

  it('refuses the GIF/JavaScript polyglot: a script after the trailer that ends with ";"', () => {
    expect(() => parse(GifParser, gifScriptPolyglot(), { chunkSize: 4 })).toThrow('data after its trailer');
  });

  it('drops the comment a polyglot hides its script in', () => {
    const { output } = parse(GifParser, gifCommentScriptPolyglot());
    expect(output.includes('alert')).toBe(false);
  });

  it.each([
    ['a block that is neither extension, image nor trailer', Buffer.concat([gifImage().subarray(0, 19), Buffer.from([0x42]), gifImage().subarray(19)])],
    ['no image at all', Buffer.concat([gifImage().subarray(0, 19), Buffer.from([0x3b])])],
  ])('refuses %s', (_label, bytes) => {
    expect(() => parse(GifParser, bytes)).toThrow(/malformed block|no image/);
  });
});
