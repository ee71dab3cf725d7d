import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Env, ToBool, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';

const MiB = 1024 * 1024;

/** Upload API: limits, where files are stored, and the public URL they are served under. */
export class UploadConfig implements ConfigCheck {
  /** Largest accepted file, in bytes (the legacy apps send phone photos). */
  @Env('UPLOAD_MAX_FILE_SIZE') @ToInt()
  @IsInt({ message: 'UPLOAD_MAX_FILE_SIZE must be a whole number of bytes, e.g. UPLOAD_MAX_FILE_SIZE=10485760 (10 MiB)' })
  @Min(1024, { message: 'UPLOAD_MAX_FILE_SIZE must be at least 1024 bytes' })
  @Max(1024 * MiB, { message: 'UPLOAD_MAX_FILE_SIZE must be at most 1073741824 (1 GiB)' })
  maxFileSize: number = 10 * MiB;

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
