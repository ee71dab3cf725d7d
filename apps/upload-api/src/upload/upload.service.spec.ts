import { DomainError, ErrorCode } from '@app/common';
import { UploadConfig } from '@app/config';
import { FileStorage, LocalFileStorage } from '@app/storage';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import sharp from 'sharp';
import { gifImage, jpegDeclaring, jpegImage, pngImage, SVG_IMAGE, webpImage } from '../../../../libs/storage/test/image.fixtures';
import { ImageWorkQueue } from './image-work.queue';
import { ThumbnailMetrics } from './thumbnail-metrics';
import { ThumbnailService, UndecodableImageError } from './thumbnail.service';
import { ThumbnailStore } from './thumbnail.store';
import { UploadService } from './upload.service';

const newThumbnails = (storage: FileStorage, config: UploadConfig) =>
  new ThumbnailStore(storage, config, new ThumbnailService(config), new ImageWorkQueue(config), new ThumbnailMetrics());
const newService = (storage: FileStorage, config: UploadConfig, thumbnails = newThumbnails(storage, config)) =>
  new UploadService(storage, config, thumbnails);

describe('UploadService', () => {
  let dir: string;
  let storage: LocalFileStorage;
  let service: UploadService;
  let thumbnails: ThumbnailStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'upload-service-'));
    storage = new LocalFileStorage({ directory: dir });
    const config = Object.assign(new UploadConfig(), { maxFileSize: 4096 });
    thumbnails = newThumbnails(storage, config);
    service = newService(storage, config, thumbnails);
  });

  afterEach(async () => {
    await thumbnails.beforeApplicationShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const chunks = (bytes: Buffer, size = 100) => {
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
    return Readable.from(out);
  };

  it.each([
    ['jpg', jpegImage({ padding: 500 })],
    ['png', pngImage(5, 5)],
    ['gif', gifImage()],
    ['webp', webpImage()],
  ])('stores a %s under a fresh UUID name with that extension, and its thumbnail', async (ext, bytes) => {
    const stored = await service.store(chunks(bytes));
    expect(stored.uri).toMatch(new RegExp(`^[0-9a-f-]{36}\\.${ext}$`));
    // JPEG thumbnails, PNG where the image has transparency.
    const thumbExt = (await sharp(bytes).metadata()).hasAlpha ? 'png' : 'jpg';
    expect(stored.thumbUri).toBe(stored.uri.replace(/\.\w+$/, `_thumb.${thumbExt}`));
    // These fixtures carry no metadata (the JPEG's padding is a comment, which goes).
    const expected = ext === 'jpg' ? jpegImage() : bytes;
    expect((await readFile(join(dir, stored.uri))).equals(expected)).toBe(true);
    const opened = await service.open(stored.uri);
    expect(opened?.size).toBe(expected.length);
    expect((await buffer(opened!.stream)).equals(expected)).toBe(true);
    // Made after the answer: waited for here.
    await thumbnails.ensure(stored.thumbUri);
    const meta = await sharp(await readFile(join(dir, stored.thumbUri))).metadata();
    expect([stored.width, stored.height]).toEqual([meta.width, meta.height]);
    expect((await readdir(dir)).sort()).toEqual([stored.uri, stored.thumbUri].sort());
  });

  it.each([
    ['not an image', SVG_IMAGE, ErrorCode.UploadNotImage, /not an image/],
    ['truncated', jpegImage({ padding: 500 }).subarray(0, 400), ErrorCode.UploadNotImage, /incomplete or damaged/],
    ['too large', jpegImage({ padding: 5000 }), ErrorCode.UploadTooLarge, /4096 bytes/],
    ['empty', Buffer.alloc(0), ErrorCode.UploadMissingFile, /empty/],
    ['over the pixel limit', jpegDeclaring(20_000, 20_000), ErrorCode.UploadTooLarge, /too many pixels/],
  ])('refuses a file that is %s with a coded DomainError and stores nothing', async (_l, bytes, code, msg) => {
    const err = await service.store(chunks(bytes)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    expect((err as DomainError).message).toMatch(msg);
    expect(await readdir(dir)).toEqual([]);
  });

  it('stores an image whose pixels cannot be decoded; its thumbnail fails to be made, and is not tried again', async () => {
    const stored = await service.store(chunks(undecodableJpeg()));
    const err = await thumbnails.ensure(stored.thumbUri).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UndecodableImageError);
    const make = jest.spyOn(ThumbnailService.prototype, 'make');
    await expect(thumbnails.ensure(stored.thumbUri)).rejects.toBeInstanceOf(UndecodableImageError);
    expect(make).not.toHaveBeenCalled();
    make.mockRestore();
    expect(await readdir(dir)).toEqual([stored.uri]);
  });

  it('passes on the error of a source that fails mid-stream, and stores nothing', async () => {
    const source = new PassThrough();
    const storing = service.store(source);
    source.write(jpegImage({ padding: 1000 }).subarray(0, 600));
    await new Promise((r) => setImmediate(r));
    const cause = new DomainError(ErrorCode.UploadInvalid, 'cut off');
    source.destroy(cause);
    await expect(storing).rejects.toBe(cause);
    expect(await readdir(dir)).toEqual([]);
  });

  it('answers a storage failure as STORE_UNAVAILABLE without details', async () => {
    const broken = new (class extends FileStorage {
      write(): Promise<{ size: number }> {
        return Promise.reject(new Error('EACCES: permission denied, open /srv/secret/path'));
      }
      open = () => Promise.resolve(null);
      delete = () => Promise.resolve();
      describe = () => 'broken test storage';
      check = () => Promise.reject(new Error('broken'));
    })();
    const svc = newService(broken, Object.assign(new UploadConfig(), { maxFileSize: 4096 }));
    jest.spyOn(svc['logger'], 'error').mockImplementation(() => undefined);
    const err = (await svc.store(chunks(gifImage())).catch((e: unknown) => e)) as DomainError;
    expect(err.code).toBe(ErrorCode.StoreUnavailable);
    expect(err.message).not.toContain('/srv/secret');
  });

  it('opens only names of the stored shape, thumbnails included', async () => {
    const stored = await service.store(chunks(gifImage()));
    const opened = await service.open(stored.uri);
    expect(opened?.mime).toBe('image/gif');
    opened!.stream.destroy();
    await thumbnails.ensure(stored.thumbUri);
    const thumb = await service.open(stored.thumbUri);
    expect(thumb?.mime).toBe('image/png');
    thumb!.stream.destroy();
    expect(await service.open(`../${stored.uri}`)).toBeNull();
    expect(await service.open(stored.uri.replace('.gif', '.png'))).toBeNull();
    expect(await service.open(stored.uri.replace('.gif', '_thumb_thumb.png'))).toBeNull();
    await service.discard(stored);
    expect(await service.open(stored.uri)).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });
});

// Structurally complete, but libjpeg refuses a frame with no colour component.
function undecodableJpeg(): Buffer {
  const bytes = Buffer.from(jpegImage());
  const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  bytes[sof + 9] = 0;
  return bytes;
}
