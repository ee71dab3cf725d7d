import type * as S3 from '@aws-sdk/client-s3';
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
  /** Multipart part size; S3 requires at least 5 MiB for every part but the last. */
  partSize?: number;
  /** Cache-Control stored with each object, for deployments that serve the bucket directly. */
  cacheControl?: string;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

let sdk: typeof S3 | undefined;

/**
 * The AWS SDK, loaded by the first S3 storage rather than by every app that links this library:
 * it is about 4 MB of heap that each full garbage collection would otherwise mark.
 */
function s3Sdk(): typeof S3 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sdk ??= require('@aws-sdk/client-s3') as typeof S3;
  return sdk;
}

/**
 * Files in an S3-compatible bucket, shared by every upload-api replica. The source is read in
 * parts of `partSize` bytes: a file that fits in one part is sent with a single PutObject, a larger
 * one as a multipart upload, one part in flight at a time, so memory per upload is bounded by the
 * part size whatever the file size. Nothing becomes visible before the source ended cleanly
 * (PutObject is sent after the end; a multipart upload is completed after it, aborted otherwise).
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
    const parts = readParts(source, this.partSize);
    const first = await parts.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    // Only the last part can be short, so a short first part means the source has ended.
    if (firstPart.length < this.partSize) {
      await this.client.send(
        new this.sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: firstPart,
          ContentLength: firstPart.length,
          ContentType: contentType,
          CacheControl: this.cacheControl,
        }),
      );
      return { size: firstPart.length };
    }
    return this.writeMultipart(key, contentType, firstPart, parts);
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

  private async writeMultipart(
    key: string,
    contentType: string,
    firstPart: Buffer,
    rest: AsyncGenerator<Buffer>,
  ): Promise<{ size: number }> {
    const created = await this.client.send(
      new this.sdk.CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: contentType,
        CacheControl: this.cacheControl,
      }),
    );
    const uploadId = created.UploadId!;
    const etags: { ETag: string; PartNumber: number }[] = [];
    let size = 0;
    const send = async (body: Buffer) => {
      const partNumber = etags.length + 1;
      const res = await this.client.send(
        new this.sdk.UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
        }),
      );
      etags.push({ ETag: res.ETag!, PartNumber: partNumber });
      size += body.length;
    };
    try {
      await send(firstPart);
      for await (const part of rest) await send(part);
      await this.client.send(
        new this.sdk.CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags },
        }),
      );
      return { size };
    } catch (err) {
      // Best effort: a bucket lifecycle rule for incomplete multipart uploads catches the rest.
      await this.client
        .send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      throw err;
    }
  }

  private keyOf(name: string): string {
    assertStorableName(name);
    return this.prefix + name;
  }
}

/**
 * Regroups a stream into buffers of exactly `size` bytes (the last one shorter). Holds at most
 * one part; the source is paused while the consumer works (for-await applies backpressure).
 */
async function* readParts(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(size - pendingLength, chunk.length - offset);
      pending.push(chunk.subarray(offset, offset + n));
      pendingLength += n;
      offset += n;
      if (pendingLength === size) {
        yield Buffer.concat(pending, pendingLength);
        pending = [];
        pendingLength = 0;
      }
    }
  }
  if (pendingLength > 0) yield Buffer.concat(pending, pendingLength);
}

function isMissing(err: unknown): boolean {
  if (err instanceof s3Sdk().S3ServiceException) {
    return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
  }
  return false;
}
