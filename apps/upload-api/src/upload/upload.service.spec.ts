import { DomainError, ErrorCode } from '@app/common';
import { UploadConfig } from '@app/config';
import { FileStorage, LocalFileStorage } from '@app/storage';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gifImage, jpegImage, pngImage, SVG_IMAGE, webpImage } from '../../../../libs/storage/test/image.fixtures';
import { UploadService } from './upload.service';

describe('UploadService', () => {
  let dir: string;
  let storage: LocalFileStorage;
  let service: UploadService;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'upload-service-'));
    storage = new LocalFileStorage({ directory: dir });
    const config = Object.assign(new UploadConfig(), { maxFileSize: 4096 });
    service = new UploadService(storage, config);
  });

  afterEach(async () => {
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
  ])('stores a %s under a fresh UUID name with that extension', async (ext, bytes) => {
    const name = await service.store(chunks(bytes));
    expect(name).toMatch(new RegExp(`^[0-9a-f-]{36}\\.${ext}$`));
    expect((await readFile(join(dir, name))).equals(bytes)).toBe(true);
    const opened = await service.open(name);
    expect(opened?.size).toBe(bytes.length);
    expect((await buffer(opened!.stream)).equals(bytes)).toBe(true);
  });

  it.each([
    ['not an image', SVG_IMAGE, ErrorCode.UploadNotImage, /not an image/],
    ['truncated', jpegImage({ padding: 500 }).subarray(0, 400), ErrorCode.UploadNotImage, /incomplete or damaged/],
    ['too large', jpegImage({ padding: 5000 }), ErrorCode.UploadTooLarge, /4096 bytes/],
    ['empty', Buffer.alloc(0), ErrorCode.UploadMissingFile, /empty/],
  ])('refuses a file that is %s with a coded DomainError and stores nothing', async (_l, bytes, code, msg) => {
    const err = await service.store(chunks(bytes)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    expect((err as DomainError).message).toMatch(msg);
    expect(await readdir(dir)).toEqual([]);
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
    const svc = new UploadService(broken, Object.assign(new UploadConfig(), { maxFileSize: 4096 }));
    jest.spyOn(svc['logger'], 'error').mockImplementation(() => undefined);
    const err = (await svc.store(chunks(gifImage())).catch((e: unknown) => e)) as DomainError;
    expect(err.code).toBe(ErrorCode.StoreUnavailable);
    expect(err.message).not.toContain('/srv/secret');
  });

  it('opens only names of the stored shape', async () => {
    const name = await service.store(chunks(gifImage()));
    const opened = await service.open(name);
    expect(opened?.mime).toBe('image/gif');
    opened!.stream.destroy();
    expect(await service.open(`../${name}`)).toBeNull();
    expect(await service.open(name.replace('.gif', '.png'))).toBeNull();
    await service.discard(name);
    expect(await service.open(name)).toBeNull();
  });
});
