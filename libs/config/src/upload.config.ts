import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Env, ToBool, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';
import { DEFAULT_UPLOAD_MAX_FILE_SIZE } from './upload-limits';

const MiB = 1024 * 1024;

/** Upload API: limits, where files are stored, and the public URL they are served under. */
export class UploadConfig implements ConfigCheck {
  /** Largest accepted file, in bytes (the legacy apps send phone photos). */
  @Env('UPLOAD_MAX_FILE_SIZE') @ToInt()
  @IsInt({ message: 'UPLOAD_MAX_FILE_SIZE must be a whole number of bytes, e.g. UPLOAD_MAX_FILE_SIZE=10485760 (10 MiB)' })
  @Min(1024, { message: 'UPLOAD_MAX_FILE_SIZE must be at least 1024 bytes' })
  @Max(1024 * MiB, { message: 'UPLOAD_MAX_FILE_SIZE must be at most 1073741824 (1 GiB)' })
  maxFileSize: number = DEFAULT_UPLOAD_MAX_FILE_SIZE;

  /**
   * Pixels of a still image, or of one frame of an animation: the header is refused above this,
   * before anything is decoded (a 50 MP phone photo is the largest legitimate case we expect).
   */
  @Env('UPLOAD_MAX_PIXELS') @ToInt()
  @IsInt({ message: 'UPLOAD_MAX_PIXELS must be a whole number of pixels, e.g. UPLOAD_MAX_PIXELS=40000000 (40 megapixels)' })
  @Min(1024, { message: 'UPLOAD_MAX_PIXELS must be at least 1024' })
  @Max(1_000_000_000, { message: 'UPLOAD_MAX_PIXELS must be at most 1000000000 (1 gigapixel)' })
  maxPixels: number = 40_000_000;

  /** Pixels of all frames of an animated GIF, WebP or PNG together (frames x canvas). */
  @Env('UPLOAD_MAX_ANIMATION_PIXELS') @ToInt()
  @IsInt({ message: 'UPLOAD_MAX_ANIMATION_PIXELS must be a whole number of pixels, e.g. UPLOAD_MAX_ANIMATION_PIXELS=200000000' })
  @Min(1024, { message: 'UPLOAD_MAX_ANIMATION_PIXELS must be at least 1024' })
  @Max(10_000_000_000, { message: 'UPLOAD_MAX_ANIMATION_PIXELS must be at most 10000000000' })
  maxAnimationPixels: number = 200_000_000;

  /** Frames of an animation. */
  @Env('UPLOAD_MAX_FRAMES') @ToInt()
  @IsInt({ message: 'UPLOAD_MAX_FRAMES must be a whole number, e.g. UPLOAD_MAX_FRAMES=1000' })
  @Min(1, { message: 'UPLOAD_MAX_FRAMES must be at least 1' })
  @Max(100_000, { message: 'UPLOAD_MAX_FRAMES must be at most 100000' })
  maxFrames: number = 1000;

  /** Longest side of the thumbnail made for each upload, in pixels. */
  @Env('UPLOAD_THUMBNAIL_SIZE') @ToInt()
  @IsInt({ message: 'UPLOAD_THUMBNAIL_SIZE must be a whole number of pixels, e.g. UPLOAD_THUMBNAIL_SIZE=320' })
  @Min(16, { message: 'UPLOAD_THUMBNAIL_SIZE must be at least 16' })
  @Max(4096, { message: 'UPLOAD_THUMBNAIL_SIZE must be at most 4096' })
  thumbnailSize: number = 320;

  /**
   * Images decoded at once (thumbnails), each on one libuv thread: bounds CPU and memory under a
   * burst of uploads; the others wait their turn.
   */
  @Env('UPLOAD_IMAGE_CONCURRENCY') @ToInt()
  @IsInt({ message: 'UPLOAD_IMAGE_CONCURRENCY must be a whole number, e.g. UPLOAD_IMAGE_CONCURRENCY=2' })
  @Min(1, { message: 'UPLOAD_IMAGE_CONCURRENCY must be at least 1' })
  @Max(64, { message: 'UPLOAD_IMAGE_CONCURRENCY must be at most 64' })
  imageConcurrency: number = 2;

  /**
   * Thumbnails waiting to be made in the background after their upload was answered. An upload
   * beyond this leaves its thumbnail to be made on its first request; 0 makes every thumbnail on
   * its first request only.
   */
  @Env('UPLOAD_THUMBNAIL_BACKLOG') @ToInt()
  @IsInt({ message: 'UPLOAD_THUMBNAIL_BACKLOG must be a whole number of thumbnails, e.g. UPLOAD_THUMBNAIL_BACKLOG=256 (0: made on request only)' })
  @Min(0, { message: 'UPLOAD_THUMBNAIL_BACKLOG must be at least 0' })
  @Max(100_000, { message: 'UPLOAD_THUMBNAIL_BACKLOG must be at most 100000' })
  thumbnailBacklog: number = 256;

  /**
   * How long a request for a thumbnail that is not made yet waits for it (its render is moved to
   * the front of the queue), in milliseconds; past it, 503 with Retry-After.
   */
  @Env('UPLOAD_THUMBNAIL_WAIT_MS') @ToInt()
  @IsInt({ message: 'UPLOAD_THUMBNAIL_WAIT_MS must be a whole number of milliseconds, e.g. UPLOAD_THUMBNAIL_WAIT_MS=10000' })
  @Min(100, { message: 'UPLOAD_THUMBNAIL_WAIT_MS must be at least 100' })
  @Max(120_000, { message: 'UPLOAD_THUMBNAIL_WAIT_MS must be at most 120000 (2 minutes)' })
  thumbnailWaitMs: number = 10_000;

  /**
   * Prefix of the `url` answered for each upload; the stored name is appended. Unset: derived
   * from the request's Host (http://<host>/images/), which suits development only.
   */
  @Env('UPLOAD_PUBLIC_BASE_URL') @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'UPLOAD_PUBLIC_BASE_URL must be an http(s) URL, e.g. UPLOAD_PUBLIC_BASE_URL=https://chat.example.com/images/',
  })
  publicBaseUrl?: string;

  @Env('UPLOAD_STORAGE')
  @IsIn(['local', 's3'], { message: 'UPLOAD_STORAGE must be local (a directory) or s3 (an S3-compatible bucket)' })
  storage: 'local' | 's3' = 'local';

  /** Directory of the local storage. */
  @Env('UPLOAD_DIR') @IsString()
  directory: string = './data/uploads';

  @Env('UPLOAD_S3_BUCKET') @IsOptional() @IsString()
  s3Bucket?: string;

  @Env('UPLOAD_S3_REGION') @IsString()
  s3Region: string = 'us-east-1';

  /** Endpoint of an S3-compatible service (MinIO, Ceph, R2...); unset for AWS itself. */
  @Env('UPLOAD_S3_ENDPOINT') @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'UPLOAD_S3_ENDPOINT must be an http(s) URL, e.g. http://minio:9000' })
  s3Endpoint?: string;

  /** Static credentials; unset: the AWS default chain (environment, profile, instance role). */
  @Env('UPLOAD_S3_ACCESS_KEY_ID') @IsOptional() @IsString()
  s3AccessKeyId?: string;

  @Env('UPLOAD_S3_SECRET_ACCESS_KEY') @IsOptional() @IsString()
  s3SecretAccessKey?: string;

  /** Path-style addressing (endpoint/bucket/key), which most self-hosted services need. */
  @Env('UPLOAD_S3_FORCE_PATH_STYLE') @ToBool()
  @IsBoolean({ message: 'UPLOAD_S3_FORCE_PATH_STYLE must be true or false' })
  s3ForcePathStyle: boolean = false;

  /** Key prefix inside the bucket, e.g. images/. */
  @Env('UPLOAD_S3_PREFIX') @IsString()
  @Matches(/^([A-Za-z0-9._-]+\/)*$/, { message: 'UPLOAD_S3_PREFIX must be empty or end with a slash, e.g. images/' })
  s3Prefix: string = '';

  checkConfig(): string[] {
    const problems: string[] = [];
    if (this.storage === 's3' && !this.s3Bucket) {
      problems.push('UPLOAD_STORAGE=s3 needs UPLOAD_S3_BUCKET (the bucket name), e.g. UPLOAD_S3_BUCKET=chat-images');
    }
    if (this.maxAnimationPixels < this.maxPixels) {
      problems.push('UPLOAD_MAX_ANIMATION_PIXELS must be at least UPLOAD_MAX_PIXELS (one frame is part of an animation)');
    }
    if (!!this.s3AccessKeyId !== !!this.s3SecretAccessKey) {
      problems.push('UPLOAD_S3_ACCESS_KEY_ID and UPLOAD_S3_SECRET_ACCESS_KEY go together: set both, or neither to use the AWS default credentials');
    }
    return problems;
  }

  /** The public base URL with exactly one trailing slash, or undefined when unset. */
  get normalizedPublicBaseUrl(): string | undefined {
    return this.publicBaseUrl === undefined ? undefined : this.publicBaseUrl.replace(/\/*$/, '/');
  }
}
