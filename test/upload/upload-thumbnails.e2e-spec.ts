// Thumbnails are made after the upload's answer: in the background, or for their first request.
// Whatever the timing, thumbUrl works as soon as the answer arrives.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describeWithExiftool, exifTags, metadataTags } from '../../libs/storage/test/exiftool';
import { jpegImage, pngImage } from '../../libs/storage/test/image.fixtures';
import { cameraJpeg, referencePhoto } from '../../libs/storage/test/photo.fixtures';
import { opsAuth } from '../support/test-app';
import { androidUpload, send, startUploadApi, UploadTestApp } from './upload-test-client';

type Answer = { status: number; msg?: string; data?: { uri: string; url: string; width: number; height: number; thumbUri: string; thumbUrl: string } };

/** upload_thumbnail_renders_total for these labels, as /metrics shows it (0 when not shown yet). */
async function renders(api: UploadTestApp, trigger: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${api.baseUrl}/metrics`, { headers: opsAuth })).text();
  const line = text.split('\n').find((l) => l.startsWith(`upload_thumbnail_renders_total{trigger="${trigger}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

// Structurally complete, so the upload's checks accept it, but libjpeg refuses a frame with no
// colour component: only a decode finds out.
function undecodableJpeg(): Buffer {
  const bytes = Buffer.from(jpegImage());
  const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  bytes[sof + 9] = 0;
  return bytes;
}

describeWithExiftool('Upload API thumbnails, made after the answer', () => {
  describe('in the background (default)', () => {
    let api: UploadTestApp;
    let token: string;

    beforeAll(async () => {
      api = await startUploadApi();
      token = await api.token();
    });
    afterAll(() => api?.close());

    it('serves a valid upright thumbnail without metadata at thumbUrl fetched right after the answer', async () => {
      // A phone photo, 1200 x 800 upright, stored sideways with orientation 6 and its GPS and camera tags.
      const photo = await cameraJpeg(6, await referencePhoto(1200, 800));
      const answer = (await androidUpload(api.port, token, photo)).json<Answer>();
      expect(answer.status).toBe(0);
      expect([answer.data!.width, answer.data!.height]).toEqual([1200, 800]);
      const thumb = await fetch(answer.data!.thumbUrl);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toBe('image/jpeg');
      const bytes = Buffer.from(await thumb.arrayBuffer());
      expect(Number(thumb.headers.get('content-length'))).toBe(bytes.length);
      const meta = await sharp(bytes).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height, orientation: meta.orientation }).toEqual({
        format: 'jpeg',
        width: 320,
        height: 213,
        orientation: undefined,
      });
      // Upright in its pixels: the top-left quadrant of the reference is red.
      const { data } = await sharp(bytes).extract({ left: 40, top: 40, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
      expect(data[0]).toBeGreaterThan(150);
      expect(data[2]).toBeLessThan(100);
      const tags = await exifTags(bytes, 'jpg');
      expect(metadataTags(tags)).toEqual({});
      expect(tags['IFD0:Orientation']).toBeUndefined();
    });

    it('names a PNG thumbnail for an image with alpha, before any decode, and serves one', async () => {
      const rgba = await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
      const answer = (await androidUpload(api.port, token, rgba)).json<Answer>();
      expect(answer.data!.thumbUri).toMatch(/_thumb\.png$/);
      const thumb = await fetch(answer.data!.thumbUrl);
      expect(thumb.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha }).toEqual({ format: 'png', width: 40, height: 30, hasAlpha: true });
    });
  });

  describe('on request only (UPLOAD_THUMBNAIL_BACKLOG=0)', () => {
    let api: UploadTestApp;
    let token: string;

    beforeAll(async () => {
      api = await startUploadApi({ UPLOAD_THUMBNAIL_BACKLOG: '0' });
      token = await api.token();
    });
    afterAll(() => api?.close());

    it('answers the upload without making the thumbnail; concurrent first requests get the same bytes from one render', async () => {
      const photo = await cameraJpeg(1, await referencePhoto(900, 600));
      const answer = (await androidUpload(api.port, token, photo)).json<Answer>();
      expect(answer.status).toBe(0);
      expect(await api.files()).toEqual([answer.data!.uri]);
      const before = await renders(api, 'request', 'stored');
      const path = new URL(answer.data!.thumbUrl).pathname;
      const got = await Promise.all(Array.from({ length: 6 }, () => send(api.port, 'GET', path, {})));
      expect(got.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(new Set(got.map((r) => r.body.toString('base64'))).size).toBe(1);
      expect(await renders(api, 'request', 'stored')).toBe(before + 1);
      expect((await sharp(got[0].body).metadata()).width).toBe(320);
      expect(await api.files()).toEqual([answer.data!.uri, answer.data!.thumbUri].sort());
      // Stored now: a later request reads it, nothing is rendered again.
      expect((await send(api.port, 'GET', path, {})).body.equals(got[0].body)).toBe(true);
      expect(await renders(api, 'request', 'stored')).toBe(before + 1);
    });

    it('answers a thumbnail whose image cannot be decoded with a clear error, once decoded, and keeps serving', async () => {
      const answer = (await androidUpload(api.port, token, undecodableJpeg())).json<Answer>();
      // The upload's structural checks pass: the answer comes before any decode.
      expect(answer.status).toBe(0);
      const before = await renders(api, 'request', 'undecodable');
      const path = new URL(answer.data!.thumbUrl).pathname;
      const [first, second] = await Promise.all([send(api.port, 'GET', path, {}), send(api.port, 'GET', path, {})]);
      const third = await send(api.port, 'GET', path, {});
      for (const res of [first, second, third]) {
        expect(res.status).toBe(422);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.json()).toEqual({ status: 1, msg: '图片不完整或已损坏 (the image is incomplete or damaged: its pixel data cannot be decoded)' });
      }
      expect(await renders(api, 'request', 'undecodable')).toBe(before + 1);
      // The stored image is still served as stored, and the app goes on working.
      expect((await send(api.port, 'GET', new URL(answer.data!.url).pathname, {})).status).toBe(200);
      const next = (await androidUpload(api.port, token, pngImage(4, 3))).json<Answer>();
      expect((await send(api.port, 'GET', new URL(next.data!.thumbUrl).pathname, {})).status).toBe(200);
    });

    it('never makes a thumbnail of a file outside the storage for a name that only ends like one', async () => {
      // A JPEG beside the storage directory, and a thumbnail name whose 36 characters lead to it.
      const outside = 'a'.repeat(33);
      await writeFile(join(api.root, `${outside}.jpg`), jpegImage());
      const res = await send(api.port, 'GET', `/images/..%2F${outside}_thumb.jpg`, {});
      expect(res.status).toBe(404);
      expect((await readdir(api.root)).filter((f) => f.includes('thumb'))).toEqual([]);
      expect((await api.files()).filter((f) => f.includes(outside))).toEqual([]);
    });

    it('answers 404 for the thumbnail of an image that is not stored', async () => {
      const answer = (await androidUpload(api.port, token, jpegImage())).json<Answer>();
      await rm(`${api.dir}/${answer.data!.uri}`);
      const res = await send(api.port, 'GET', new URL(answer.data!.thumbUrl).pathname, {});
      expect(res.status).toBe(404);
      expect(await api.files()).not.toContain(answer.data!.thumbUri);
    });
  });

  it('makes the thumbnail on request after a restart between the upload and the first request', async () => {
    const first = await startUploadApi({ UPLOAD_THUMBNAIL_BACKLOG: '0' });
    let second: UploadTestApp | undefined;
    try {
      const photo = await cameraJpeg(8, await referencePhoto(640, 960));
      const answer = (await androidUpload(first.port, await first.token(), photo)).json<Answer>();
      expect([answer.data!.width, answer.data!.height]).toEqual([640, 960]);
      await first.app.close();
      second = await startUploadApi({ UPLOAD_DIR: first.dir, UPLOAD_THUMBNAIL_BACKLOG: '0' });
      expect(await readdir(first.dir)).toEqual([answer.data!.uri]);
      const res = await send(second.port, 'GET', new URL(answer.data!.thumbUrl).pathname, {});
      expect(res.status).toBe(200);
      // The orientation is read again from what was stored: upright, red top-left.
      const meta = await sharp(res.body).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 213, 320]);
      const { data } = await sharp(res.body).extract({ left: 20, top: 20, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
      expect(data[0]).toBeGreaterThan(150);
      expect(data[2]).toBeLessThan(100);
      expect(metadataTags(await exifTags(res.body, 'jpg'))).toEqual({});
    } finally {
      await second?.close();
      await rm(first.root, { recursive: true, force: true });
    }
  });
});
