import { ConfigError, loadConfig } from './load-config';
import { UploadConfig } from './upload.config';

describe('UploadConfig', () => {
  it('defaults to a 10 MiB limit in a local directory, base URL unset', () => {
    const config = loadConfig(UploadConfig, {});
    expect(config).toMatchObject({ maxFileSize: 10 * 1024 * 1024, storage: 'local', directory: './data/uploads' });
    expect(config.normalizedPublicBaseUrl).toBeUndefined();
    expect(config).toMatchObject({ maxPixels: 40_000_000, maxAnimationPixels: 200_000_000, maxFrames: 1000, thumbnailSize: 320, imageConcurrency: 2 });
    expect(config).toMatchObject({ thumbnailBacklog: 256, thumbnailWaitMs: 10_000 });
  });

  it('reads the thumbnail backlog (0: made on request only) and the wait for one, and refuses nonsense', () => {
    expect(loadConfig(UploadConfig, { UPLOAD_THUMBNAIL_BACKLOG: '0', UPLOAD_THUMBNAIL_WAIT_MS: '2500' })).toMatchObject({ thumbnailBacklog: 0, thumbnailWaitMs: 2500 });
    expect(() => loadConfig(UploadConfig, { UPLOAD_THUMBNAIL_BACKLOG: '-1' })).toThrow(/UPLOAD_THUMBNAIL_BACKLOG must be at least 0/);
    expect(() => loadConfig(UploadConfig, { UPLOAD_THUMBNAIL_WAIT_MS: 'soon' })).toThrow(/UPLOAD_THUMBNAIL_WAIT_MS must be a whole number/);
  });

  it('reads the image limits, thumbnail size and decode concurrency', () => {
    const config = loadConfig(UploadConfig, {
      UPLOAD_MAX_PIXELS: '50000000',
      UPLOAD_MAX_ANIMATION_PIXELS: '100000000',
      UPLOAD_MAX_FRAMES: '300',
      UPLOAD_THUMBNAIL_SIZE: '256',
      UPLOAD_IMAGE_CONCURRENCY: '4',
    });
    expect(config).toMatchObject({ maxPixels: 50_000_000, maxAnimationPixels: 100_000_000, maxFrames: 300, thumbnailSize: 256, imageConcurrency: 4 });
  });

  it('reads S3 settings', () => {
    const config = loadConfig(UploadConfig, {
      UPLOAD_STORAGE: 's3',
      UPLOAD_S3_BUCKET: 'chat-images',
      UPLOAD_S3_ENDPOINT: 'http://minio:9000',
      UPLOAD_S3_FORCE_PATH_STYLE: 'true',
      UPLOAD_S3_ACCESS_KEY_ID: 'k',
      UPLOAD_S3_SECRET_ACCESS_KEY: 's',
      UPLOAD_PUBLIC_BASE_URL: 'https://img.example.com/images',
      UPLOAD_MAX_FILE_SIZE: '2097152',
    });
    expect(config).toMatchObject({ storage: 's3', s3Bucket: 'chat-images', s3ForcePathStyle: true, maxFileSize: 2097152 });
    expect(config.normalizedPublicBaseUrl).toBe('https://img.example.com/images/');
  });

  it.each([
    [{ UPLOAD_MAX_FILE_SIZE: '10MB' }, /UPLOAD_MAX_FILE_SIZE must be a whole number of bytes/],
    [{ UPLOAD_MAX_FILE_SIZE: '10' }, /at least 1024/],
    [{ UPLOAD_STORAGE: 'ftp' }, /UPLOAD_STORAGE must be local .* or s3/],
    [{ UPLOAD_STORAGE: 's3' }, /UPLOAD_STORAGE=s3 needs UPLOAD_S3_BUCKET/],
    [{ UPLOAD_PUBLIC_BASE_URL: 'ftp://www.zhangshuo.fun/images/' }, /UPLOAD_PUBLIC_BASE_URL must be an http\(s\) URL/],
    [{ UPLOAD_S3_ACCESS_KEY_ID: 'k' }, /go together/],
    [{ UPLOAD_S3_PREFIX: 'images' }, /end with a slash/],
    [{ UPLOAD_MAX_PIXELS: '40MP' }, /UPLOAD_MAX_PIXELS must be a whole number of pixels/],
    [{ UPLOAD_MAX_PIXELS: '300000000' }, /UPLOAD_MAX_ANIMATION_PIXELS must be at least UPLOAD_MAX_PIXELS/],
    [{ UPLOAD_MAX_FRAMES: '0' }, /UPLOAD_MAX_FRAMES must be at least 1/],
    [{ UPLOAD_THUMBNAIL_SIZE: '8' }, /UPLOAD_THUMBNAIL_SIZE must be at least 16/],
    [{ UPLOAD_IMAGE_CONCURRENCY: '100' }, /UPLOAD_IMAGE_CONCURRENCY must be at most 64/],
  ])('refuses %j with a message naming the variable and the fix', (env, message) => {
    expect(() => loadConfig(UploadConfig, env)).toThrow(ConfigError);
    expect(() => loadConfig(UploadConfig, env)).toThrow(message);
  });
});
