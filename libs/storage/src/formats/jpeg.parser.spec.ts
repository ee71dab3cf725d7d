import sharp from 'sharp';
import { jpegHtmlPolyglot, jpegImage, jpegSegment } from '../../test/image.fixtures';
import { CHUNK_SIZES, parse } from '../../test/parse.helper';
import { orientationOnlyExif } from './exif-orientation';
import { ImageFormatError } from './image-format.parser';
import { JpegParser } from './jpeg.parser';

const exif = (orientation: number, extra = 'GPS 48.8584 N, serial R58N12ABCDE') =>
  jpegSegment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), orientationWithText(orientation, extra)]));

// A TIFF structure with the orientation, followed by private bytes the stripper must not keep.
function orientationWithText(orientation: number, text: string): Buffer {
  return Buffer.concat([orientationOnlyExif(orientation), Buffer.from(text)]);
}

const xmp = jpegSegment(0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>Zhang San</dc:creator></x:xmpmeta>', 'latin1'));
const iptc = jpegSegment(0xed, Buffer.from('Photoshop 3.0\x008BIM\x04\x04 city=Paris', 'latin1'));
const comment = jpegSegment(0xfe, Buffer.from('taken at home'));
/** A structurally sound ICC profile: header (size, 'acsp'), one tag pointing after the table. */
function iccProfile(tagBytes = 20): Buffer {
  const p = Buffer.alloc(132 + 12 + tagBytes, 0);
  p.writeUInt32BE(p.length, 0);
  p.write('mntrRGB XYZ ', 12, 'latin1');
  p.write('acsp', 36, 'latin1');
  p.writeUInt32BE(1, 128);
  p.write('desc', 132, 'latin1');
  p.writeUInt32BE(144, 136);
  p.writeUInt32BE(tagBytes, 140);
  p.write('desc', 144, 'latin1');
  return p;
}
const iccChunk = (seq: number, count: number, data: Buffer) =>
  jpegSegment(0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([seq, count]), data]));
const icc = iccChunk(1, 1, iccProfile());
const mpf = jpegSegment(0xe2, Buffer.from('MPF\0II*\0 secondary image offsets', 'latin1'));

describe('JpegParser', () => {
  const photo = jpegImage({ extra: [exif(6), xmp, iptc, comment, icc, mpf] });

  it.each(CHUNK_SIZES)('drops EXIF, XMP, IPTC, MPF and comments, keeps ICC and the orientation alone (chunks of %i)', (chunkSize) => {
    const { output, header } = parse(JpegParser, photo, { chunkSize });
    expect(header).toEqual({ width: 8, height: 8, frames: 1, orientation: 6, alpha: false });
    for (const gone of ['R58N12ABCDE', 'Zhang San', 'Paris', 'taken at home', 'MPF']) expect(output.includes(gone)).toBe(false);
    expect(output.includes(Buffer.from('ICC_PROFILE'))).toBe(true);
    // What is left is the bare image with the orientation segment and the ICC profile.
    expect(output.equals(jpegImage({ extra: [exifOnly(6), icc] }))).toBe(true);
  });

  describe('ICC profiles', () => {
    const profile = iccProfile(300);
    const [part1, part2] = [profile.subarray(0, 200), profile.subarray(200)];
    const keptAlone = (extra: Buffer[]) => parse(JpegParser, jpegImage({ extra })).output;

    it.each(CHUNK_SIZES)('keeps a sound profile in two chunks, byte for byte (chunks of %i)', (chunkSize) => {
      const two = [iccChunk(1, 2, part1), iccChunk(2, 2, part2)];
      expect(parse(JpegParser, jpegImage({ extra: [comment, ...two, xmp] }), { chunkSize }).output.equals(jpegImage({ extra: two }))).toBe(true);
    });

    const broken = (mutate: (p: Buffer) => void) => {
      const p = Buffer.from(iccProfile());
      mutate(p);
      return [iccChunk(1, 1, p)];
    };
    it.each([
      ['any bytes after the id', [jpegSegment(0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0\x01\x01', 'latin1'), Buffer.from('<script>alert(1)</script>')]))]],
      ['a size field that is not the length', broken((p) => p.writeUInt32BE(p.length + 1, 0))],
      ['no acsp signature', broken((p) => p.write('xxxx', 36, 'latin1'))],
      ['a tag past the end', broken((p) => p.writeUInt32BE(1000, 140))],
      ['a tag inside the table', broken((p) => p.writeUInt32BE(128, 136))],
      ['a tag count beyond the profile', broken((p) => p.writeUInt32BE(1000, 128))],
      ['a missing chunk', [iccChunk(1, 2, part1)]],
      ['chunks out of order', [iccChunk(2, 2, part2), iccChunk(1, 2, part1)]],
      ['chunks disagreeing on their count', [iccChunk(1, 2, part1), iccChunk(2, 3, part2)]],
      ['a chunk count of zero', [iccChunk(1, 0, profile)]],
    ])('drops an ICC_PROFILE segment with %s', (_name, segments) => {
      expect(keptAlone(segments as Buffer[]).equals(jpegImage())).toBe(true);
    });

    it('keeps only the first of two profiles', () => {
      expect(keptAlone([icc, iccChunk(1, 1, iccProfile(40))]).equals(jpegImage({ extra: [icc] }))).toBe(true);
    });
  });

  it('writes no EXIF at all for an upright photo', () => {
    const { output, header } = parse(JpegParser, jpegImage({ extra: [exif(1)] }));
    expect(header.orientation).toBe(1);
    expect(output.equals(jpegImage())).toBe(true);
  });

  it('keeps JFIF without its thumbnail (a copy of the photo)', () => {
    const withThumb = jpegImage();
    // The fixture's JFIF segment with a 1x1 thumbnail: X/Y thumbnail size and 3 bytes of RGB.
    const app0 = jpegSegment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 9, 9, 9]));
    const bytes = Buffer.concat([withThumb.subarray(0, 2), app0, withThumb.subarray(20)]);
    expect(parse(JpegParser, bytes).output.equals(withThumb)).toBe(true);
  });

  it('decodes to the same pixels after stripping (nothing of the image is touched)', async () => {
    const real = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
    const tagged = Buffer.concat([real.subarray(0, 2), exif(3), comment, real.subarray(2)]);
    const { output } = parse(JpegParser, tagged, { chunkSize: 100 });
    expect((await sharp(output).raw().toBuffer()).equals(await sharp(real).raw().toBuffer())).toBe(true);
  });

  it('passes every byte on unchanged when not stripping, and still reads the orientation', () => {
    const { output, header } = parse(JpegParser, photo, { strip: false, chunkSize: 7 });
    expect(output.equals(photo)).toBe(true);
    expect(header.orientation).toBe(6);
  });

  it('accepts complete JPEGs appended after the image (gain maps, previews) and drops them', () => {
    const gainMap = jpegImage({ extra: [exif(1, 'gain map')] });
    const { output } = parse(JpegParser, Buffer.concat([jpegImage(), gainMap, jpegImage()]), { chunkSize: 5 });
    expect(output.equals(jpegImage())).toBe(true);
  });

  it.each([
    ['an HTML page and a repeated FFD9 after the end marker', jpegHtmlPolyglot(), /data after its end-of-image marker/],
    ['a truncated JPEG appended', Buffer.concat([jpegImage(), jpegImage().subarray(0, 40)]), /truncated/],
    ['a second SOI inside the image', Buffer.concat([jpegImage().subarray(0, 20), Buffer.from([0xff, 0xd8]), jpegImage().subarray(20)]), /second start-of-image/],
    ['a frame of zero height', jpegImage({ height: 0 }), /zero width or height/],
    ['no frame header before the scan', Buffer.concat([jpegImage().subarray(0, 20), jpegSegment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])), Buffer.from([0xff, 0xd9])]), /scan data before its frame/],
    ['more than 100 scans (a progressive CPU bomb)', manyScans(101), /more than 100 scans/],
  ])('refuses %s', (_label, bytes, message) => {
    expect(() => parse(JpegParser, bytes, { chunkSize: 11 })).toThrow(message);
  });

  it('refuses a frame header over the pixel limit as soon as it arrives', () => {
    const bytes = jpegImage({ width: 65535, height: 65535 });
    const err = captureError(() => parse(JpegParser, bytes.subarray(0, bytes.indexOf(Buffer.from([0xff, 0xc4]))), { limits: { maxPixels: 40_000_000 } }));
    expect(err).toBeInstanceOf(ImageFormatError);
    expect(err).toMatchObject({ reason: 'too_many_pixels', message: expect.stringContaining('65535 x 65535 = 4294836225 pixels') });
  });
});

function exifOnly(orientation: number): Buffer {
  return jpegSegment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), orientationOnlyExif(orientation)]));
}

function manyScans(count: number): Buffer {
  const bytes = jpegImage();
  const eoi = bytes.length - 2;
  const scan = Buffer.concat([jpegSegment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])), Buffer.from([0x3f])]);
  return Buffer.concat([bytes.subarray(0, eoi), ...Array.from({ length: count - 1 }, () => scan), bytes.subarray(eoi)]);
}

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
