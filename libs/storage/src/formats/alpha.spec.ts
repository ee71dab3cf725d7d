import sharp from 'sharp';
import { parse } from '../../test/parse.helper';
import { GifParser } from './gif.parser';
import { JpegParser } from './jpeg.parser';
import { PngParser } from './png.parser';
import { WebpParser } from './webp.parser';

// The thumbnail's type (PNG with alpha, JPEG without) is named in the upload's answer before any
// decode, from the header's `alpha`: it must agree with what libvips decodes.
const opaque = { create: { width: 12, height: 8, channels: 3 as const, background: '#c03020' } };
const translucent = { create: { width: 12, height: 8, channels: 4 as const, background: { r: 200, g: 40, b: 30, alpha: 0.5 } } };

const cases: [string, () => Promise<Buffer>, typeof PngParser | typeof JpegParser | typeof GifParser | typeof WebpParser][] = [
  ['opaque JPEG', () => sharp(opaque).jpeg().toBuffer(), JpegParser],
  ['opaque PNG (RGB)', () => sharp(opaque).png().toBuffer(), PngParser],
  ['opaque PNG (grey)', () => sharp(opaque).greyscale().png().toBuffer(), PngParser],
  ['opaque PNG (palette)', () => sharp(opaque).png({ palette: true }).toBuffer(), PngParser],
  ['PNG with alpha (RGBA)', () => sharp(translucent).png().toBuffer(), PngParser],
  ['PNG with alpha (grey + alpha)', () => sharp(translucent).toColourspace('b-w').png().toBuffer(), PngParser],
  ['palette PNG with tRNS', () => sharp(translucent).png({ palette: true }).toBuffer(), PngParser],
  ['opaque GIF', () => sharp(opaque).gif().toBuffer(), GifParser],
  ['translucent GIF', () => sharp(translucent).gif().toBuffer(), GifParser],
  ['opaque lossy WebP (VP8)', () => sharp(opaque).webp().toBuffer(), WebpParser],
  ['opaque lossless WebP (VP8L)', () => sharp(opaque).webp({ lossless: true }).toBuffer(), WebpParser],
  ['lossy WebP with alpha (VP8X)', () => sharp(translucent).webp().toBuffer(), WebpParser],
  ['lossless WebP with alpha (VP8L)', () => sharp(translucent).webp({ lossless: true }).toBuffer(), WebpParser],
  ['opaque WebP with EXIF (VP8X)', () => sharp(opaque).withMetadata({ orientation: 6 }).webp().toBuffer(), WebpParser],
];

describe('header alpha', () => {
  it.each(cases)('agrees with what libvips decodes: %s', async (_name, make, Parser) => {
    const bytes = await make();
    const { header } = parse(Parser, bytes, { strip: true, chunkSize: 7 });
    const { hasAlpha } = await sharp(bytes).metadata();
    expect(header.alpha).toBe(hasAlpha);
  });
});
