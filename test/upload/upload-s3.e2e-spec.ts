import { jpegImage, SVG_IMAGE } from '../../libs/storage/test/image.fixtures';
import { LocalS3, startLocalS3 } from '../../libs/storage/test/s3rver.helper';
import { opsAuth } from '../support/test-app';
import { androidUpload, STORED_NAME, startUploadApi, UploadTestApp, uploadParts } from './upload-test-client';

type Answer = { status: number; msg?: string; data?: { uri: string; url: string } };

// The S3 storage behind the real app, against a real S3-compatible server (s3rver) on a free
// loopback port: what several upload-api replicas would share.
describe('Upload API (S3-compatible storage)', () => {
  let s3: LocalS3;
  let api: UploadTestApp;
  let token: string;

  beforeAll(async () => {
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

  it('stores the Android upload in the bucket and serves the identical bytes at the answered url', async () => {
    const photo = jpegImage({ exif: true, padding: 20_000 });
    const answer = (await androidUpload(api.port, token, photo)).json<Answer>();
    expect(answer.status).toBe(0);
    expect(answer.data!.uri).toMatch(STORED_NAME);
    expect(await s3.storedKeys()).toContain(`images/${answer.data!.uri}`);
    const image = await fetch(answer.data!.url);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await image.arrayBuffer()).equals(photo)).toBe(true);
    // Nothing went to the local directory.
    expect(await api.files()).toEqual([]);
  });

  it('stores a file larger than one part (multipart upload) byte for byte', async () => {
    const photo = jpegImage({ padding: 6 * 1024 * 1024 });
    const answer = (await androidUpload(api.port, token, photo)).json<Answer>();
    expect(answer.status).toBe(0);
    const image = await fetch(answer.data!.url);
    expect(Buffer.from(await image.arrayBuffer()).equals(photo)).toBe(true);
  });

  it('leaves no object for a refused upload, even one refused after a part was sent', async () => {
    const keys = await s3.storedKeys();
    const svg = await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'a.png', body: SVG_IMAGE }]);
    expect(svg.json<Answer>()).toEqual({ status: 1, msg: expect.stringMatching(/not an image/) });
    // 6 MiB of a JPEG without its end marker: the first 5 MiB part is uploaded before the end shows it.
    const truncated = jpegImage({ padding: 6 * 1024 * 1024 }).subarray(0, 6 * 1024 * 1024);
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
