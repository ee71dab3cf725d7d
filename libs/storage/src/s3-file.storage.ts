import type * as S3 from '@aws-sdk/client-s3';
import type * as S3Storage from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { assertStorableName, FileStorage, StoredFileStream } from './file-storage.interface';

export interface S3FileStorageOptions {
  bucket: string;
  region: string;
  /** Custom endpoint for S3-compatible services (MinIO, Ceph, R2, ...); omit for AWS. */
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by most self-hosted services. */
  forcePathStyle?: boolean;
  /** Key prefix inside the bucket, e.g. `images/`. */
  prefix?: string;
  /** Multipart part size, at least 5 MiB (S3's minimum for every part but the last). */
  partSize?: number;
  /** Cache-Control stored with each object, for deployments that serve the bucket directly. */
  cacheControl?: string;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

let sdk: typeof S3 | undefined;
let uploads: typeof S3Storage | undefined;

/**
 * The AWS SDK, loaded by the first S3 storage rather than by every app that links this library:
 * it is about 4 MB of heap that each full garbage collection would otherwise mark.
 */
function s3Sdk(): typeof S3 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sdk ??= require('@aws-sdk/client-s3') as typeof S3;
  return sdk;
}

function s3Uploads(): typeof S3Storage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  uploads ??= require('@aws-sdk/lib-storage') as typeof S3Storage;
  return uploads;
}

/**
 * Files in an S3-compatible bucket, shared by every upload-api replica. Writes go through the
 * SDK's Upload: the source is read in parts of `partSize` bytes, a file that fits in one part is
 * sent with a single PutObject, a larger one as a multipart upload, one part in flight at a time,
 * so memory per upload is bounded by the part size whatever the file size. Nothing becomes
 * visible before the source ended cleanly (PutObject is sent after the end; a multipart upload is
 * completed after it, aborted otherwise: Upload's leavePartsOnError stays false).
 */
export class S3FileStorage extends FileStorage {
  readonly client: S3.S3Client;
  private readonly sdk = s3Sdk();
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly cacheControl?: string;

  constructor(options: S3FileStorageOptions, client?: S3.S3Client) {
    super();
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partSize = options.partSize ?? MIN_PART_SIZE;
    if (this.partSize < MIN_PART_SIZE) throw new Error(`S3 part size ${this.partSize} is below S3's minimum of ${MIN_PART_SIZE} bytes`);
    this.cacheControl = options.cacheControl;
    this.client =
      client ??
      new this.sdk.S3Client({
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle ?? false,
        credentials:
          options.accessKeyId && options.secretAccessKey
            ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
            : undefined,
        // Checksums only where S3 demands them: many S3-compatible services reject the
        // trailing-checksum chunked encoding the SDK would otherwise use.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  describe(): string {
    return `S3 bucket ${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  async check(): Promise<Record<string, unknown>> {
    await this.client.send(new this.sdk.HeadBucketCommand({ Bucket: this.bucket }));
    return { storage: 's3', bucket: this.bucket };
  }

  override async close(): Promise<void> {
    this.client.destroy();
  }

  async write(name: string, source: Readable, contentType: string): Promise<{ size: number }> {
    const key = this.keyOf(name);
    let size = 0;
    let sourceError: unknown;
    const counted = Readable.from(
      (async function* () {
        try {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            size += chunk.length;
            yield chunk;
          }
        } catch (err) {
          sourceError = err;
          throw err;
        }
      })(),
    );
    const upload = new (s3Uploads().Upload)({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counted, ContentType: contentType, CacheControl: this.cacheControl },
      partSize: this.partSize,
      queueSize: 1,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // A failed abort (Upload sends it before rethrowing) must not hide why the source failed;
      // a bucket lifecycle rule for incomplete multipart uploads catches what the abort missed.
      throw sourceError ?? err;
    }
    return { size };
  }

  async open(name: string): Promise<StoredFileStream | null> {
    try {
      const res = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(name) }));
      return { stream: res.Body as Readable, size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(name) }));
  }

  private keyOf(name: string): string {
    assertStorableName(name);
    return this.prefix + name;
  }
}

function isMissing(err: unknown): boolean {
  if (err instanceof s3Sdk().S3ServiceException) {
    return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
  }
  return false;
}
