import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { LocalS3, startLocalS3 } from '../test/s3rver.helper';
import { InvalidStorageNameError } from './file-storage.interface';
import { S3FileStorage } from './s3-file.storage';

// Against a real S3-compatible server on a free loopback port (s3rver), not a mock.
describe('S3FileStorage', () => {
  let s3: LocalS3;
  let storage: S3FileStorage;
  const partSize = 5 * 1024 * 1024; // S3's minimum, which the SDK's Upload enforces

  beforeAll(async () => {
    s3 = await startLocalS3();
    storage = new S3FileStorage(storageOptions());
  });

  function storageOptions() {
    return {
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      prefix: 'images/',
      partSize,
      cacheControl: 'public, max-age=31536000, immutable',
    };
  }

  afterAll(async () => {
    storage?.client.destroy();
    await s3?.close();
  });

  function chunked(bytes: Buffer, size: number): Readable {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    return Readable.from(chunks);
  }

  it('stores a small file with one PutObject and reads it back with its content type', async () => {
    const body = Buffer.from('small image bytes');
    await expect(storage.write('small.png', chunked(body, 4), 'image/png')).resolves.toEqual({ size: body.length });
    const opened = await storage.open('small.png');
    expect(opened?.size).toBe(body.length);
    expect((await buffer(opened!.stream)).equals(body)).toBe(true);
    const head = await storage.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'images/small.png' }));
    expect(head.ContentType).toBe('image/png');
  });

  it.each([
    ['several parts and a short last one', 3 * partSize + 123],
    ['exactly one full part', partSize],
    ['exactly two full parts', 2 * partSize],
  ])('stores a file of %s as a multipart upload, byte for byte', async (_label, size) => {
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 31 + 7) & 0xff;
    const name = `multi-${size}.jpg`;
    await expect(storage.write(name, chunked(body, 64 * 1024), 'image/jpeg')).resolves.toEqual({ size });
    const opened = await storage.open(name);
    expect(opened?.size).toBe(size);
    expect((await buffer(opened!.stream)).equals(body)).toBe(true);
  });

  it('stores nothing when the source fails before the first part is full', async () => {
    const source = new PassThrough();
    const writing = storage.write('failed-small.png', source, 'image/png');
    source.write(Buffer.alloc(1000, 1));
    setImmediate(() => source.destroy(new Error('not an image after all')));
    await expect(writing).rejects.toThrow('not an image after all');
    expect(await storage.open('failed-small.png')).toBeNull();
    expect(await s3.storedKeys()).not.toContain('images/failed-small.png');
  });

  it('stores nothing when the source fails after parts were uploaded', async () => {
    const source = new PassThrough();
    const send = storage.client.send.bind(storage.client);
    const uploadedParts: number[] = [];
    // Observe (not replace) the real calls, to fail the source once two parts are in the bucket.
    const spy = jest.spyOn(storage.client, 'send').mockImplementation((async (command: unknown) => {
      const result = await send(command as never);
      if (command instanceof UploadPartCommand) {
        uploadedParts.push(command.input.PartNumber!);
        if (uploadedParts.length === 2) source.destroy(new Error('cut off'));
      }
      return result;
    }) as never);
    try {
      const writing = storage.write('failed-multi.jpg', source, 'image/jpeg');
      for (let i = 0; i < 3; i++) source.write(Buffer.alloc(partSize, i));
      await expect(writing).rejects.toThrow('cut off');
    } finally {
      spy.mockRestore();
    }
    expect(uploadedParts).toEqual([1, 2]);
    expect(await storage.open('failed-multi.jpg')).toBeNull();
    expect(await s3.storedKeys()).not.toContain('images/failed-multi.jpg');
  });

  it('reports itself ready when the bucket answers, not ready when it does not exist', async () => {
    await expect(storage.check()).resolves.toEqual({ storage: 's3', bucket: s3.bucket });
    const missing = new S3FileStorage({ ...storageOptions(), bucket: 'no-such-bucket' });
    try {
      await expect(missing.check()).rejects.toBeInstanceOf(Error);
    } finally {
      await missing.close();
    }
  });

  it('answers null for a missing object and deletes idempotently', async () => {
    expect(await storage.open('missing.gif')).toBeNull();
    await storage.write('to-delete.gif', Readable.from([Buffer.from('GIF89a')]), 'image/gif');
    await storage.delete('to-delete.gif');
    await storage.delete('to-delete.gif');
    expect(await storage.open('to-delete.gif')).toBeNull();
  });

  it.each(['../other/key.png', 'a/b.png', '.hidden', ''])('refuses the name %j', async (name) => {
    await expect(storage.open(name)).rejects.toBeInstanceOf(InvalidStorageNameError);
    await expect(storage.write(name, Readable.from([Buffer.from('x')]), 'image/png')).rejects.toBeInstanceOf(
      InvalidStorageNameError,
    );
  });

  it('refuses a part size below S3 minimum at construction', () => {
    expect(() => new S3FileStorage({ ...storageOptions(), partSize: 64 * 1024 })).toThrow(/below S3's minimum/);
  });
});

// What the store is sent when a part fails: only a fake client can make S3 refuse one.
describe('S3FileStorage with a failing part', () => {
  it('aborts the multipart upload and completes nothing', async () => {
    const sent: unknown[] = [];
    const send = jest.fn(async (command: unknown) => {
      sent.push(command);
      if (command instanceof CreateMultipartUploadCommand) return { UploadId: 'upload-1' };
      if (command instanceof UploadPartCommand) {
        if (command.input.PartNumber === 2) throw new Error('part 2 refused');
        return { ETag: `"etag-${command.input.PartNumber}"` };
      }
      return {};
    });
    const client = { send, config: { requestChecksumCalculation: async () => 'WHEN_REQUIRED' } } as unknown as S3Client;
    const partSize = 5 * 1024 * 1024;
    const storage = new S3FileStorage({ bucket: 'b', region: 'us-east-1', prefix: 'images/', partSize }, client);
    const body = Readable.from([Buffer.alloc(partSize, 1), Buffer.alloc(partSize, 2), Buffer.alloc(1000, 3)]);

    await expect(storage.write('x.jpg', body, 'image/jpeg')).rejects.toThrow('part 2 refused');

    const aborts = sent.filter((c): c is AbortMultipartUploadCommand => c instanceof AbortMultipartUploadCommand);
    expect(aborts.map((c) => c.input)).toEqual([{ Bucket: 'b', Key: 'images/x.jpg', UploadId: 'upload-1' }]);
    expect(sent.some((c) => c instanceof CompleteMultipartUploadCommand)).toBe(false);
  });
});
