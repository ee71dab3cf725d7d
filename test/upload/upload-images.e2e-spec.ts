import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describeWithExiftool, exifTags, metadataTags, PRIVATE_TAGS_GPS, writeTags } from '../../libs/storage/test/exiftool';
import {
  gifAnimation,
  gifCommentScriptPolyglot,
  gifScriptPolyglot,
  jpegCommentHtmlPolyglot,
  jpegDeclaring,
  jpegHtmlPolyglot,
  pngBomb,
  pngChunk,
  pngImage,
  POLYGLOT_HTML,
} from '../../libs/storage/test/image.fixtures';
import { cameraJpeg, PRIVATE_TAGS, referencePhoto } from '../../libs/storage/test/photo.fixtures';
import { androidUpload, startUploadApi, UploadTestApp, uploadParts } from './upload-test-client';

type Answer = {
  status: number;
  msg?: string;
  data?: { uri: string; url: string; width: number; height: number; thumbUri: string; thumbUrl: string };
};

/** Mean absolute difference per channel between two pictures of the same size (0..255). */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((img) => sharp(img).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  expect([x.info.width, x.info.height]).toEqual([y.info.width, y.info.height]);
  let sum = 0;
  for (let i = 0; i < x.data.length; i++) sum += Math.abs(x.data[i] - y.data[i]);
  return sum / x.data.length;
}

describeWithExiftool('Upload API: what is stored and served carries no metadata', () => {
  let api: UploadTestApp;
  let token: string;
  let reference: Buffer;

  beforeAll(async () => {
    api = await startUploadApi({ UPLOAD_THUMBNAIL_SIZE: '48' });
    token = await api.token();
    reference = await referencePhoto(96, 64);
  });

  afterAll(async () => {
    await api?.close();
  });

  async function upload(bytes: Buffer): Promise<Answer> {
    return (await androidUpload(api.port, token, bytes)).json<Answer>();
  }

  async function stored(uri: string): Promise<Buffer> {
    return readFile(join(api.dir, uri));
  }

  describe.each([1, 2, 3, 4, 5, 6, 7, 8])('a phone JPEG with GPS in orientation %i', (orientation) => {
    let photo: Buffer;
    let answer: Answer;

    beforeAll(async () => {
      photo = await cameraJpeg(orientation, reference);
      answer = await upload(photo);
    });

    it('carried the metadata before the upload (the fixture is what a phone writes)', async () => {
      const before = await exifTags(photo, 'jpg');
      expect(before).toMatchObject({ 'GPS:GPSLatitude': expect.closeTo(48.85837, 4), 'ExifIFD:SerialNumber': 'R58N12ABCDE' });
      expect(Object.keys(metadataTags(before)).length).toBeGreaterThan(15);
    });

    it('answers as before (uri and url first) plus the displayed size and the thumbnail', () => {
      expect(answer.status).toBe(0);
      expect(Object.keys(answer.data!)).toEqual(['uri', 'url', 'width', 'height', 'thumbUri', 'thumbUrl']);
      expect(answer.data!.uri).toMatch(/\.jpg$/);
      expect(answer.data!.url).toBe(`http://127.0.0.1:${api.port}/images/${answer.data!.uri}`);
      expect(answer.data!.thumbUrl).toBe(`http://127.0.0.1:${api.port}/images/${answer.data!.thumbUri}`);
      // As displayed, whatever the orientation of the stored pixels.
      expect([answer.data!.width, answer.data!.height]).toEqual([96, 64]);
    });

    it('stores no GPS, serial, time, XMP, IPTC or comment: exiftool finds the orientation alone', async () => {
      const tags = await exifTags(await stored(answer.data!.uri), 'jpg');
      expect(metadataTags(tags)).toEqual({});
      expect(Object.keys(tags).filter((k) => /GPS|Serial|Date|XMP|IPTC|Comment|Make|Model|Artist/i.test(k) && !k.startsWith('System:'))).toEqual([]);
      if (orientation === 1) expect(tags['IFD0:Orientation']).toBeUndefined();
      else expect(tags['IFD0:Orientation']).toBe(orientation);
    });

    it('keeps the pixels as they were (no re-encoding), and they display upright', async () => {
      const image = await stored(answer.data!.uri);
      const [original, kept] = await Promise.all([photo, image].map((b) => sharp(b).raw().toBuffer()));
      expect(kept.equals(original)).toBe(true);
      // A viewer applies the orientation tag: libvips's own table, not ours, against the reference.
      const displayed = await sharp(image).rotate().png().toBuffer();
      expect(await difference(displayed, reference)).toBeLessThan(6);
    });

    it('serves the stored bytes at url, and an upright thumbnail without any metadata at thumbUrl', async () => {
      const image = await fetch(answer.data!.url);
      expect(Buffer.from(await image.arrayBuffer()).equals(await stored(answer.data!.uri))).toBe(true);
      const thumb = await fetch(answer.data!.thumbUrl);
      for (const header of ['content-type', 'x-content-type-options', 'cache-control', 'content-security-policy']) {
        expect({ header, value: thumb.headers.get(header) }).toEqual({ header, value: image.headers.get(header) });
      }
      const bytes = Buffer.from(await thumb.arrayBuffer());
      const tags = await exifTags(bytes, 'jpg');
      expect(metadataTags(tags)).toEqual({});
      expect(tags['IFD0:Orientation']).toBeUndefined();
      // Longest side 48 (UPLOAD_THUMBNAIL_SIZE), upright in its pixels: no tag left to apply.
      const meta = await sharp(bytes).metadata();
      expect([meta.width, meta.height]).toEqual([48, 32]);
      expect(await difference(bytes, await sharp(reference).resize(48, 32).png().toBuffer())).toBeLessThan(12);
    });
  });

  it('strips eXIf, tEXt, iTXt, zTXt and tIME from a PNG, pixels unchanged', async () => {
    // The EXIF of a phone photo, as a PNG eXIf chunk.
    const exif = await writeTags(await sharp(reference).jpeg().toBuffer(), 'jpg', PRIVATE_TAGS_GPS);
    const app1 = exif.indexOf(Buffer.from('Exif\0\0', 'latin1'));
    const tiff = exif.subarray(app1 + 6, app1 - 4 + exif.readUInt16BE(app1 - 2) + 4);
    const time = Buffer.from([0x07, 0xe3, 5, 27, 21, 31, 56]);
    const png = pngImage(20, 10, [
      pngChunk('eXIf', tiff),
      pngChunk('tEXt', Buffer.from('Comment\0taken at home', 'latin1')),
      pngChunk('zTXt', Buffer.concat([Buffer.from('Author\0\0', 'latin1'), deflateSync(Buffer.from('Zhang San'))])),
      pngChunk('iTXt', Buffer.from('Description\0\0\0zh\0\0在家里拍的', 'utf8')),
      pngChunk('tIME', time),
    ]);
    const before = await exifTags(png, 'png');
    expect(before).toMatchObject({ 'GPS:GPSLatitude': expect.closeTo(48.85837, 4), 'PNG:Comment': 'taken at home', 'PNG:Author': 'Zhang San' });
    expect(Object.keys(before).some((k) => k.startsWith('PNG') && /Description/.test(k))).toBe(true);

    const answer = await upload(png);
    expect(answer.status).toBe(0);
    expect([answer.data!.width, answer.data!.height]).toEqual([20, 10]);
    const kept = await stored(answer.data!.uri);
    expect(metadataTags(await exifTags(kept, 'png'))).toEqual({});
    expect((await sharp(kept).raw().toBuffer()).equals(await sharp(png).raw().toBuffer())).toBe(true);
  });

  it('strips EXIF and XMP from a WebP, keeping its length and its pixels', async () => {
    const webp = await writeTags(await sharp(reference).webp({ quality: 90 }).toBuffer(), 'webp', PRIVATE_TAGS);
    const before = await exifTags(webp, 'webp');
    expect(before).toMatchObject({ 'GPS:GPSLatitude': expect.closeTo(48.85837, 4), 'XMP-dc:Creator': 'Zhang San' });

    const answer = await upload(webp);
    expect(answer.status).toBe(0);
    expect(answer.data!.uri).toMatch(/\.webp$/);
    const kept = await stored(answer.data!.uri);
    expect(kept.length).toBe(webp.length);
    expect(metadataTags(await exifTags(kept, 'webp'))).toEqual({});
    expect((await sharp(kept).raw().toBuffer()).equals(await sharp(webp).raw().toBuffer())).toBe(true);
  });

  it('strips comments and XMP from an animated GIF, which stays animated; its thumbnail is the first frame', async () => {
    const frames = await sharp({ create: { width: 30, height: 60, channels: 3, background: '#000' } })
      .composite([
        { input: { create: { width: 30, height: 20, channels: 3, background: '#f00' } }, top: 0, left: 0 },
        { input: { create: { width: 30, height: 20, channels: 3, background: '#0f0' } }, top: 20, left: 0 },
        { input: { create: { width: 30, height: 20, channels: 3, background: '#00f' } }, top: 40, left: 0 },
      ])
      .raw()
      .toBuffer();
    const animated = await sharp(frames, { raw: { width: 30, height: 60, channels: 3, pageHeight: 20 } })
      .gif({ loop: 0, delay: [100, 100, 100] })
      .toBuffer();
    const gif = await writeTags(animated, 'gif', ['-Comment=taken at home', '-XMP-dc:Creator=Zhang San']);
    expect(await exifTags(gif, 'gif')).toMatchObject({ 'File:Comment': 'taken at home', 'XMP-dc:Creator': 'Zhang San' });

    const answer = await upload(gif);
    expect(answer.status).toBe(0);
    expect([answer.data!.width, answer.data!.height]).toEqual([30, 20]);
    const kept = await stored(answer.data!.uri);
    const tags = await exifTags(kept, 'gif');
    expect(metadataTags(tags)).toEqual({});
    expect(tags['GIF:FrameCount']).toBe(3);
    expect((await sharp(kept, { pages: -1 }).metadata()).pages).toBe(3);
    const thumb = Buffer.from(await (await fetch(answer.data!.thumbUrl)).arrayBuffer());
    const { data } = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[1], data[2]].map((v) => v > 128)).toEqual([true, false, false]); // red: the first frame
  });

  it('keeps an animated WebP animated', async () => {
    const frames = await sharp({ create: { width: 16, height: 32, channels: 4, background: '#f00f' } })
      .composite([{ input: { create: { width: 16, height: 16, channels: 4, background: '#00ff' } }, top: 16, left: 0 }])
      .raw()
      .toBuffer();
    const webp = await sharp(frames, { raw: { width: 16, height: 32, channels: 4, pageHeight: 16 } }).webp({ loop: 0, delay: [80, 80] }).toBuffer();
    const answer = await upload(await writeTags(webp, 'webp', PRIVATE_TAGS));
    expect(answer.status).toBe(0);
    const kept = await stored(answer.data!.uri);
    expect((await sharp(kept, { pages: -1 }).metadata()).pages).toBe(2);
    expect(metadataTags(await exifTags(kept, 'webp'))).toEqual({});
  });

  describe('decompression bombs are refused from the header, before decoding, in the legacy envelope', () => {
    async function expectRefused(bytes: Buffer, msg: RegExp) {
      const before = await api.files();
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'bomb.png', body: bytes }]);
      expect(res.status).toBe(200);
      expect(res.json<Answer>()).toEqual({ status: 1, msg: expect.stringMatching(msg) });
      expect(await api.files()).toEqual(before);
    }

    it('a JPEG of a few hundred bytes declaring 65,535 x 65,535 pixels', async () => {
      const bomb = jpegDeclaring();
      expect(bomb.length).toBeLessThan(1000);
      await expectRefused(bomb, /^图片尺寸太大 \(the image has too many pixels: the image is 65535 x 65535 = 4294836225 pixels, more than the limit of 40000000\)$/);
    });

    it('a PNG bomb: 48 megapixels deflated into a small file', async () => {
      const bomb = pngBomb(8000, 6000);
      expect(bomb.length).toBeLessThan(200_000);
      await expectRefused(bomb, /too many pixels: the image is 8000 x 6000 = 48000000 pixels/);
    });

    it('a GIF with thousands of frames', async () => {
      await expectRefused(gifAnimation(5000), /too many pixels: the animation has more than 1000 frames/);
    });

    it('a GIF whose frames together pass the animation pixel limit', async () => {
      await expectRefused(gifAnimation(201, 1000, 1000), /the animation has 201 frames of 1000 x 1000, more than 200000000 pixels together/);
    });
  });

  describe('polyglots', () => {
    it('refuses a GIF that is also JavaScript, its script after the trailer', async () => {
      const polyglot = gifScriptPolyglot();
      expect(() => new Script(polyglot.toString('latin1'))).not.toThrow();
      const answer = await upload(polyglot);
      expect(answer).toEqual({ status: 1, msg: expect.stringMatching(/damaged: the GIF has data after its trailer/) });
    });

    it('stores a GIF whose script hides in a comment without the comment: no longer JavaScript', async () => {
      const polyglot = gifCommentScriptPolyglot();
      expect(() => new Script(polyglot.toString('latin1'))).not.toThrow();
      const answer = await upload(polyglot);
      expect(answer.status).toBe(0);
      const kept = await stored(answer.data!.uri);
      expect(kept.includes('alert')).toBe(false);
      // (vm throws its own realm's SyntaxError, so match the name.)
      expect(() => new Script(kept.toString('latin1'))).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    });

    it('refuses a JPEG with an HTML page before a repeated FFD9 end marker', async () => {
      const answer = await upload(jpegHtmlPolyglot());
      expect(answer).toEqual({ status: 1, msg: expect.stringMatching(/damaged: the JPEG has data after its end-of-image marker/) });
    });

    it('stores a JPEG carrying HTML in a comment without the comment', async () => {
      const answer = await upload(jpegCommentHtmlPolyglot());
      expect(answer.status).toBe(0);
      expect((await stored(answer.data!.uri)).includes(POLYGLOT_HTML)).toBe(false);
    });
  });
});
