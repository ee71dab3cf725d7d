import { webpImage } from '../../test/image.fixtures';
import { CHUNK_SIZES, parse } from '../../test/parse.helper';
import { orientationOnlyExif } from './exif-orientation';
import { WebpParser } from './webp.parser';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function riff(chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WEBP'), ...chunks]);
  const head = Buffer.from('RIFF\0\0\0\0');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

// VP8X for a 1x1 canvas with the given flags, then the fixture's VP8L bitstream.
function extended(flags: number, ...rest: Buffer[]): Buffer {
  const vp8x = Buffer.alloc(10);
  vp8x[0] = flags;
  return riff([chunk('VP8X', vp8x), webpImage().subarray(12), ...rest]);
}

const EXIF_FLAG = 0x08;
const XMP_FLAG = 0x04;
const exif = chunk('EXIF', Buffer.concat([orientationOnlyExif(6), Buffer.from('GPS 48.8584 N, serial R58N12ABCDE')]));
const xmp = chunk('XMP ', Buffer.from('<x:xmpmeta><dc:creator>Zhang San</dc:creator></x:xmpmeta>'));

describe('WebpParser', () => {
  it.each(CHUNK_SIZES)('turns XMP into zeros, EXIF into the orientation alone, keeping the length (chunks of %i)', (chunkSize) => {
    const webp = extended(EXIF_FLAG | XMP_FLAG, exif, xmp);
    const { output, header } = parse(WebpParser, webp, { chunkSize });
    expect(header).toEqual({ width: 1, height: 1, frames: 1, orientation: 6, alpha: false });
    expect(output.length).toBe(webp.length);
    for (const gone of ['R58N12ABCDE', 'Zhang San', 'XMP ']) expect(output.includes(gone)).toBe(false);
    expect(output[20] & XMP_FLAG).toBe(0);
    expect(output[20] & EXIF_FLAG).toBe(EXIF_FLAG);
    const exifAt = output.indexOf('EXIF');
    expect(output.subarray(exifAt + 8, exifAt + 8 + 26).equals(orientationOnlyExif(6))).toBe(true);
    expect(output.readUInt32LE(4)).toBe(webp.readUInt32LE(4));
  });

  it('passes a simple WebP on unchanged, and every byte when not stripping', () => {
    expect(parse(WebpParser, webpImage(), { chunkSize: 3 }).output.equals(webpImage())).toBe(true);
    const webp = extended(EXIF_FLAG | XMP_FLAG, exif, xmp);
    expect(parse(WebpParser, webp, { strip: false, chunkSize: 5 }).output.equals(webp)).toBe(true);
  });

  it('counts animation frames against the limits', () => {
    const frame = chunk('ANMF', Buffer.concat([Buffer.alloc(16), webpImage().subarray(12)]));
    const animated = extended(0x02, chunk('ANIM', Buffer.alloc(6)), frame, frame, frame);
    expect(parse(WebpParser, animated).header.frames).toBe(3);
    expect(() => parse(WebpParser, animated, { limits: { maxFrames: 2 } })).toThrow('more than 2 frames');
  });

  it('refuses a canvas over the pixel limit from VP8X', () => {
    const vp8x = Buffer.alloc(10);
    vp8x.writeUIntLE(9999, 4, 3);
    vp8x.writeUIntLE(9999, 7, 3);
    expect(() => parse(WebpParser, riff([chunk('VP8X', vp8x)]), { limits: { maxPixels: 40_000_000 } })).toThrow('10000 x 10000');
  });
});
