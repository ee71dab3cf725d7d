import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  gifImage,
  gifScriptPolyglot,
  HTML_PAGE,
  jpegDeclaring,
  jpegHtmlPolyglot,
  jpegImage,
  PHP_SCRIPT,
  pngImage,
  SHELL_SCRIPT,
  SVG_IMAGE,
  webpImage,
} from '../test/image.fixtures';
import { ImageRejectedError, ImageSnifferOptions, ImageSnifferTransform } from './image-sniffer.transform';

/** Feeds `bytes` in chunks of `chunkSize` and collects what comes out. */
async function sniff(bytes: Buffer, chunkSize = bytes.length || 1, maxBytes?: number, options: ImageSnifferOptions = {}) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const sniffer = new ImageSnifferTransform({ maxBytes, ...options });
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  try {
    await pipeline(Readable.from(chunks), sniffer, sink);
  } catch (err) {
    return { error: err as Error, output: Buffer.concat(out), detected: sniffer.detected };
  }
  return { error: undefined, output: Buffer.concat(out), type: await sniffer.detected };
}

async function expectRejected(bytes: Buffer, reason: string, chunkSize?: number, maxBytes?: number, options?: ImageSnifferOptions) {
  const result = await sniff(bytes, chunkSize, maxBytes, options);
  expect(result.error).toBeInstanceOf(ImageRejectedError);
  expect((result.error as ImageRejectedError).reason).toBe(reason);
  // `detected` settles once: rejected when the type was never known, resolved otherwise.
  if (reason === 'not_image' || reason === 'empty') await expect(result.detected).rejects.toBe(result.error);
  return result.error as ImageRejectedError;
}

describe('ImageSnifferTransform', () => {
  const images = [
    ['PNG', pngImage(3, 2), 'png', 'image/png'],
    ['JPEG (JFIF)', jpegImage(), 'jpg', 'image/jpeg'],
    ['JPEG (Exif, as phones write it)', jpegImage({ exif: true }), 'jpg', 'image/jpeg'],
    ['GIF', gifImage(), 'gif', 'image/gif'],
    ['WebP', webpImage(), 'webp', 'image/webp'],
  ] as const;

  describe.each(images)('accepts a complete %s', (_label, bytes, ext, mime) => {
    it.each([1, 7, 16, 4096])('passes the bytes through unchanged in chunks of %i', async (chunkSize) => {
      const result = await sniff(bytes, chunkSize);
      expect(result.error).toBeUndefined();
      expect(result.output.equals(bytes)).toBe(true);
      expect(result.type).toEqual({ ext, mime });
    });
  });

  it('detects the type after the head, before the stream ends', async () => {
    const sniffer = new ImageSnifferTransform();
    const bytes = jpegImage({ padding: 1000 });
    sniffer.write(bytes.subarray(0, 20));
    await expect(sniffer.detected).resolves.toEqual({ ext: 'jpg', mime: 'image/jpeg' });
    sniffer.destroy();
  });

  it.each([
    ['SVG', SVG_IMAGE],
    ['HTML', HTML_PAGE],
    ['a shell script', SHELL_SCRIPT],
    ['a PHP script', PHP_SCRIPT],
    ['a PDF', Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1')],
    ['a BMP', Buffer.concat([Buffer.from('BM'), Buffer.alloc(60, 1)])],
    ['a RIFF that is not WebP (WAV)', Buffer.concat([Buffer.from('RIFF\x24\0\0\0WAVEfmt ', 'latin1'), Buffer.alloc(28)])],
    ['an image signature not at the start', Buffer.concat([Buffer.from('xx'), pngImage()])],
    ['a few stray bytes', Buffer.from('hello')],
  ])('refuses %s as not an image', async (_label, bytes) => {
    const err = await expectRejected(bytes, 'not_image', 3);
    expect(err.message).toMatch(/not a PNG, JPEG, GIF or WebP/);
  });

  it('refuses a non-image early, without passing any byte on', async () => {
    const result = await sniff(Buffer.concat([HTML_PAGE, Buffer.alloc(100_000, 0x41)]), 1024);
    expect(result.error).toBeInstanceOf(ImageRejectedError);
    expect(result.output.length).toBe(0);
  });

  it('refuses an empty file', async () => {
    await expectRejected(Buffer.alloc(0), 'empty');
  });

  describe('truncated images', () => {
    const png = pngImage(4, 4);
    const jpeg = jpegImage({ padding: 300 });
    const gif = gifImage();
    const webp = webpImage();

    it.each([
      ['a PNG cut inside IDAT', png.subarray(0, png.length - 20)],
      ['a PNG without IEND', png.subarray(0, png.length - 12)],
      ['a PNG cut inside the IEND chunk', png.subarray(0, png.length - 3)],
      ['a PNG head only', png.subarray(0, 12)],
      ['a JPEG without its FFD9 end marker', jpeg.subarray(0, jpeg.length - 2)],
      ['a JPEG cut in the middle', jpeg.subarray(0, 200)],
      ['a JPEG head only', jpeg.subarray(0, 4)],
      ['a GIF without its 0x3B trailer', gif.subarray(0, gif.length - 1)],
      ['a GIF header only', Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00;', 'latin1')],
      ['a WebP shorter than its RIFF size', webp.subarray(0, webp.length - 1)],
    ])('refuses %s', async (_label, bytes) => {
      for (const chunkSize of [1, 5, 64 * 1024]) await expectRejected(bytes, 'truncated', chunkSize);
    });

    it('refuses data appended after a PNG IEND chunk', async () => {
      const err = await expectRejected(Buffer.concat([png, Buffer.from('<script>')]), 'truncated', 9);
      expect(err.message).toMatch(/after its IEND/);
    });

    it('refuses data appended after a JPEG end marker', async () => {
      await expectRejected(Buffer.concat([jpeg, Buffer.from('<html>')]), 'truncated');
    });

    it('refuses a WebP longer than its RIFF size', async () => {
      await expectRejected(Buffer.concat([webp, Buffer.alloc(2)]), 'truncated', 4);
    });

    it('refuses a PNG whose first chunk is not IHDR', async () => {
      const broken = Buffer.from(png);
      broken.write('IDAT', 12, 'latin1');
      const err = await expectRejected(broken, 'truncated');
      expect(err.message).toMatch(/IHDR/);
    });

    it('refuses a PNG with a malformed chunk length', async () => {
      const broken = Buffer.from(png);
      broken.writeUInt32BE(0xfffffff0, 33); // length field of the chunk after IHDR
      await expectRejected(broken, 'truncated');
    });
  });

  describe('size limit', () => {
    const jpeg = jpegImage({ padding: 5000 });

    it('accepts a file of exactly maxBytes', async () => {
      const result = await sniff(jpeg, 512, jpeg.length);
      expect(result.error).toBeUndefined();
    });

    it('refuses a file one byte over maxBytes, before it ends', async () => {
      const err = await expectRejected(jpeg, 'too_large', 512, jpeg.length - 1);
      expect(err.message).toContain(String(jpeg.length - 1));
    });
  });

  // Both passed the earlier checks, which looked only at the last bytes (3B, FFD9).
  describe('polyglots', () => {
    it('refuses a GIF that is also JavaScript: its script follows the trailer and ends with ";"', async () => {
      const err = await expectRejected(gifScriptPolyglot(), 'truncated', 5);
      expect(err.message).toMatch(/data after its trailer/);
    });

    it('refuses a JPEG with an HTML page before a repeated FFD9', async () => {
      const err = await expectRejected(jpegHtmlPolyglot(), 'truncated', 5);
      expect(err.message).toMatch(/data after its end-of-image marker/);
    });
  });

  it('refuses a header over the pixel limit as too_many_pixels', async () => {
    const limits = { maxPixels: 40_000_000, maxAnimationPixels: 40_000_000, maxFrames: 10 };
    const err = await expectRejected(jpegDeclaring(), 'too_many_pixels', 64, undefined, { limits });
    expect(err.message).toMatch(/65535 x 65535/);
  });

  it('passes the image on without its metadata when asked, and tells its header', async () => {
    const result = await sniff(jpegImage({ exif: true, padding: 300 }), 7, undefined, { stripMetadata: true });
    expect(result.error).toBeUndefined();
    expect(result.output.includes('Exif')).toBe(false);
    expect(result.output.length).toBeLessThan(jpegImage().length);
  });

  it('rejects `detected` when destroyed from outside before the type is known', async () => {
    const sniffer = new ImageSnifferTransform();
    const errored = new Promise<Error>((resolve) => sniffer.on('error', resolve));
    sniffer.write(Buffer.from([0xff, 0xd8]));
    sniffer.destroy(new Error('client went away'));
    await expect(sniffer.detected).rejects.toThrow('client went away');
    await expect(errored).resolves.toThrow('client went away');
  });
});
