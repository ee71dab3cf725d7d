import { deflateSync } from 'node:zlib';
import { pngBomb, pngChunk, pngImage } from '../../test/image.fixtures';
import { CHUNK_SIZES, parse } from '../../test/parse.helper';
import { orientationOnlyExif } from './exif-orientation';
import { PngParser } from './png.parser';

const text = [
  pngChunk('tEXt', Buffer.from('Comment\0taken at home', 'latin1')),
  pngChunk('zTXt', Buffer.concat([Buffer.from('Author\0\0', 'latin1'), deflateSync(Buffer.from('Zhang San'))])),
  pngChunk('iTXt', Buffer.from('Description\0\0\0\0\0R58N12ABCDE', 'latin1')),
  pngChunk('tIME', Buffer.from([0x07, 0xe3, 5, 27, 21, 31, 56])),
  pngChunk('prVt', Buffer.from('private chunk')),
];
const colour = [pngChunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f])), pngChunk('pHYs', Buffer.from([0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1]))];
const exif = (orientation: number) => pngChunk('eXIf', Buffer.concat([orientationOnlyExif(orientation), Buffer.from('GPS 48.8584 N')]));

describe('PngParser', () => {
  it.each(CHUNK_SIZES)('drops text, time, eXIf and private chunks, keeps colour chunks (chunks of %i)', (chunkSize) => {
    const { output, header } = parse(PngParser, pngImage(6, 4, [...colour, ...text, exif(1)]), { chunkSize });
    expect(header).toEqual({ width: 6, height: 4, frames: 1, orientation: 1, alpha: false });
    expect(output.equals(pngImage(6, 4, colour))).toBe(true);
  });

  it('writes the orientation back as an eXIf chunk holding it alone', () => {
    const { output, header } = parse(PngParser, pngImage(6, 4, [exif(8), ...text]), { chunkSize: 5 });
    expect(header.orientation).toBe(8);
    expect(output.equals(pngImage(6, 4, [pngChunk('eXIf', orientationOnlyExif(8))]))).toBe(true);
  });

  it('passes every byte on unchanged when not stripping', () => {
    const png = pngImage(6, 4, [...colour, ...text, exif(3)]);
    expect(parse(PngParser, png, { strip: false, chunkSize: 3 }).output.equals(png)).toBe(true);
  });

  it('refuses a PNG bomb from its IHDR, before the compressed data', () => {
    const bomb = pngBomb(8000, 6000);
    expect(() => parse(PngParser, bomb.subarray(0, 33), { limits: { maxPixels: 40_000_000 } })).toThrow(
      '8000 x 6000 = 48000000 pixels, more than the limit of 40000000',
    );
  });

  it('counts APNG frames from acTL against the limits', () => {
    const actl = (frames: number) => pngChunk('acTL', Buffer.from([0, 0, 0, frames, 0, 0, 0, 0]));
    expect(parse(PngParser, pngImage(10, 10, [actl(3)])).header.frames).toBe(3);
    expect(() => parse(PngParser, pngImage(10, 10, [actl(200)]), { limits: { maxFrames: 100 } })).toThrow('more than 100 frames');
    expect(() => parse(PngParser, pngImage(100, 100, [actl(50)]), { limits: { maxAnimationPixels: 400_000 } })).toThrow(
      'the animation has 50 frames of 100 x 100, more than 400000 pixels together',
    );
    // An absurd announced count is checked at once, not counted up to.
    const huge = pngChunk('acTL', Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    expect(() => parse(PngParser, pngImage(1, 1, [huge]), { limits: { maxFrames: 1000 } })).toThrow('more than 1000 frames');
  });
});
