import { exifTags, hasExiftool, metadataTags } from '../../libs/storage/test/exiftool';
import { jpegImage, SVG_IMAGE } from '../../libs/storage/test/image.fixtures';
import { noisePhoto } from '../../libs/storage/test/photo.fixtures';
import { LocalS3, startLocalS3 } from '../../libs/storage/test/s3rver.helper';
import { opsAuth } from '../support/test-app';
import { androidUpload, STORED_NAME, startUploadApi, UploadTestApp, uploadParts } from './upload-test-client';

type Answer = { status: number; msg?: string; data?: { uri: string; url: string; thumbUri: string; thumbUrl: string } };

// The S3 storage behind the real app, against a real S3-compatible server (s3rver) on a free
// loopback port: what several upload-api replicas would share.
describe('Upload API (S3-compatible storage)', () => {
  let s3: LocalS3;
  let api: UploadTestApp;
  let token: string;
  let photo: Buffer;

  beforeAll(async () => {
    // Larger than one 5 MiB part even without its metadata: the bytes are scan data.
    photo = await noisePhoto();
    s3 = await startLocalS3('chat-images');
    api = await startUploadApi({
      UPLOAD_STORAGE: 's3',
      UPLOAD_S3_ENDPOINT: s3.endpoint,
      UPLOAD_S3_BUCKET: s3.bucket,
      UPLOAD_S3_REGION: s3.region,
      UPLOAD_S3_ACCESS_KEY_ID: s3.accessKeyId,
      UPLOAD_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      UPLOAD_S3_FORCE_PATH_STYLE: 'true',
      UPLOAD_S3_PREFIX: 'images/',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    token = await api.token();
  });

  afterAll(async () => {
    await api?.close();
    await s3?.close();
  });

  // What is stored is the upload without its metadata: GET answers exactly what the bucket holds.
  it('stores the Android upload and its thumbnail in the bucket and serves what was stored at the answered url', async () => {
    const small = jpegImage({ exif: true, padding: 20_000 });
    const answer = (await androidUpload(api.port, token, small)).json<Answer>();
    expect(answer.status).toBe(0);
    expect(answer.data!.uri).toMatch(STORED_NAME);
    // The thumbnail is made after the answer; asked for at once, it is waited for.
    const thumb = await fetch(answer.data!.thumbUrl);
    expect(thumb.status).toBe(200);
    expect(await s3.storedKeys()).toEqual(expect.arrayContaining([`images/${answer.data!.uri}`, `images/${answer.data!.thumbUri}`]));
    const stored = await s3.read(`images/${answer.data!.uri}`);
    // The EXIF segment and the comment padding are gone: what remains is the bare JPEG (the
    // plain fixture without its 18-byte JFIF segment).
    const bare = jpegImage();
    expect(stored.equals(Buffer.concat([bare.subarray(0, 2), bare.subarray(2 + 18)]))).toBe(true);
    const image = await fetch(answer.data!.url);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await image.arrayBuffer()).equals(stored)).toBe(true);
    expect(Buffer.from(await thumb.arrayBuffer()).equals(await s3.read(`images/${answer.data!.thumbUri}`))).toBe(true);
    // Nothing went to the local directory.
    expect(await api.files()).toEqual([]);
  });

  it('stores a photo larger than one part (multipart upload) without its metadata', async () => {
    expect(photo.length).toBeGreaterThan(5.5 * 1024 * 1024);
    const answer = (await androidUpload(api.port, token, photo)).json<Answer>();
    expect(answer.status).toBe(0);
    const stored = await s3.read(`images/${answer.data!.uri}`);
    expect(stored.length).toBeGreaterThan(5 * 1024 * 1024);
    const image = await fetch(answer.data!.url);
    expect(Buffer.from(await image.arrayBuffer()).equals(stored)).toBe(true);
    // exiftool is there in CI (.ci/run installs it); upload-images.e2e-spec.ts fails CI without it.
    if (hasExiftool) expect(metadataTags(await exifTags(stored, 'jpg'))).toEqual({});
  });

  it('leaves no object for a refused upload, even one refused after a part was sent', async () => {
    const keys = await s3.storedKeys();
    const svg = await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'a.png', body: SVG_IMAGE }]);
    expect(svg.json<Answer>()).toEqual({ status: 1, msg: expect.stringMatching(/not an image/) });
    // A photo without its end marker: the first 5 MiB part is uploaded before the end shows it.
    const truncated = photo.subarray(0, photo.length - 2);
    const cut = await androidUpload(api.port, token, truncated);
    expect(cut.json<Answer>()).toEqual({ status: 1, msg: expect.stringMatching(/incomplete or damaged/) });
    expect(await s3.storedKeys()).toEqual(keys);
  });

  it('is ready while the bucket answers', async () => {
    const res = await fetch(`${api.baseUrl}/health/ready`, { headers: opsAuth });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { info: Record<string, unknown> }).info['upload-storage']).toMatchObject({
      status: 'up',
      storage: 's3',
      bucket: 'chat-images',
    });
  });

  it('answers 404 for a name that is not in the bucket', async () => {
    const res = await fetch(`${api.baseUrl}/images/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.png`);
    expect(res.status).toBe(404);
  });
});
